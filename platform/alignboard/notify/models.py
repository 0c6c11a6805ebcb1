"""Notification tables: the in-app inbox, the delivery queue, form tasks and subject flags."""
import peewee as pw

from ..db import BaseModel, JSONField, utcnow
from ..org.models import Person

# Delivery states: pending (waiting for its next attempt), sending (claimed by a worker),
# sent, failed (will be retried at next_attempt_at) and dead (gave up after the last retry).
DELIVERY_STATES = ("pending", "sending", "sent", "failed", "dead")


class Notification(BaseModel):
    """One message in a person's in-app inbox."""

    person = pw.ForeignKeyField(Person, backref="notifications", on_delete="CASCADE")
    kind = pw.CharField(max_length=32, default="alert")  # alert | action_pack | report
    title = pw.CharField(max_length=300)
    body = pw.TextField(default="")
    links = JSONField(default=list)  # [{"text": ..., "url": ...}]
    firing_id = pw.IntegerField(null=True, index=True)
    created_at = pw.DateTimeField(default=utcnow, index=True)
    read_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("person", "read_at"), False),)


class Delivery(BaseModel):
    """One action of one firing, delivered by the worker through a channel, with retries."""

    firing_id = pw.IntegerField(null=True, index=True)
    action_index = pw.IntegerField(default=0)
    channel = pw.CharField(max_length=64)
    settings = JSONField(default=dict)
    message = JSONField(default=dict)  # {"title", "body", "links", "subject": {...}}
    recipient_ids = JSONField(default=list)
    status = pw.CharField(max_length=16, default="pending", index=True)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=utcnow, index=True)
    last_error = pw.TextField(default="")
    result = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)

    def __str__(self):
        return f"{self.channel} #{self.id} ({self.status})"


class FormTask(BaseModel):
    """A form a person is due to fill (e.g. the weekly report); the forms area shows it."""

    person = pw.ForeignKeyField(Person, backref="form_tasks", on_delete="CASCADE")
    form_key = pw.CharField(max_length=100)
    due_date = pw.DateField()
    title = pw.CharField(max_length=300, default="")
    status = pw.CharField(max_length=16, default="open")  # open | done
    firing_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("person", "form_key", "due_date"), True),)


class SubjectFlag(BaseModel):
    """A flag or colour a rule set on a subject (a submission, record, person or unit)."""

    subject_type = pw.CharField(max_length=32)
    subject_id = pw.IntegerField()
    key = pw.CharField(max_length=64)
    value = pw.CharField(max_length=200)
    note = pw.TextField(default="")
    firing_id = pw.IntegerField(null=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("subject_type", "subject_id", "key"), True),)


MODELS = [Notification, Delivery, FormTask, SubjectFlag]
