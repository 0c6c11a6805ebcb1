"""/api/v1/metrics: definitions, values (scoped by role), targets, rebuild.

Values of a person are visible to whoever may see that person; values of a unit to people
whose scope covers the unit (managers of it, hr, exec, admin), never to a rep, since a team
total would reveal colleagues' figures.
"""
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..api import PAGINATE, configure_required, fail, login_required, page
from ..db import database
from ..org import scopes
from ..org.models import Period, Person, Unit
from . import colours, definitions
from .models import (AGGREGATIONS, BASES, COLOURS, FILTER_OPS, KINDS, SOURCES, SUBJECT_TYPES,
                     WINDOWS, CompositePart, Metric, MetricFilter, MetricValue,
                     SeasonalityCurve, Target)

bp = Blueprint("metrics", __name__, url_prefix="/api/v1/metrics",
               description="Metric definitions, values per person/unit/period, targets.")


class FilterSchema(Schema):
    field = fields.String(required=True, validate=validate.Length(min=1, max=100))
    op = fields.String(required=True, validate=validate.OneOf([o for o, _ in FILTER_OPS]))
    value = fields.String(load_default="", validate=validate.Length(max=500))


class PartSchema(Schema):
    part_key = fields.String(required=True)
    weight = fields.Float(required=True)


class BandSchema(Schema):
    colour = fields.String(required=True, validate=validate.OneOf(COLOURS))
    lower = fields.Float(allow_none=True, load_default=None)
    upper = fields.Float(allow_none=True, load_default=None)
    consecutive = fields.Integer(load_default=1, validate=validate.Range(1, 52))
    label = fields.String(load_default="", validate=validate.Length(max=200))


class ColourRuleSchema(Schema):
    basis = fields.String(load_default="pace", validate=validate.OneOf([b for b, _ in BASES]))
    description = fields.String(load_default="", validate=validate.Length(max=300))
    bands = fields.List(fields.Nested(BandSchema), required=True)


class LegendSchema(Schema):
    colour = fields.String()
    range = fields.String()
    label = fields.String()
    consecutive = fields.Integer()


class MetricSchema(Schema):
    id = fields.Integer(dump_only=True)
    key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="")
    kind = fields.String(load_default="aggregate", validate=validate.OneOf([k for k, _ in KINDS]))
    source = fields.String(load_default="records",
                           validate=validate.OneOf([s for s, _ in SOURCES]))
    record_types = fields.String(load_default="", validate=validate.Length(max=200))
    form_key = fields.String(allow_none=True, load_default=None)
    aggregation = fields.String(load_default="count",
                                validate=validate.OneOf([a for a, _ in AGGREGATIONS]))
    field = fields.String(allow_none=True, load_default=None)
    numerator_key = fields.String(allow_none=True, load_default=None)
    denominator_key = fields.String(allow_none=True, load_default=None)
    formula = fields.String(allow_none=True, load_default=None)
    window = fields.String(load_default="period", validate=validate.OneOf([w for w, _ in WINDOWS]))
    rolling_days = fields.Integer(allow_none=True, load_default=None)
    period_kinds = fields.String(load_default="quarter")
    by_person = fields.Boolean(load_default=True)
    by_unit = fields.Boolean(load_default=True)
    unit_label = fields.String(load_default="", validate=validate.Length(max=32))
    decimals = fields.Integer(load_default=0)
    active = fields.Boolean(load_default=True)
    filters = fields.List(fields.Nested(FilterSchema), load_default=list)
    parts = fields.List(fields.Nested(PartSchema), load_default=list)
    colour_rule = fields.Nested(ColourRuleSchema, allow_none=True, load_default=None)
    legend = fields.List(fields.Nested(LegendSchema), dump_only=True)


class ValueQuerySchema(Schema):
    metric = fields.String(metadata={"description": "a metric key"})
    subject_type = fields.String(validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.Integer()
    period_id = fields.Integer()
    period_kind = fields.String(validate=validate.OneOf(["week", "month", "quarter", "year"]))
    colour = fields.String(validate=validate.OneOf(COLOURS))
    as_of = fields.Date(metadata={"description": "the value of the rows up to this day, with "
                                              "its plan, pace and colour on that day"})


class ValueSchema(Schema):
    metric = fields.String()
    subject_type = fields.String()
    subject_id = fields.Integer()
    subject_name = fields.String()
    period_id = fields.Integer()
    period = fields.String()
    value = fields.Float(allow_none=True)
    n = fields.Integer()
    flag = fields.String(allow_none=True)
    target = fields.Float(allow_none=True)
    expected = fields.Float(allow_none=True)
    pace = fields.Float(allow_none=True, metadata={"description": "value / expected"})
    deviation = fields.Float(allow_none=True,
                             metadata={"description": "-0.15 = behind plan by 15%"})
    colour = fields.String(allow_none=True)
    colour_label = fields.String(allow_none=True)


class TargetSchema(Schema):
    id = fields.Integer(dump_only=True)
    metric = fields.String(required=True)
    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.Integer(required=True)
    period_id = fields.Integer(required=True)
    value = fields.Float(required=True, validate=validate.Range(min=0))
    curve = fields.String(allow_none=True, load_default=None,
                          metadata={"description": "a seasonality curve name"})
    derivation = fields.String(dump_only=True)


class RebuildSchema(Schema):
    metrics = fields.Integer()
    keys = fields.Integer()
    changed = fields.Integer()
    values = fields.Integer()
    seconds = fields.Float()


def dump_metric(m):
    rule, bands = colours.rule_for(m.id)
    return {
        **{f: getattr(m, f) for f in definitions.FIELDS}, "id": m.id,
        "numerator_key": m.numerator.key if m.numerator_id else None,
        "denominator_key": m.denominator.key if m.denominator_id else None,
        "filters": [{"field": f.field, "op": f.op, "value": f.value}
                    for f in MetricFilter.select().where(MetricFilter.metric == m)
                    .order_by(MetricFilter.id)],
        "parts": [{"part_key": p.part.key, "weight": p.weight}
                  for p in CompositePart.select().where(CompositePart.metric == m)
                  .order_by(CompositePart.id)],
        "colour_rule": ({"basis": rule.basis, "description": rule.description,
                         "bands": [{"colour": b.colour, "lower": b.lower, "upper": b.upper,
                                    "consecutive": b.consecutive, "label": b.label}
                                   for b in bands]} if rule else None),
        "legend": colours.legend(m.id),
    }


def _metric_or_404(key):
    m = Metric.get_or_none(Metric.key == key)
    if m is None:
        fail(404, f"No metric {key!r}.")
    return m


def _save(data, metric=None):
    filters = data.pop("filters", [])
    parts = data.pop("parts", [])
    rule = data.pop("colour_rule", None)
    try:
        return definitions.save(data, filters, parts, metric=metric, colour_rule=rule)
    except definitions.MetricError as exc:
        fail(422, f"The metric cannot be saved: {exc}", exc.errors)


@bp.route("/")
class Metrics(MethodView):
    decorators = [login_required]

    @bp.response(200, MetricSchema(many=True))
    def get(self):
        """List metric definitions with their colour legends."""
        return [dump_metric(m) for m in Metric.select().order_by(Metric.key)]

    @configure_required
    @bp.arguments(MetricSchema)
    @bp.response(201, MetricSchema)
    def post(self, data):
        """Define a metric (hr, admin); its values are computed at once."""
        return dump_metric(_save(data))


@bp.route("/<string:key>")
class MetricItem(MethodView):
    decorators = [login_required]

    @bp.response(200, MetricSchema)
    def get(self, key):
        """One metric definition with its colour legend."""
        return dump_metric(_metric_or_404(key))

    @configure_required
    @bp.arguments(MetricSchema)
    @bp.response(200, MetricSchema)
    def put(self, data, key):
        """Replace a metric definition (hr, admin); its values are rebuilt."""
        return dump_metric(_save(data, metric=_metric_or_404(key)))


def _visible_subjects(viewer):
    """(person ids subquery, unit id list or None for all) the viewer may read values of."""
    scope = scopes.scope_of(viewer)
    if scope == "all":
        return None, None
    units = [] if scope == "own" else [u.id for u in scopes.visible_units(viewer)]
    return scopes.visible_person_ids(viewer), units


def visible_values(viewer):
    """MetricValue rows the viewer may read."""
    q = MetricValue.select(MetricValue, Metric, Period).join(Metric).switch(MetricValue).join(
        Period)
    people, units = _visible_subjects(viewer)
    if people is None:
        return q
    person_ids = [p.id for p in people]
    cond = (MetricValue.subject_type == "person") & MetricValue.subject_id.in_(person_ids or [0])
    if units:
        cond |= (MetricValue.subject_type == "unit") & MetricValue.subject_id.in_(units)
    return q.where(cond)


def subject_names(rows):
    people = {r.subject_id for r in rows if r.subject_type == "person"}
    units = {r.subject_id for r in rows if r.subject_type == "unit"}
    names = {}
    if people:
        names.update({("person", p.id): p.name for p in Person.select().where(Person.id.in_(people))})
    if units:
        names.update({("unit", u.id): u.name for u in Unit.select().where(Unit.id.in_(units))})
    return names


def dump_values(rows, as_of=None):
    """Value rows as API dicts; with ``as_of`` the value is that of the rows up to that day,
    and its plan, pace and colour are measured on that day (``engine.state_on``)."""
    from .engine import state_on

    names = subject_names(rows)
    engines = {}
    labels = {}
    out = []
    for r in rows:
        if r.metric_id not in labels:
            labels[r.metric_id] = {b["colour"]: b["label"] or b["range"]
                                   for b in reversed(colours.legend(r.metric_id))}
        s = r
        if as_of is not None:
            s = state_on((r.metric_id, r.subject_type, r.subject_id, r.period_id), as_of,
                         engines) or r
        ratio, colour = s.pace, s.colour
        out.append({"metric": r.metric.key, "subject_type": r.subject_type,
                    "subject_id": r.subject_id,
                    "subject_name": names.get((r.subject_type, r.subject_id), ""),
                    "period_id": r.period_id, "period": r.period.name, "value": s.value,
                    "n": s.n, "flag": s.flag, "target": s.target, "expected": s.expected,
                    "pace": ratio, "deviation": None if ratio is None else ratio - 1,
                    "colour": colour,
                    "colour_label": labels[r.metric_id].get(colour) if colour else None})
    return out


@bp.route("/values")
class Values(MethodView):
    decorators = [login_required]

    @bp.arguments(ValueQuerySchema, location="query")
    @bp.response(200, ValueSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, args, pagination_parameters):
        """Metric values for people and units you may see, by metric, subject and period.

        A person or unit outside your scope gives an empty list, as one without values."""
        q = visible_values(current_user)
        if "metric" in args:
            q = q.where(Metric.key == args["metric"])
        for key in ("subject_type", "subject_id", "colour"):
            if key in args:
                q = q.where(getattr(MetricValue, key) == args[key])
        if "period_id" in args:
            q = q.where(MetricValue.period == args["period_id"])
        if "period_kind" in args:
            q = q.where(Period.kind == args["period_kind"])
        rows = page(q.order_by(Metric.key, Period.start, MetricValue.subject_type,
                               MetricValue.subject_id), pagination_parameters)
        return dump_values(rows, args.get("as_of"))


def dump_target(t):
    return {"id": t.id, "metric": t.metric.key, "subject_type": t.subject_type,
            "subject_id": t.subject_id, "period_id": t.period_id, "value": t.value,
            "curve": t.curve.name if t.curve_id else None, "derivation": t.derivation}


class TargetQuerySchema(Schema):
    metric = fields.String()
    period_id = fields.Integer()
    subject_type = fields.String(validate=validate.OneOf(SUBJECT_TYPES))
    subject_id = fields.Integer()


@bp.route("/targets")
class Targets(MethodView):
    decorators = [login_required]

    @bp.arguments(TargetQuerySchema, location="query")
    @bp.response(200, TargetSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, args, pagination_parameters):
        """Targets of people and units you may see, with how derived ones were computed."""
        q = Target.select(Target, Metric).join(Metric)
        people, units = _visible_subjects(current_user)
        if people is not None:
            ids = [p.id for p in people]
            cond = (Target.subject_type == "person") & Target.subject_id.in_(ids or [0])
            if units:
                cond |= (Target.subject_type == "unit") & Target.subject_id.in_(units)
            q = q.where(cond)
        if "metric" in args:
            q = q.where(Metric.key == args["metric"])
        for key in ("subject_type", "subject_id"):
            if key in args:
                q = q.where(getattr(Target, key) == args[key])
        if "period_id" in args:
            q = q.where(Target.period == args["period_id"])
        return [dump_target(t) for t in page(q.order_by(Target.id), pagination_parameters)]

    @configure_required
    @bp.arguments(TargetSchema)
    @bp.response(200, TargetSchema)
    def put(self, data):
        """Set the target of a metric for a person or unit and period (hr, admin)."""
        try:
            t = set_target(**data)
        except ValueError as exc:
            field, message = exc.args
            fail(422, message, {field: [message]})
        return dump_target(t)


KEEP = object()


def set_target(metric, subject_type, subject_id, period_id, value, curve=None,
               derivation=""):
    """Create or change a target, then recompute the value it plans. Raises
    ValueError(field, message) on a reference to nothing. ``curve=KEEP`` leaves the curve
    an existing target has (a derived value must not drop the curve HR chose)."""
    from .updates import recompute_key

    m = Metric.get_or_none(Metric.key == metric)
    if m is None:
        raise ValueError("metric", f"unknown metric {metric!r}")
    model = Person if subject_type == "person" else Unit
    if not model.select().where(model.id == subject_id).exists():
        raise ValueError("subject_id", f"no {subject_type} {subject_id}")
    period = Period.get_or_none(Period.id == period_id)
    if period is None:
        raise ValueError("period_id", f"no period {period_id}")
    if period.kind not in m.kinds:
        raise ValueError("period_id", f"{m.key} is computed per {m.period_kinds}, "
                                      f"not per {period.kind}")
    curve_obj = None
    if curve and curve is not KEEP:
        curve_obj = SeasonalityCurve.get_or_none(SeasonalityCurve.name == curve)
        if curve_obj is None:
            raise ValueError("curve", f"no seasonality curve {curve!r}")
    with database.atomic():
        t = Target.get_or_none((Target.metric == m) & (Target.subject_type == subject_type)
                               & (Target.subject_id == subject_id) & (Target.period == period))
        if t is None:
            t = Target(metric=m, subject_type=subject_type, subject_id=subject_id,
                       period=period)
        t.value, t.derivation = value, derivation
        if curve is not KEEP:
            t.curve = curve_obj
        t.save()
        recompute_key(m.id, subject_type, subject_id, period.id)
    return t


@bp.route("/rebuild")
class Rebuild(MethodView):
    decorators = [configure_required]

    @bp.response(200, RebuildSchema)
    def post(self):
        """Recompute every metric value from scratch (hr, admin)."""
        from .rebuild import rebuild
        return rebuild()
