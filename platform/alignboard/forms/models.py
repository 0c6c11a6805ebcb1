"""Form definitions, their versions and the submissions reps make.

This module is the data contract other areas read (metrics, rules): a ``Submission`` keeps
the ``FormVersion`` it was validated against, its ``data`` holds field key -> value
(numbers as numbers, dates as ISO strings) plus derived values such as ``valid`` for a visit.
"""
import peewee as pw

from ..db import BaseModel, JSONField, utcnow
from ..org.models import Period, Person

STATUSES = ("draft", "submitted")


class Form(BaseModel):
    key = pw.CharField(max_length=64, unique=True)
    title = pw.CharField(max_length=200)
    title_zh = pw.CharField(max_length=200, default="")
    # Not a ForeignKeyField: Form and FormVersion point at each other.
    current_version_id = pw.IntegerField(null=True)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    def __str__(self):
        return self.title

    @property
    def current_version(self):
        return FormVersion.get_or_none(FormVersion.id == self.current_version_id)

    @property
    def definition(self):
        version = self.current_version
        return version.definition if version else None


class FormVersion(BaseModel):
    form = pw.ForeignKeyField(Form, backref="versions", on_delete="CASCADE")
    version = pw.IntegerField()
    definition = JSONField()
    created_at = pw.DateTimeField(default=utcnow)
    created_by = pw.ForeignKeyField(Person, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("form", "version"), True),)

    def __str__(self):
        return f"{self.form.key} v{self.version}"


class Submission(BaseModel):
    form = pw.ForeignKeyField(Form, backref="submissions", on_delete="RESTRICT")
    form_version = pw.ForeignKeyField(FormVersion, backref="submissions", on_delete="RESTRICT")
    person = pw.ForeignKeyField(Person, backref="submissions", on_delete="RESTRICT")
    period = pw.ForeignKeyField(Period, null=True, on_delete="RESTRICT")
    status = pw.CharField(max_length=16, default="draft", choices=[(s, s) for s in STATUSES])
    data = JSONField(default=dict)
    submitted_at = pw.DateTimeField(null=True, index=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    # For once-per-period forms, the period's id: the unique index makes "one per rep per
    # period" hold even when two requests race. Null (never equal) for other forms.
    once_slot = pw.IntegerField(null=True)

    class Meta:
        indexes = ((("form", "person", "period"), False),
                   (("form", "person", "once_slot"), True))


class Attachment(BaseModel):
    """An uploaded evidence file, stored under UPLOAD_FOLDER as ``stored_name``."""

    person = pw.ForeignKeyField(Person, on_delete="RESTRICT")
    form = pw.ForeignKeyField(Form, on_delete="CASCADE")
    field_key = pw.CharField(max_length=64)
    submission = pw.ForeignKeyField(Submission, null=True, backref="attachments",
                                    on_delete="SET NULL")
    filename = pw.CharField(max_length=255)
    content_type = pw.CharField(max_length=100)
    size = pw.IntegerField()
    stored_name = pw.CharField(max_length=100, unique=True)
    created_at = pw.DateTimeField(default=utcnow)


MODELS = [Form, FormVersion, Submission, Attachment]
