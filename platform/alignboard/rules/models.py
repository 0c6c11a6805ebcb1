"""Rules as data, their episodes, clocks, firings, problems and the worker's event claims."""
import peewee as pw

from ..db import BaseModel, JSONField, utcnow
from ..org.models import Person, Unit


class Rule(BaseModel):
    """A trigger, conditions and actions, stored as data.

    ``definition`` is the whole rule as HR wrote it (the YAML form: trigger, conditions as
    builder rows, actions); ``ruleset`` is the durable_rules JSON ruleset the conditions
    compile to, the stored form the engine matches with. ``version`` grows on every change.
    """

    key = pw.CharField(max_length=100, unique=True)
    name = pw.CharField(max_length=200)
    description = pw.TextField(default="")
    enabled = pw.BooleanField(default=False)
    trigger_type = pw.CharField(max_length=16)
    definition = JSONField()
    ruleset = JSONField()
    version = pw.IntegerField(default=1)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    def __str__(self):
        return self.key


class RuleEpisode(BaseModel):
    """Whether a rule's condition currently holds for a subject (fire once, re-arm)."""

    rule = pw.ForeignKeyField(Rule, on_delete="CASCADE")
    subject_key = pw.CharField(max_length=200)
    open = pw.BooleanField(default=False)
    since = pw.DateTimeField(null=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("rule", "subject_key"), True),)


class RuleClock(BaseModel):
    """How far the scheduler got for a rule: the last minute or the last day evaluated."""

    rule = pw.ForeignKeyField(Rule, on_delete="CASCADE", unique=True)
    last_run_at = pw.DateTimeField(null=True)  # local wall time of the last checked minute
    last_day = pw.DateField(null=True)  # last day an absence window was evaluated


class RuleStreak(BaseModel):
    """Consecutive periods in which a streak rule's event condition held for a subject."""

    rule = pw.ForeignKeyField(Rule, on_delete="CASCADE")
    subject_key = pw.CharField(max_length=200)
    last_period_start = pw.DateField(null=True)
    count = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("rule", "subject_key"), True),)


class RuleFiring(BaseModel):
    """One firing: which rule, about whom, when, the facts, what each action did."""

    rule = pw.ForeignKeyField(Rule, backref="firings", on_delete="CASCADE")
    rule_version = pw.IntegerField()
    subject_type = pw.CharField(max_length=32)
    subject_id = pw.IntegerField(null=True)
    subject_key = pw.CharField(max_length=200)
    person = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")
    unit = pw.ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    at = pw.DateTimeField(index=True)  # naive UTC
    day = pw.DateField(null=True)  # the evaluated day, for absence windows
    facts = JSONField(default=dict)
    recipients = JSONField(default=list)  # logins
    outcomes = JSONField(default=list)  # one entry per action
    event_id = pw.IntegerField(null=True)
    dedupe_key = pw.CharField(max_length=300, unique=True)
    created_at = pw.DateTimeField(default=utcnow)


class RuleProblem(BaseModel):
    """A rule that could not be evaluated or acted on, with the reason; the engine went on."""

    rule = pw.ForeignKeyField(Rule, null=True, on_delete="CASCADE")
    event_id = pw.IntegerField(null=True)
    message = pw.TextField()
    created_at = pw.DateTimeField(default=utcnow, index=True)


class RuleEventClaim(BaseModel):
    """An outbox event taken by a worker; the unique event id makes the claim exclusive."""

    event_id = pw.IntegerField(unique=True)
    worker = pw.CharField(max_length=100)
    claimed_at = pw.DateTimeField(default=utcnow)


MODELS = [Rule, RuleEpisode, RuleClock, RuleStreak, RuleFiring, RuleProblem, RuleEventClaim]
