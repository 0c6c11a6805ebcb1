"""From a definition to a marshmallow schema: the server-side check of every answer.

``load(definition, raw, ctx, draft=False)`` returns the data to store or raises
``AnswerError`` with ``{field key: [messages]}``. Requiredness depends on conditions
("required if", "show if"), so fields are built optional and the schema checks presence
itself; answers to fields hidden by their condition are dropped.
"""
import logging
from datetime import datetime

from flask_babel import gettext, get_locale
from marshmallow import (RAISE, Schema, ValidationError, fields, post_load, pre_load,
                         validates_schema)

from ..org.models import Person
from ..validation import NUL_MESSAGE, nul_errors
from .fieldtypes import registry

log = logging.getLogger(__name__)

EMPTY = (None, "", [], {})


class AnswerError(ValueError):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("The answers are not valid: " + "; ".join(
            f"{k}: {v[0]}" for k, v in list(errors.items())[:3]))


class Context:
    """What field validators may look at: the submitter, the form, the submission edited."""

    def __init__(self, person, form=None, submission_id=None, locale=None):
        self.person = person
        self.form = form
        self.submission_id = submission_id
        self._locale = locale
        self._cache = {}

    @property
    def locale(self):
        if self._locale is None:
            try:
                self._locale = str(get_locale() or "en")
            except Exception:
                self._locale = "en"
        return self._locale

    def text(self, value):
        """A {en, zh} text in the current language, falling back to the other one."""
        if not value:
            return ""
        if isinstance(value, str):
            return value
        first, second = ("zh", "en") if self.locale.startswith("zh") else ("en", "zh")
        return value.get(first) or value.get(second) or ""

    def gettext(self, text):
        try:
            return gettext(text)
        except Exception:
            return text

    def people(self):
        if "people" not in self._cache:
            self._cache["people"] = [
                (p.id, p.name) for p in Person.select(Person.id, Person.name)
                .where(Person.active == True).order_by(Person.name)]  # noqa: E712
        return self._cache["people"]

    def person_ids(self):
        return {pid for pid, _ in self.people()}

    def person_name(self, pid):
        person = Person.get_or_none(Person.id == pid)
        return person.name if person else str(pid)

    def customers(self, record_type):
        key = ("customers", record_type)
        if key not in self._cache:
            from ..org import scopes
            from ..records.models import Record
            # Accounts owned by someone the filler may see, and accounts owned by nobody
            # (company-wide ones): never another rep's own accounts.
            rows = Record.select().where(Record.type == record_type)
            if scopes.scope_of(self.person) != "all":
                rows = rows.where(Record.owner.is_null()
                                  | Record.owner.in_(scopes.visible_person_ids(self.person)))
            rows = rows.order_by(Record.id).limit(5000)
            self._cache[key] = [(r.id, record_label(r)) for r in rows]
        return self._cache[key]

    def record_name(self, rid):
        from ..records.models import Record
        record = Record.get_or_none(Record.id == rid)
        return record_label(record) if record else str(rid)

    def attachment_ok(self, field_key, attachment_id):
        from .models import Attachment
        a = Attachment.get_or_none(Attachment.id == attachment_id)
        return bool(a and self.person and a.person_id == self.person.id
                    and self.form and a.form_id == self.form.id and a.field_key == field_key
                    and (a.submission_id is None or a.submission_id == self.submission_id))

    def attachment_name(self, attachment_id):
        from .models import Attachment
        a = Attachment.get_or_none(Attachment.id == attachment_id)
        return a.filename if a else str(attachment_id)


def record_label(record):
    f = record.fields or {}
    return str(f.get("name") or f.get("account") or f.get("title") or record.external_id)


def condition_met(cond, values):
    """{field: K}: K has a value; {field: K, equals: V}: K's value is V (or holds V)."""
    if not cond:
        return True
    value = values.get(cond["field"])
    if value in EMPTY:
        return False
    if "equals" not in cond:
        return True
    wanted = cond["equals"]
    if isinstance(value, list):
        return str(wanted) in [str(v) for v in value]
    if isinstance(value, bool) or isinstance(wanted, bool):
        return value == wanted or str(value).lower() == str(wanted).lower()
    return str(value) == str(wanted)


def visible_fields(definition, values):
    """Keys of fields whose "show if" holds for ``values`` (a section hides nothing)."""
    shown = set()
    for field in definition["fields"]:
        if condition_met(field.get("show_if"), values):
            shown.add(field["key"])
    return shown


def build_schema(definition, ctx, draft=False):
    """A marshmallow Schema class validating answers to ``definition``."""
    types = registry()
    value_fields = [f for f in definition["fields"]
                    if f["type"] in types and types[f["type"]].has_value]
    declared = {f["key"]: _field_of(types[f["type"]], f, ctx) for f in value_fields}

    class AnswersSchema(Schema):
        class Meta:
            unknown = RAISE

        @pre_load
        def _drop_empty(self, data, **kwargs):
            if not isinstance(data, dict):
                raise ValidationError("answers must be a mapping of field key to value",
                                      "_schema")
            # PostgreSQL cannot store a NUL character; refused beside the answer holding
            # it, on the page as through the API, before any field reads the value.
            nul = {key: [ctx.gettext(NUL_MESSAGE)] for key, value in data.items()
                   if nul_errors({key: value})}
            if nul:
                raise ValidationError(nul)
            return {k: v for k, v in data.items()
                    if not (isinstance(v, str) and v.strip() == "") and v not in EMPTY}

        @validates_schema(skip_on_field_errors=False, pass_original=True)
        def _presence_and_rules(self, data, original, **kwargs):
            errors = {}
            shown = visible_fields(definition, data)
            if not draft:
                for f in value_fields:
                    needed = f.get("required") or (
                        f.get("required_if") and condition_met(f["required_if"], data))
                    raw = original.get(f["key"]) if isinstance(original, dict) else None
                    empty = raw in EMPTY or (isinstance(raw, str) and not raw.strip())
                    if needed and f["key"] in shown and empty:
                        errors[f["key"]] = [ctx.gettext("This field is required.")]
            rule = definition.get("visit_rule")
            if rule and data.get(rule["start"]) and data.get(rule["end"]) \
                    and data[rule["end"]] < data[rule["start"]]:
                errors.setdefault(rule["end"], []).append(
                    ctx.gettext("The end is before the start."))
            if errors:
                raise ValidationError(errors)

        @post_load
        def _store_form(self, data, **kwargs):
            shown = visible_fields(definition, data)
            out = {}
            for f in value_fields:
                key = f["key"]
                if key in data and data[key] is not None and key in shown:
                    out[key] = types[f["type"]].normalise(data[key])
            if rule := definition.get("visit_rule"):
                out.update(visit_validity(rule, out))
            return out

    return type("Answers", (AnswersSchema,), dict(declared))


class Broken(fields.Field):
    """Stands in for a field whose type (a plugin) failed: every answer is refused, with a
    message, instead of the whole page failing."""

    def __init__(self, message, **kwargs):
        super().__init__(allow_none=True, **kwargs)
        self.message = message

    def _deserialize(self, value, attr, data, **kwargs):
        raise ValidationError(self.message)


def _field_of(ftype, field, ctx):
    try:
        return ftype.marshmallow_field(field, ctx)
    except Exception:
        log.exception("field type %r failed to build a field for %r", ftype.key, field["key"])
        return Broken(f"The field type {ftype.key!r} is not working; tell your administrator.")


def visit_validity(rule, data):
    """{duration_minutes, valid}: a visit counts when it lasted >= min_minutes and has a
    location (scenario 6). Computed on the server and stored with the answers."""
    start, end = data.get(rule["start"]), data.get(rule["end"])
    minutes = None
    if start and end:
        minutes = int((datetime.fromisoformat(end) - datetime.fromisoformat(start))
                      .total_seconds() // 60)
    valid = bool(minutes is not None and minutes >= rule.get("min_minutes", 30)
                 and data.get(rule["location"]))
    return {"duration_minutes": minutes, "valid": valid}


def flatten(messages):
    """marshmallow nests list errors ({0: [...]}); pages and clients want flat lists."""
    out = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            flat = []
            for inner in value.values():
                flat.extend(inner if isinstance(inner, list) else [str(inner)])
            out[key] = flat
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = [str(value)]
    return out


def load(definition, raw, ctx, draft=False):
    """Validate ``raw`` answers; return the data to store or raise ``AnswerError``."""
    schema = build_schema(definition, ctx, draft=draft)()
    try:
        return schema.load(raw if raw is not None else {})
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise AnswerError(flatten(messages)) from None
