"""Who receives an action: specs resolved through the org.

``subject`` (the person concerned; for a unit, its leader), ``manager`` (the subject's
manager; for a unit, the leader of its parent unit), ``unit_owner`` (the leader of the
subject's unit), ``role:<key>`` (every active person with that role).
"""
from ..org.models import Person, Role, Unit


def resolve(specs, person=None, unit=None):
    """Return ``(people, problems)``: active people in spec order without duplicates, and a
    message for each spec that resolved to nobody."""
    out, problems = [], []
    for spec in specs:
        found = []
        if spec == "subject":
            found = [person] if person else ([unit.leader] if unit and unit.leader else [])
        elif spec == "manager":
            if person is not None:
                found = [person.manager] if person.manager_id else []
            elif unit is not None and unit.parent and unit.parent.leader:
                found = [unit.parent.leader]
        elif spec == "unit_owner":
            owner_unit = unit if unit is not None else (person.unit if person else None)
            found = [owner_unit.leader] if owner_unit and owner_unit.leader_id else []
        elif spec.startswith("role:"):
            found = list(Person.select().join(Role).where(
                (Role.key == spec[5:]) & Person.active).order_by(Person.login))
        found = [p for p in found if p is not None and p.active]
        if not found:
            who = person.login if person else (unit.code if unit else "no subject")
            problems.append(f"recipient {spec!r} resolves to nobody for {who}")
        for p in found:
            if all(p.id != q.id for q in out):
                out.append(p)
    return out, problems


def unit_by_id(unit_id):
    return Unit.get_or_none(Unit.id == unit_id)
