"""Forms: definitions, their versions, submissions and attachments."""
import peewee as pw

from ..db import JSONField, utcnow
from . import existing_table, frozen_base


def up(db, migrator):
    Base = frozen_base(db)

    Person = existing_table(Base, "person")

    Period = existing_table(Base, "period")

    class Form(Base):
        key = pw.CharField(max_length=64, unique=True)
        title = pw.CharField(max_length=200)
        title_zh = pw.CharField(max_length=200, default="")
        current_version_id = pw.IntegerField(null=True)
        active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField(default=utcnow)
        updated_at = pw.DateTimeField(default=utcnow)

    class FormVersion(Base):
        form = pw.ForeignKeyField(Form, on_delete="CASCADE")
        version = pw.IntegerField()
        definition = JSONField()
        created_at = pw.DateTimeField(default=utcnow)
        created_by = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")

        class Meta:
            indexes = ((("form", "version"), True),)

    class Submission(Base):
        form = pw.ForeignKeyField(Form, on_delete="RESTRICT")
        form_version = pw.ForeignKeyField(FormVersion, on_delete="RESTRICT")
        person = pw.ForeignKeyField(Person, on_delete="RESTRICT")
        period = pw.ForeignKeyField(Period, null=True, on_delete="RESTRICT")
        status = pw.CharField(max_length=16, default="draft")
        data = JSONField(default=dict)
        submitted_at = pw.DateTimeField(null=True, index=True)
        created_at = pw.DateTimeField(default=utcnow)
        updated_at = pw.DateTimeField(default=utcnow)
        once_slot = pw.IntegerField(null=True)

        class Meta:
            indexes = ((("form", "person", "period"), False),
                       (("form", "person", "once_slot"), True))

    class Attachment(Base):
        person = pw.ForeignKeyField(Person, on_delete="RESTRICT")
        form = pw.ForeignKeyField(Form, on_delete="CASCADE")
        field_key = pw.CharField(max_length=64)
        submission = pw.ForeignKeyField(Submission, null=True, on_delete="SET NULL")
        filename = pw.CharField(max_length=255)
        content_type = pw.CharField(max_length=100)
        size = pw.IntegerField()
        stored_name = pw.CharField(max_length=100, unique=True)
        created_at = pw.DateTimeField(default=utcnow)

    db.create_tables([Form, FormVersion, Submission, Attachment])
