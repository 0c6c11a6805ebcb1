"""Rules (definitions, episodes, clocks, streaks, firings, problems, event claims) and
notifications (inbox, delivery queue, form tasks, subject flags)."""
import peewee as pw

from ..db import JSONField, utcnow
from . import existing_table, frozen_base


def up(db, migrator):
    Base = frozen_base(db)

    Person = existing_table(Base, "person")

    Unit = existing_table(Base, "unit")

    class Rule(Base):
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

    class RuleEpisode(Base):
        rule = pw.ForeignKeyField(Rule, on_delete="CASCADE")
        subject_key = pw.CharField(max_length=200)
        open = pw.BooleanField(default=False)
        since = pw.DateTimeField(null=True)
        updated_at = pw.DateTimeField(default=utcnow)

        class Meta:
            indexes = ((("rule", "subject_key"), True),)

    class RuleClock(Base):
        rule = pw.ForeignKeyField(Rule, on_delete="CASCADE", unique=True)
        last_run_at = pw.DateTimeField(null=True)
        last_day = pw.DateField(null=True)

    class RuleStreak(Base):
        rule = pw.ForeignKeyField(Rule, on_delete="CASCADE")
        subject_key = pw.CharField(max_length=200)
        last_period_start = pw.DateField(null=True)
        count = pw.IntegerField(default=0)

        class Meta:
            indexes = ((("rule", "subject_key"), True),)

    class RuleFiring(Base):
        rule = pw.ForeignKeyField(Rule, on_delete="CASCADE")
        rule_version = pw.IntegerField()
        subject_type = pw.CharField(max_length=32)
        subject_id = pw.IntegerField(null=True)
        subject_key = pw.CharField(max_length=200)
        person = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")
        unit = pw.ForeignKeyField(Unit, null=True, on_delete="SET NULL")
        at = pw.DateTimeField(index=True)
        day = pw.DateField(null=True)
        facts = JSONField(default=dict)
        recipients = JSONField(default=list)
        outcomes = JSONField(default=list)
        event_id = pw.IntegerField(null=True)
        dedupe_key = pw.CharField(max_length=300, unique=True)
        created_at = pw.DateTimeField(default=utcnow)

    class RuleProblem(Base):
        rule = pw.ForeignKeyField(Rule, null=True, on_delete="CASCADE")
        event_id = pw.IntegerField(null=True)
        message = pw.TextField()
        created_at = pw.DateTimeField(default=utcnow, index=True)

    class RuleEventClaim(Base):
        event_id = pw.IntegerField(unique=True)
        worker = pw.CharField(max_length=100)
        claimed_at = pw.DateTimeField(default=utcnow)

    class Notification(Base):
        person = pw.ForeignKeyField(Person, on_delete="CASCADE")
        kind = pw.CharField(max_length=32, default="alert")
        title = pw.CharField(max_length=300)
        body = pw.TextField(default="")
        links = JSONField(default=list)
        firing_id = pw.IntegerField(null=True, index=True)
        created_at = pw.DateTimeField(default=utcnow, index=True)
        read_at = pw.DateTimeField(null=True)

        class Meta:
            indexes = ((("person", "read_at"), False),)

    class Delivery(Base):
        firing_id = pw.IntegerField(null=True, index=True)
        action_index = pw.IntegerField(default=0)
        channel = pw.CharField(max_length=64)
        settings = JSONField(default=dict)
        message = JSONField(default=dict)
        recipient_ids = JSONField(default=list)
        status = pw.CharField(max_length=16, default="pending", index=True)
        attempts = pw.IntegerField(default=0)
        next_attempt_at = pw.DateTimeField(default=utcnow, index=True)
        last_error = pw.TextField(default="")
        result = pw.TextField(default="")
        created_at = pw.DateTimeField(default=utcnow)
        updated_at = pw.DateTimeField(default=utcnow)
        sent_at = pw.DateTimeField(null=True)

    class FormTask(Base):
        person = pw.ForeignKeyField(Person, on_delete="CASCADE")
        form_key = pw.CharField(max_length=100)
        due_date = pw.DateField()
        title = pw.CharField(max_length=300, default="")
        status = pw.CharField(max_length=16, default="open")
        firing_id = pw.IntegerField(null=True)
        created_at = pw.DateTimeField(default=utcnow)

        class Meta:
            indexes = ((("person", "form_key", "due_date"), True),)

    class SubjectFlag(Base):
        subject_type = pw.CharField(max_length=32)
        subject_id = pw.IntegerField()
        key = pw.CharField(max_length=64)
        value = pw.CharField(max_length=200)
        note = pw.TextField(default="")
        firing_id = pw.IntegerField(null=True)
        updated_at = pw.DateTimeField(default=utcnow)

        class Meta:
            indexes = ((("subject_type", "subject_id", "key"), True),)

    db.create_tables([Rule, RuleEpisode, RuleClock, RuleStreak, RuleFiring, RuleProblem,
                      RuleEventClaim, Notification, Delivery, FormTask, SubjectFlag])
