"""/api/v1/units, /api/v1/people, /api/v1/periods: scoped reads, hr/admin writes.

An item outside the caller's scope answers 404, the same as one that does not exist, so
that the API does not reveal who else is there.
"""
import peewee as pw
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from ..api import PAGINATE, configure_required, fail, login_required, page
from ..db import database, id_in_range
from .models import OrgError, Period, Person, Role, Unit
from .schemas import (PeopleQuerySchema, PeriodQuerySchema, PeriodSchema, PersonSchema,
                      UnitSchema)
from . import scopes

units = Blueprint("units", __name__, url_prefix="/api/v1/units",
                  description="Organisation units (company, regions, teams) as a tree.")
people = Blueprint("people", __name__, url_prefix="/api/v1/people",
                   description="People, their unit, manager and role.")
periods = Blueprint("periods", __name__, url_prefix="/api/v1/periods",
                    description="Years, quarters, months and weeks (Monday first).")
me = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The caller.")
BLUEPRINTS = [units, people, periods, me]


def _get_or_404(query, model, id_):
    """The row of ``model`` with ``id_`` within ``query``, or a 404 answer."""
    obj = query.where(model.id == id_).first() if id_in_range(id_) else None
    if obj is None:
        fail(404, f"No {model.__name__.lower()} {id_} (or it is outside your scope).")
    return obj


def _ref(model, id_, field):
    if id_ is None:
        return None
    obj = model.get_or_none(model.id == id_)
    if obj is None:
        fail(422, f"{field} refers to nothing.", {field: [f"no {model.__name__.lower()} {id_}"]})
    return obj


def _save(obj, unique_fields, error_field):
    """Save ``obj``: a value another row holds answers 409 naming that field (one of
    ``unique_fields``), a rule of the model (cycle...) 422 on ``error_field``."""
    try:
        with database.atomic():
            obj.save()
    except OrgError as exc:
        fail(422, str(exc), {error_field: [str(exc)]})
    except pw.IntegrityError:
        field = _clashing_field(obj, unique_fields)
        fail(409, f"{field} is already taken.", {field: ["already taken"]})
    return obj


def _clashing_field(obj, names):
    """The first of ``names`` whose value another row already holds (else the first)."""
    model = type(obj)
    for name in names:
        value = getattr(obj, name)
        if value is None:
            continue
        others = model.select().where(getattr(model, name) == value)
        if obj.id is not None:
            others = others.where(model.id != obj.id)
        if others.exists():
            return name
    return names[0]


# --- units -------------------------------------------------------------------------------

@units.route("/")
class Units(MethodView):
    decorators = [login_required]

    @units.response(200, UnitSchema(many=True))
    @units.paginate(**PAGINATE)
    def get(self, pagination_parameters):
        """List the units you may see."""
        return page(scopes.visible_units(current_user).order_by(Unit.path),
                    pagination_parameters)

    @configure_required
    @units.arguments(UnitSchema)
    @units.response(201, UnitSchema)
    def post(self, data):
        """Create a unit (hr, admin)."""
        unit = Unit(code=data["code"], name=data["name"], kind=data["kind"],
                    parent=_ref(Unit, data.get("parent_id"), "parent_id"),
                    leader=_ref(Person, data.get("leader_id"), "leader_id"))
        return _save(unit, ("code",), "parent_id")


@units.route("/<int:unit_id>")
class UnitItem(MethodView):
    decorators = [login_required]

    @units.response(200, UnitSchema)
    def get(self, unit_id):
        """Read a unit."""
        return _get_or_404(scopes.visible_units(current_user), Unit, unit_id)

    @configure_required
    @units.arguments(UnitSchema(partial=True))
    @units.response(200, UnitSchema)
    def patch(self, data, unit_id):
        """Change a unit (hr, admin)."""
        unit = _get_or_404(Unit.select(), Unit, unit_id)
        for key in ("code", "name", "kind"):
            if key in data:
                setattr(unit, key, data[key])
        if "parent_id" in data:
            unit.parent = _ref(Unit, data["parent_id"], "parent_id")
        if "leader_id" in data:
            unit.leader = _ref(Person, data["leader_id"], "leader_id")
        return _save(unit, ("code",), "parent_id")


# --- people ------------------------------------------------------------------------------

def _apply_person(person, data):
    for key in ("login", "name", "email", "external_id", "active"):
        if key in data:
            setattr(person, key, data[key])
    if "unit_id" in data:
        person.unit = _ref(Unit, data["unit_id"], "unit_id")
    if "manager_id" in data:
        person.manager = _ref(Person, data["manager_id"], "manager_id")
    if "role" in data:
        role = Role.get_or_none(Role.key == data["role"])
        if role is None:
            fail(422, "Unknown role.", {"role": [f"unknown role {data['role']!r}"]})
        person.role = role
    if data.get("password"):
        person.set_password(data["password"])
    return _save(person, ("login", "external_id"), "manager_id")


@people.route("/")
class People(MethodView):
    decorators = [login_required]

    @people.arguments(PeopleQuerySchema, location="query")
    @people.response(200, PersonSchema(many=True))
    @people.paginate(**PAGINATE)
    def get(self, args, pagination_parameters):
        """List the people you may see (a rep: only themselves)."""
        q = scopes.visible_people(current_user).join(Role).switch(Person)
        if "unit_id" in args:
            q = q.where(Person.unit == args["unit_id"])
        if "role" in args:
            q = q.where(Role.key == args["role"])
        if args.get("q"):
            q = q.where(Person.name.contains(args["q"]) | Person.login.contains(args["q"]))
        return page(q.order_by(Person.login), pagination_parameters)

    @configure_required
    @people.arguments(PersonSchema)
    @people.response(201, PersonSchema)
    def post(self, data):
        """Create a person (hr, admin)."""
        return _apply_person(Person(), data)


@people.route("/<int:person_id>")
class PersonItem(MethodView):
    decorators = [login_required]

    @people.response(200, PersonSchema)
    def get(self, person_id):
        """Read a person within your scope."""
        return _get_or_404(scopes.visible_people(current_user), Person, person_id)

    @configure_required
    @people.arguments(PersonSchema(partial=True))
    @people.response(200, PersonSchema)
    def patch(self, data, person_id):
        """Change a person (hr, admin)."""
        return _apply_person(_get_or_404(Person.select(), Person, person_id), data)


# --- periods -----------------------------------------------------------------------------

def _check_period(period):
    """422 with a message per field for every rule ``Period.problems`` finds."""
    errors = {field: [str(m) for m in messages]
              for field, messages in period.problems().items()}
    if errors:
        fail(422, " ".join(m for messages in errors.values() for m in messages), errors)


@periods.route("/")
class Periods(MethodView):
    decorators = [login_required]

    @periods.arguments(PeriodQuerySchema, location="query")
    @periods.response(200, PeriodSchema(many=True))
    @periods.paginate(**PAGINATE)
    def get(self, args, pagination_parameters):
        """List periods, optionally of one kind or containing a date."""
        q = Period.select()
        if "kind" in args:
            q = q.where(Period.kind == args["kind"])
        if "on" in args:
            q = q.where((Period.start <= args["on"]) & (Period.end >= args["on"]))
        return page(q.order_by(Period.start, Period.kind), pagination_parameters)

    @configure_required
    @periods.arguments(PeriodSchema)
    @periods.response(201, PeriodSchema)
    def post(self, data):
        """Create a period (hr, admin)."""
        period = Period(**data)
        _check_period(period)
        return _save(period, ("start",), "end")


@periods.route("/<int:period_id>")
class PeriodItem(MethodView):
    decorators = [login_required]

    @periods.response(200, PeriodSchema)
    def get(self, period_id):
        """Read a period."""
        return _get_or_404(Period.select(), Period, period_id)

    @configure_required
    @periods.arguments(PeriodSchema(partial=True))
    @periods.response(200, PeriodSchema)
    def patch(self, data, period_id):
        """Change a period (hr, admin)."""
        period = _get_or_404(Period.select(), Period, period_id)
        for key, value in data.items():
            setattr(period, key, value)
        _check_period(period)
        return _save(period, ("start",), "end")


@me.route("/")
class Me(MethodView):
    decorators = [login_required]

    @me.response(200, PersonSchema)
    def get(self):
        """The person the token or session belongs to."""
        return current_user._get_current_object()
