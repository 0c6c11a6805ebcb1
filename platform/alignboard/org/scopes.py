"""Visibility scopes, enforced on the server for every read.

A rep sees their own data, a manager the subtree of the units they lead (and themselves),
hr/exec/admin everything. Which of these applies is the viewer's role's ``scope``.
Every page and endpoint that lists or reads people, or data owned by people, filters
through here; nothing else decides visibility.
"""
from functools import reduce
import operator

from .models import Person, Unit


def scope_of(viewer):
    return viewer.role.scope if viewer and viewer.is_authenticated else None


def led_units(viewer):
    return Unit.select().where(Unit.leader == viewer)


def visible_units(viewer):
    """Units the viewer may see."""
    scope = scope_of(viewer)
    if scope == "all":
        return Unit.select()
    if scope == "subtree":
        paths = [u.path for u in led_units(viewer)]
        conds = [Unit.path.startswith(p) for p in paths]
        if viewer.unit_id:
            conds.append(Unit.id == viewer.unit_id)
        if not conds:
            # A manager who leads nothing and sits in no unit sees no units at all;
            # reduce() on an empty list would raise.
            return _no_units()
        return Unit.select().where(reduce(operator.or_, conds))
    if scope == "own" and viewer.unit_id:
        return Unit.select().where(Unit.id == viewer.unit_id)
    return _no_units()


def _no_units():
    """An empty unit query (ids are never null)."""
    return Unit.select().where(Unit.id.is_null())


def visible_people(viewer):
    """People the viewer may see, as a query (compose it, never widen it)."""
    scope = scope_of(viewer)
    if scope == "all":
        return Person.select()
    if scope == "subtree":
        paths = [u.path for u in led_units(viewer)]
        if paths:
            units = Unit.select(Unit.id).where(
                reduce(operator.or_, [Unit.path.startswith(p) for p in paths]))
            return Person.select().where((Person.unit.in_(units)) | (Person.id == viewer.id))
        return Person.select().where(Person.id == viewer.id)
    if scope == "own":
        return Person.select().where(Person.id == viewer.id)
    return Person.select().where(Person.id.is_null())


def visible_person_ids(viewer):
    """Subquery of the ids of visible people, for filtering data owned by people."""
    return visible_people(viewer).select(Person.id)


def can_see_person(viewer, person_id):
    return visible_people(viewer).where(Person.id == person_id).exists()


def can_configure(viewer):
    return bool(viewer and viewer.is_authenticated and viewer.role.can_configure)
