import peewee as pw

from ..db import BaseModel, JSONField, utcnow
from ..org.models import Person


class Record(BaseModel):
    """One ingested fact: a deal, a visit, a call, a course completion...

    ``(connection_id, external_id)`` identifies it, so re-running a sync updates instead of
    duplicating. ``owner`` is the matched person (None when the source owner matched
    nobody; ``owner_ref`` keeps what the source said). ``fields`` holds the mapped values.
    """

    connection_id = pw.IntegerField(null=True, index=True)
    external_id = pw.CharField(max_length=200)
    type = pw.CharField(max_length=64, index=True)
    owner = pw.ForeignKeyField(Person, null=True, backref="records", on_delete="SET NULL")
    owner_ref = pw.CharField(max_length=200, null=True)
    occurred_at = pw.DateTimeField(null=True, index=True)
    fields = JSONField(default=dict)
    version = pw.IntegerField(default=1)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("connection_id", "external_id"), True),
                   (("owner", "type", "occurred_at"), False))


class RecordVersion(BaseModel):
    """The values a record had before each change: its history."""

    record = pw.ForeignKeyField(Record, backref="history", on_delete="CASCADE")
    version = pw.IntegerField()
    type = pw.CharField(max_length=64)
    owner_id = pw.IntegerField(null=True)
    occurred_at = pw.DateTimeField(null=True)
    fields = JSONField()
    replaced_at = pw.DateTimeField(default=utcnow)
