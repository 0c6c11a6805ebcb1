"""Metric definitions, their stored values, targets, seasonality curves and colour rules.

A metric is configuration HR edits in the admin: where its rows come from (records of some
types, or submissions of a form), which rows count (filters), how they are combined
(aggregation), over which time window and for which subjects (people, units rolled up
through the tree) and period kinds. A formula or composite metric combines other metrics of
the same subject and period. ``MetricValue`` holds the computed values, kept current by
``metrics.updates`` and rebuilt by ``metrics.rebuild``.
"""
import peewee as pw

from ..db import BaseModel, utcnow
from ..org.models import Period

KINDS = [("aggregate", "aggregate of rows"), ("formula", "formula over other metrics"),
         ("composite", "weighted composite score")]
SOURCES = [("records", "records of type(s)"), ("form", "submissions of a form")]
AGGREGATIONS = [("count", "count"), ("distinct", "distinct count of a field"),
                ("sum", "sum"), ("avg", "average"), ("min", "minimum"), ("max", "maximum"),
                ("ratio", "ratio of two metrics")]
WINDOWS = [("period", "the period"), ("rolling", "rolling N days up to the period end"),
           ("to_date", "year to date, up to the period end")]
FILTER_OPS = [("eq", "="), ("ne", "≠"), ("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"),
              ("in", "one of (comma separated)"), ("contains", "contains"),
              ("empty", "is empty"), ("not_empty", "is not empty")]
PERIOD_KINDS = ("week", "month", "quarter", "year")
SUBJECT_TYPES = ("person", "unit")
BASES = [("value", "the value"), ("target", "% of target"), ("pace", "% of pace (plan to date)")]
COLOURS = ("green", "amber", "red", "blue", "grey")


class Metric(BaseModel):
    key = pw.CharField(max_length=64, unique=True)
    name = pw.CharField(max_length=200)
    description = pw.TextField(default="")
    kind = pw.CharField(max_length=16, default="aggregate", choices=KINDS)
    source = pw.CharField(max_length=16, default="records", choices=SOURCES)
    # Comma-separated record types, e.g. "deal,collection".
    record_types = pw.CharField(max_length=200, default="")
    form_key = pw.CharField(max_length=64, null=True)
    aggregation = pw.CharField(max_length=16, default="count", choices=AGGREGATIONS)
    field = pw.CharField(max_length=100, null=True)
    numerator = pw.ForeignKeyField("self", null=True, backref="as_numerator",
                                   on_delete="RESTRICT")
    denominator = pw.ForeignKeyField("self", null=True, backref="as_denominator",
                                     on_delete="RESTRICT")
    formula = pw.TextField(null=True)
    window = pw.CharField(max_length=16, default="period", choices=WINDOWS)
    rolling_days = pw.IntegerField(null=True)
    # Comma-separated period kinds the metric is computed for, e.g. "week,quarter".
    period_kinds = pw.CharField(max_length=64, default="quarter")
    by_person = pw.BooleanField(default=True)
    by_unit = pw.BooleanField(default=True)
    unit_label = pw.CharField(max_length=32, default="")
    decimals = pw.IntegerField(default=0)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    def __str__(self):
        return f"{self.name} ({self.key})"

    @property
    def types(self):
        return [t.strip() for t in (self.record_types or "").split(",") if t.strip()]

    @property
    def kinds(self):
        return [k.strip() for k in (self.period_kinds or "").split(",") if k.strip()]

    @property
    def subject_types(self):
        return [s for s, on in (("person", self.by_person), ("unit", self.by_unit)) if on]


class MetricFilter(BaseModel):
    """One condition a row must meet: ``field op value`` (all conditions must hold)."""

    metric = pw.ForeignKeyField(Metric, backref="filters", on_delete="CASCADE")
    field = pw.CharField(max_length=100)
    op = pw.CharField(max_length=16, default="eq", choices=FILTER_OPS)
    value = pw.CharField(max_length=500, default="")

    def __str__(self):
        return f"{self.field} {self.op} {self.value}"


class CompositePart(BaseModel):
    """A part of a composite score: ``weight`` percent of the part metric's value."""

    metric = pw.ForeignKeyField(Metric, backref="parts", on_delete="CASCADE")
    part = pw.ForeignKeyField(Metric, backref="used_in", on_delete="RESTRICT")
    weight = pw.DoubleField(default=0)


class SeasonalityCurve(BaseModel):
    """Relative weights of equal slices of a period, e.g. "1,1,2" (the last third counts
    double): the expected share of a target at a date follows them instead of a line."""

    name = pw.CharField(max_length=100, unique=True)
    weights = pw.CharField(max_length=500)

    def __str__(self):
        return self.name

    @property
    def values(self):
        return [float(w) for w in self.weights.split(",") if w.strip()]


class Target(BaseModel):
    """The plan for one metric, subject (person or unit) and period."""

    metric = pw.ForeignKeyField(Metric, backref="targets", on_delete="CASCADE")
    subject_type = pw.CharField(max_length=8, choices=[(s, s) for s in SUBJECT_TYPES])
    subject_id = pw.IntegerField()
    period = pw.ForeignKeyField(Period, on_delete="CASCADE")
    value = pw.DoubleField()
    curve = pw.ForeignKeyField(SeasonalityCurve, null=True, on_delete="SET NULL")
    # How the value was computed when it was derived (weighted inheritance), for people.
    derivation = pw.TextField(default="")

    class Meta:
        indexes = ((("metric", "subject_type", "subject_id", "period"), True),)


class MetricValue(BaseModel):
    """A computed value for one metric, subject and period, with its plan and colour."""

    metric = pw.ForeignKeyField(Metric, backref="values", on_delete="CASCADE")
    subject_type = pw.CharField(max_length=8)
    subject_id = pw.IntegerField()
    period = pw.ForeignKeyField(Period, on_delete="CASCADE")
    value = pw.DoubleField(null=True)
    # How many source rows went into the value (for derived metrics: of their inputs).
    n = pw.IntegerField(default=0)
    # Why the value is missing or doubtful ("division by zero"...): never a crash.
    flag = pw.CharField(max_length=200, null=True)
    target = pw.DoubleField(null=True)
    expected = pw.DoubleField(null=True)
    pace = pw.DoubleField(null=True)
    colour = pw.CharField(max_length=16, null=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("metric", "subject_type", "subject_id", "period"), True),
                   (("subject_type", "subject_id"), False))


class ColourRule(BaseModel):
    """How a metric's values are coloured: bands on the value, % of target or % of pace."""

    metric = pw.ForeignKeyField(Metric, backref="colour_rules", unique=True,
                                on_delete="CASCADE")
    basis = pw.CharField(max_length=16, default="pace", choices=BASES)
    description = pw.CharField(max_length=300, default="")

    def __str__(self):
        return f"colours of {self.metric.key}"


class ColourBand(BaseModel):
    """``lower <= basis < upper`` gives ``colour``; with ``consecutive`` N > 1 only when the
    N - 1 previous periods of the same kind were in the band too. Bands with a larger N
    are checked first, so "red after two weeks behind" can sit above "amber when behind"."""

    rule = pw.ForeignKeyField(ColourRule, backref="bands", on_delete="CASCADE")
    colour = pw.CharField(max_length=16, choices=[(c, c) for c in COLOURS])
    lower = pw.DoubleField(null=True)
    upper = pw.DoubleField(null=True)
    consecutive = pw.IntegerField(default=1)
    label = pw.CharField(max_length=200, default="")


MODELS = [Metric, MetricFilter, CompositePart, SeasonalityCurve, Target, MetricValue,
          ColourRule, ColourBand]
