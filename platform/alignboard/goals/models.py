"""Objectives and key results (KR-points), check-ins, hygiene settings, and the weighted
inheritance of targets (target plans, HQ weights, local factors HR enters per unit)."""
import peewee as pw

from ..db import BaseModel, JSONField, utcnow
from ..metrics.models import Metric
from ..org.models import Period, Person, Unit

HEALTH_MODES = [("weakest", "the weakest key result decides"),
                ("weighted", "weighted by the key results' weights")]


class Objective(BaseModel):
    """An objective of a person or a unit for a period, linked to the parent objective it
    serves; ``tags`` name its focus (industries, product lines) for the alignment check."""

    title = pw.CharField(max_length=300)
    description = pw.TextField(default="")
    period = pw.ForeignKeyField(Period, on_delete="RESTRICT")
    owner = pw.ForeignKeyField(Person, null=True, backref="objectives", on_delete="CASCADE")
    unit = pw.ForeignKeyField(Unit, null=True, backref="objectives", on_delete="CASCADE")
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="SET NULL")
    tags = pw.CharField(max_length=300, default="")
    weight = pw.DoubleField(default=100)
    health_mode = pw.CharField(max_length=16, default="weakest", choices=HEALTH_MODES)
    created_at = pw.DateTimeField(default=utcnow)

    def __str__(self):
        return self.title

    @property
    def tag_set(self):
        return {t.strip().lower() for t in (self.tags or "").replace("，", ",").split(",")
                if t.strip()}


class KeyResult(BaseModel):
    """A KR-point: owner, acceptance criterion, deadline, target value and unit, weight,
    and the metric that measures it (or manual check-ins when there is none)."""

    objective = pw.ForeignKeyField(Objective, backref="key_results", on_delete="CASCADE")
    title = pw.CharField(max_length=300)
    owner = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    criterion = pw.TextField(default="")
    deadline = pw.DateField(null=True)
    start_value = pw.DoubleField(default=0)
    target_value = pw.DoubleField(null=True)
    unit_label = pw.CharField(max_length=32, default="")
    weight = pw.DoubleField(default=0)
    metric = pw.ForeignKeyField(Metric, null=True, on_delete="SET NULL")
    current_value = pw.DoubleField(null=True)

    def __str__(self):
        return self.title


class CheckIn(BaseModel):
    """The three-field check-in: the key result (goal), progress, blocker."""

    key_result = pw.ForeignKeyField(KeyResult, backref="check_ins", on_delete="CASCADE")
    person = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    progress = pw.DoubleField()
    blocker = pw.TextField(default="")
    note = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)


class HygieneSettings(BaseModel):
    """OKR hygiene checks HR can tune (one row; defaults when there is none)."""

    max_objectives = pw.IntegerField(default=3)
    # Verbs that make a key result an activity, comma or newline separated; empty = defaults.
    activity_verbs = pw.TextField(default="")
    check_activity = pw.BooleanField(default=True)
    check_max_objectives = pw.BooleanField(default=True)
    check_weights = pw.BooleanField(default=True)
    check_alignment = pw.BooleanField(default=True)


class LocalFactor(BaseModel):
    """A local factor HR enters per unit (customer density, competition...), a score where
    more means more potential."""

    unit = pw.ForeignKeyField(Unit, on_delete="CASCADE")
    key = pw.CharField(max_length=64)
    value = pw.DoubleField()

    class Meta:
        indexes = ((("unit", "key"), True),)


class TargetPlan(BaseModel):
    """Weighted inheritance: ``total`` of ``parent_unit`` split over its child units,
    ``inherit_pct`` by HQ's weights and the rest by the children's local factors."""

    name = pw.CharField(max_length=200)
    metric = pw.ForeignKeyField(Metric, on_delete="CASCADE")
    period = pw.ForeignKeyField(Period, on_delete="CASCADE")
    parent_unit = pw.ForeignKeyField(Unit, on_delete="CASCADE")
    total = pw.DoubleField()
    inherit_pct = pw.DoubleField(default=70)
    factor_keys = pw.CharField(max_length=300, default="")
    applied = JSONField(null=True)

    def __str__(self):
        return self.name


class PlanWeight(BaseModel):
    """HQ's weight for one child unit in a plan (equal weights when none are given)."""

    plan = pw.ForeignKeyField(TargetPlan, backref="weights", on_delete="CASCADE")
    unit = pw.ForeignKeyField(Unit, on_delete="CASCADE")
    hq_weight = pw.DoubleField()


MODELS = [Objective, KeyResult, CheckIn, HygieneSettings, LocalFactor, TargetPlan, PlanWeight]
