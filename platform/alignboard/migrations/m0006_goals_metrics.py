"""Metric definitions, values, targets, colour rules; objectives, key results, check-ins."""
import peewee as pw

from ..db import JSONField, utcnow
from . import existing_table, frozen_base


def up(db, migrator):
    Base = frozen_base(db)

    Person = existing_table(Base, "person")

    Unit = existing_table(Base, "unit")

    Period = existing_table(Base, "period")

    class Metric(Base):
        key = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=200)
        description = pw.TextField(default="")
        kind = pw.CharField(max_length=16, default="aggregate")
        source = pw.CharField(max_length=16, default="records")
        record_types = pw.CharField(max_length=200, default="")
        form_key = pw.CharField(max_length=64, null=True)
        aggregation = pw.CharField(max_length=16, default="count")
        field = pw.CharField(max_length=100, null=True)
        numerator = pw.ForeignKeyField("self", null=True, backref="as_numerator",
                                       on_delete="RESTRICT")
        denominator = pw.ForeignKeyField("self", null=True, backref="as_denominator",
                                         on_delete="RESTRICT")
        formula = pw.TextField(null=True)
        window = pw.CharField(max_length=16, default="period")
        rolling_days = pw.IntegerField(null=True)
        period_kinds = pw.CharField(max_length=64, default="quarter")
        by_person = pw.BooleanField(default=True)
        by_unit = pw.BooleanField(default=True)
        unit_label = pw.CharField(max_length=32, default="")
        decimals = pw.IntegerField(default=0)
        active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField(default=utcnow)
        updated_at = pw.DateTimeField(default=utcnow)

    class MetricFilter(Base):
        metric = pw.ForeignKeyField(Metric, backref="filters", on_delete="CASCADE")
        field = pw.CharField(max_length=100)
        op = pw.CharField(max_length=16, default="eq")
        value = pw.CharField(max_length=500, default="")

    class CompositePart(Base):
        metric = pw.ForeignKeyField(Metric, backref="parts", on_delete="CASCADE")
        part = pw.ForeignKeyField(Metric, backref="used_in", on_delete="RESTRICT")
        weight = pw.DoubleField(default=0)

    class SeasonalityCurve(Base):
        name = pw.CharField(max_length=100, unique=True)
        weights = pw.CharField(max_length=500)

    class Target(Base):
        metric = pw.ForeignKeyField(Metric, backref="targets", on_delete="CASCADE")
        subject_type = pw.CharField(max_length=8)
        subject_id = pw.IntegerField()
        period = pw.ForeignKeyField(Period, on_delete="CASCADE")
        value = pw.DoubleField()
        curve = pw.ForeignKeyField(SeasonalityCurve, null=True, on_delete="SET NULL")
        derivation = pw.TextField(default="")

        class Meta:
            indexes = ((("metric", "subject_type", "subject_id", "period"), True),)

    class MetricValue(Base):
        metric = pw.ForeignKeyField(Metric, backref="values", on_delete="CASCADE")
        subject_type = pw.CharField(max_length=8)
        subject_id = pw.IntegerField()
        period = pw.ForeignKeyField(Period, on_delete="CASCADE")
        value = pw.DoubleField(null=True)
        n = pw.IntegerField(default=0)
        flag = pw.CharField(max_length=200, null=True)
        target = pw.DoubleField(null=True)
        expected = pw.DoubleField(null=True)
        pace = pw.DoubleField(null=True)
        colour = pw.CharField(max_length=16, null=True)
        updated_at = pw.DateTimeField(default=utcnow)

        class Meta:
            indexes = ((("metric", "subject_type", "subject_id", "period"), True),
                       (("subject_type", "subject_id"), False))

    class ColourRule(Base):
        metric = pw.ForeignKeyField(Metric, backref="colour_rules", unique=True,
                                    on_delete="CASCADE")
        basis = pw.CharField(max_length=16, default="pace")
        description = pw.CharField(max_length=300, default="")

    class ColourBand(Base):
        rule = pw.ForeignKeyField(ColourRule, backref="bands", on_delete="CASCADE")
        colour = pw.CharField(max_length=16)
        lower = pw.DoubleField(null=True)
        upper = pw.DoubleField(null=True)
        consecutive = pw.IntegerField(default=1)
        label = pw.CharField(max_length=200, default="")

    class Objective(Base):
        title = pw.CharField(max_length=300)
        description = pw.TextField(default="")
        period = pw.ForeignKeyField(Period, on_delete="RESTRICT")
        owner = pw.ForeignKeyField(Person, null=True, on_delete="CASCADE")
        unit = pw.ForeignKeyField(Unit, null=True, on_delete="CASCADE")
        parent = pw.ForeignKeyField("self", null=True, backref="children",
                                    on_delete="SET NULL")
        tags = pw.CharField(max_length=300, default="")
        weight = pw.DoubleField(default=100)
        health_mode = pw.CharField(max_length=16, default="weakest")
        created_at = pw.DateTimeField(default=utcnow)

    class KeyResult(Base):
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

    class CheckIn(Base):
        key_result = pw.ForeignKeyField(KeyResult, backref="check_ins", on_delete="CASCADE")
        person = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")
        progress = pw.DoubleField()
        blocker = pw.TextField(default="")
        note = pw.TextField(default="")
        created_at = pw.DateTimeField(default=utcnow)

    class HygieneSettings(Base):
        max_objectives = pw.IntegerField(default=3)
        activity_verbs = pw.TextField(default="")
        check_activity = pw.BooleanField(default=True)
        check_max_objectives = pw.BooleanField(default=True)
        check_weights = pw.BooleanField(default=True)
        check_alignment = pw.BooleanField(default=True)

    class LocalFactor(Base):
        unit = pw.ForeignKeyField(Unit, on_delete="CASCADE")
        key = pw.CharField(max_length=64)
        value = pw.DoubleField()

        class Meta:
            indexes = ((("unit", "key"), True),)

    class TargetPlan(Base):
        name = pw.CharField(max_length=200)
        metric = pw.ForeignKeyField(Metric, on_delete="CASCADE")
        period = pw.ForeignKeyField(Period, on_delete="CASCADE")
        parent_unit = pw.ForeignKeyField(Unit, on_delete="CASCADE")
        total = pw.DoubleField()
        inherit_pct = pw.DoubleField(default=70)
        factor_keys = pw.CharField(max_length=300, default="")
        applied = JSONField(null=True)

    class PlanWeight(Base):
        plan = pw.ForeignKeyField(TargetPlan, backref="weights", on_delete="CASCADE")
        unit = pw.ForeignKeyField(Unit, on_delete="CASCADE")
        hq_weight = pw.DoubleField()

    db.create_tables([Metric, MetricFilter, CompositePart, SeasonalityCurve, Target,
                      MetricValue, ColourRule, ColourBand, Objective, KeyResult, CheckIn,
                      HygieneSettings, LocalFactor, TargetPlan, PlanWeight])
