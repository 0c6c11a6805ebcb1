"""The records store and its history."""
import peewee as pw

from ..db import JSONField, utcnow
from . import existing_table, frozen_base


def up(db, migrator):
    Base = frozen_base(db)

    Person = existing_table(Base, "person")

    class Record(Base):
        connection_id = pw.IntegerField(null=True, index=True)
        external_id = pw.CharField(max_length=200)
        type = pw.CharField(max_length=64, index=True)
        owner = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")
        owner_ref = pw.CharField(max_length=200, null=True)
        occurred_at = pw.DateTimeField(null=True, index=True)
        fields = JSONField(default=dict)
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField(default=utcnow)
        updated_at = pw.DateTimeField(default=utcnow)

        class Meta:
            indexes = ((("connection_id", "external_id"), True),
                       (("owner", "type", "occurred_at"), False))

    class RecordVersion(Base):
        record = pw.ForeignKeyField(Record, on_delete="CASCADE")
        version = pw.IntegerField()
        type = pw.CharField(max_length=64)
        owner_id = pw.IntegerField(null=True)
        occurred_at = pw.DateTimeField(null=True)
        fields = JSONField()
        replaced_at = pw.DateTimeField(default=utcnow)

    db.create_tables([Record, RecordVersion])
