"""A rule's definition: checking it, compiling its conditions, saving it.

A definition is a plain dict (the YAML form)::

    key: no-new-customer-14d
    name: No new customer for 14 days
    enabled: true
    trigger: {type: absence, record_type: deal, date_field: engage_date, days: 14,
              subjects: {role: rep}}
    conditions: {match: all, rows: [{field: ..., op: ..., value: ...}]}
    actions: [{channel: inbox, to: [manager], title: ..., message: ...}]

``validate`` refuses unknown fields, metrics, operators, channels, recipients and invalid
cron expressions with one message per problem; ``compile_ruleset`` turns the trigger's own
test plus the condition rows into a durable_rules JSON ruleset, the stored form the engine
matches with.
"""
import difflib
import json
import re

from huey import crontab
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate as v

from ..db import database, utcnow
from . import vocabulary as vocab
from .models import Rule

KEY_RE = r"^[a-z0-9][a-z0-9_-]{0,99}$"
WORDS_RE = re.compile(r"^[\w\s\u4e00-\u9fff-]+$")
NUMERIC_OPS = {"gt", "gte", "lt", "lte"}
RECORD_TYPE_FACT = "trigger__record_type"
DURABLE_OPS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}


class RuleDefinitionError(ValueError):
    """A definition that cannot be saved; ``errors`` maps a path to its messages."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(map(str, m))}" for k, m in errors.items()))


class SubjectsSchema(Schema):
    role = fields.String(load_default="rep")
    unit = fields.String(load_default=None, allow_none=True)


class TriggerSchema(Schema):
    type = fields.String(required=True, validate=v.OneOf(list(vocab.TRIGGERS)))
    event = fields.String(validate=v.OneOf(list(vocab.EVENTS)))
    form_key = fields.String()
    record_type = fields.String(validate=v.Length(min=1, max=64))
    cron = fields.String()
    days = fields.Integer(validate=v.Range(min=1, max=366))
    date_field = fields.String(load_default="occurred_at")
    where = fields.Dict(keys=fields.String(), load_default=dict)
    threshold = fields.Integer(validate=v.Range(min=1, max=100000))
    group_by = fields.String(load_default="owner")
    periods = fields.Integer(validate=v.Range(min=2, max=52))
    period = fields.String(load_default="week", validate=v.OneOf(["week", "month"]))
    subjects = fields.Nested(SubjectsSchema, load_default=lambda: {"role": "rep", "unit": None})


class RowSchema(Schema):
    field = fields.String(required=True)
    op = fields.String(required=True, validate=v.OneOf(list(vocab.OPERATORS)))
    value = fields.Raw(load_default=None, allow_none=True)


class ConditionsSchema(Schema):
    match = fields.String(load_default="all", validate=v.OneOf(["all", "any"]))
    rows = fields.List(fields.Nested(RowSchema), load_default=list)


class ActionSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    channel = fields.String(required=True)
    to = fields.List(fields.String(), load_default=list)
    title = fields.String(load_default="")
    message = fields.String(load_default="")
    settings = fields.Dict(load_default=dict)


class DefinitionSchema(Schema):
    key = fields.String(required=True, validate=v.Regexp(
        KEY_RE, error="use lower-case letters, digits, - and _ (at most 100)"))
    name = fields.String(required=True, validate=v.Length(min=1, max=200))
    description = fields.String(load_default="")
    enabled = fields.Boolean(load_default=False)
    trigger = fields.Nested(TriggerSchema, required=True)
    conditions = fields.Nested(ConditionsSchema, load_default=lambda: {"match": "all",
                                                                       "rows": []})
    actions = fields.List(fields.Nested(ActionSchema), required=True,
                          validate=v.Length(min=1, error="a rule needs at least one action"))


def parse_cron(expr):
    """A 5-field cron expression (minute hour day month weekday) -> a test on datetimes.

    Weekdays count from 0 = Sunday. Raises ValueError with the reason when invalid.
    """
    parts = str(expr or "").split()
    if len(parts) != 5:
        raise ValueError(f"cron {expr!r} needs 5 fields: minute hour day month weekday")
    try:
        return crontab(*parts, strict=True)
    except ValueError as exc:
        raise ValueError(f"invalid cron {expr!r}: {exc}") from None


def fact_name(field):
    """Fact keys are flat: ``data.duration`` is posted as ``data__duration``."""
    return field.replace(".", "__")


def _flatten(errors, prefix=""):
    out = {}
    for key, value in errors.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, path))
        else:
            out[path] = value if isinstance(value, list) else [value]
    return out


def _known_record_fields(record_type):
    from ..records.models import Record

    known = set(vocab.RECORD_FIELDS.get(record_type, []))
    for r in Record.select(Record.fields).where(Record.type == record_type).limit(200):
        known.update((r.fields or {}).keys())
    return known


def known_record_types():
    """Record types a rule may name: those of the shared contract (so the seed rules load on
    an empty database, before any sync) plus every type already stored."""
    from ..records.models import Record

    stored = {t for (t,) in Record.select(Record.type).distinct().tuples()}
    return set(vocab.RECORD_FIELDS) | stored


def _form_fields(form_key):
    """Keys a submission of the form's current version holds (derived values included), or
    None when forms are not installed or there is no such form (``_check_form_key``
    refuses that one)."""
    try:
        from ..forms.definition import data_keys
        from ..forms.models import Form, FormVersion
    except ImportError:
        return None
    form = Form.get_or_none(Form.key == form_key)
    if form is None:
        return None
    version = (FormVersion.select().where(FormVersion.form == form)
               .order_by(FormVersion.version.desc()).first())
    return data_keys((version.definition if version else {}) or {})


def _forms_by_field():
    """``({data key: [form keys]}, [every form key])`` over every stored form's current
    version, or None when forms are not installed."""
    try:
        from ..forms.models import Form
    except ImportError:
        return None
    having, forms = {}, []
    for (key,) in Form.select(Form.key).order_by(Form.key).tuples():
        forms.append(key)
        for name in _form_fields(key) or ():
            having.setdefault(name, []).append(key)
    return having, forms


def _check_any_form_field(name, errors, path):
    """A ``data.<name>`` row on ``form.submitted`` without ``form_key`` tests every form's
    submissions; when no stored form has the field (``data.duraton``) the rule would be
    stored and never match, with nothing logged. Refused, naming the forms with the field
    closest to it and every form, so the user can fix the name or set ``form_key``."""
    found = _forms_by_field()
    if found is None or name in found[0]:
        return
    having, forms = found
    close = difflib.get_close_matches(name, sorted(having), n=3)
    hint = "; ".join(f"{c!r} in {', '.join(having[c])}" for c in close)
    errors[path] = [f"no form has a field {name!r}"
                    + (f" (close: {hint})" if hint else "")
                    + f"; forms: {', '.join(forms) if forms else 'none yet'}"
                    + ". Set the trigger's form_key to check one form's fields"]


def _seed_form_keys():
    """Keys of the form templates in the repository's ``forms/`` folder."""
    import yaml

    from ..forms.cli import templates_dir

    keys = set()
    folder = templates_dir()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("key"):
            keys.add(str(data["key"]))
    return keys


def _check_form_key(key, errors, path):
    """A form a rule names (a trigger's ``form_key``, a form task's) must exist: with a
    typo (``visit_lgo``) the rule would be stored and never fire, or hand out tasks nobody
    can fill. Seed forms are no exception: the demo loads ``forms/`` before ``rules/``, and
    on a fresh install the message says to do the same."""
    try:
        from ..forms.models import Form
    except ImportError:  # forms are not installed: nothing to check against
        return
    if Form.select().where(Form.key == key).exists():
        return
    known = sorted(k for (k,) in Form.select(Form.key).tuples())
    message = f"no form {key!r}; forms: {known or 'none yet'}"
    if key in _seed_form_keys():
        message += (f". {key!r} is a seed form: load the seed forms first "
                    "(alignboard forms load-templates)")
    errors[path] = [message]


def _date_field_problem(record_type, date_field, sample=50, scan=5000):
    """Why ``date_field`` cannot date an absence rule's records, or None.

    When no stored value parses as a date (``stage`` holds "won"), every record is skipped
    and every subject looks quiet for ever: each would get a wrong alert. Judged on the
    latest non-empty values (an open deal has no ``close_date`` yet, and the newest deals
    of the CRM sample have no ``engage_date``); with none to judge by (no records yet, as
    on a fresh install) the field passes."""
    from ..records.models import Record
    from .evaluate import field_date

    q = (Record.select(Record.fields).where(Record.type == record_type)
         .order_by(Record.id.desc()).limit(scan))
    values = []
    for r in q:
        raw = (r.fields or {}).get(date_field)
        if raw not in (None, ""):
            values.append(raw)
            if len(values) >= sample:
                break
    if not values or any(field_date(v) is not None for v in values):
        return None
    return (f"date_field {date_field!r} is not a date field: none of the latest "
            f"{len(values)} values of {record_type!r} records is a date (e.g. {values[0]!r});"
            " name a field holding ISO dates such as 2017-03-31, or use occurred_at")


def _record_fields_need_type(names, errors, path):
    """``fields.<name>`` rows and ``where`` on a record event need the trigger's
    ``record_type``: without it the field cannot be checked (``fields.amout`` would be
    stored, read as empty on every record and never match) and records of every type
    would be tested. The message names the types that have the field."""
    for name in names:
        having = sorted(rt for rt in known_record_types() if name in _known_record_fields(rt))
        errors.setdefault(path, []).append(
            f"field {name!r} of a record: say which record_type the rule is about"
            + (f" (records with this field: {', '.join(having)})" if having else
               f"; no record type has a field {name!r}"))


def _metric_keys():
    try:
        from ..metrics.models import Metric
    except ImportError:
        return None
    return {m.key for m in Metric.select(Metric.key)}


def _check_field(field, trigger, errors, path):
    kind, event = trigger["type"], trigger.get("event")
    known = vocab.variables_for(trigger)
    if field in known:
        return
    if kind == "schedule" or kind == "absence":
        errors[path] = [f"unknown field {field!r}; this trigger offers {sorted(known)}"]
        return
    if vocab.EVENTS.get(event, {}).get("free"):
        return
    if event == "form.submitted" and field.startswith("data."):
        if not trigger.get("form_key"):
            _check_any_form_field(field[5:], errors, path)
            return
        form_fields = _form_fields(trigger.get("form_key"))
        if form_fields is not None and field[5:] not in form_fields:
            errors[path] = [f"form {trigger.get('form_key')!r} has no field {field[5:]!r}"]
        return
    if event in ("record.created", "record.changed") and field.startswith("fields."):
        rtype = trigger.get("record_type")
        if not rtype:
            _record_fields_need_type([field[7:]], errors, path)
        elif field[7:] not in _known_record_fields(rtype):
            errors[path] = [f"records of type {rtype!r} have no field {field[7:]!r}"]
        return
    errors[path] = [f"unknown field {field!r}; known: {sorted(known)} plus "
                    + ("data.<form field>" if event == "form.submitted" else
                       "fields.<record field>" if event and event.startswith("record.")
                       else "nothing else")]


def _check_row(row, trigger, errors, path):
    _check_field(row["field"], trigger, errors, path + ".field")
    op, value = row["op"], row.get("value")
    if op in NUMERIC_OPS and (isinstance(value, bool) or not isinstance(value, (int, float))):
        errors[path + ".value"] = [f"{op} needs a number"]
    if op in ("eq", "ne") and (value is None or isinstance(value, (list, dict))):
        errors[path + ".value"] = [f"{op} needs a value (text, number or true/false)"]
    if op == "contains_any":
        words = value if isinstance(value, list) else str(value or "").split(",")
        words = [str(w).strip() for w in words if str(w).strip()]
        if not words or not all(WORDS_RE.match(w) for w in words):
            errors[path + ".value"] = ["give words (letters, digits, spaces) separated by commas"]
    if row["field"] == "metric" and trigger.get("event") == "metric.colour_changed":
        _check_metric_value(op, value, errors, path + ".value")


def _check_metric_value(op, value, errors, path):
    """A row on ``metric`` must name existing metrics whatever its operator: ``metric ne
    "nope"`` with a mistyped key would silently hold for every metric."""
    keys = _metric_keys()
    if keys is None or op in ("empty", "not_empty"):
        return
    if op == "contains_any":
        # A word matches inside a key; a word found in no key can never match.
        words = value if isinstance(value, list) else str(value or "").split(",")
        unknown = [w for w in (str(w).strip() for w in words)
                   if w and not any(w.lower() in k.lower() for k in keys)]
    else:
        unknown = [] if value in keys else [value]
    for name in unknown:
        errors.setdefault(path, []).append(f"unknown metric {name!r}")


def _check_recipient(spec, errors, path):
    from ..org.models import Person, Role

    if spec in ("subject", "manager", "unit_owner"):
        return
    if spec.startswith("role:"):
        role = Role.get_or_none(Role.key == spec[5:])
        if role is None:
            errors[path] = [f"no role {spec[5:]!r}"]
        elif not Person.select().where((Person.role == role) & Person.active).exists():
            errors[path] = [f"role {spec[5:]!r} has nobody: the recipient resolves to nobody"]
        return
    errors[path] = [f"unknown recipient {spec!r}; use subject, manager, unit_owner or "
                    "role:<key>"]


def validate(data, channels=None):
    """Check a definition; return it normalised, or raise ``RuleDefinitionError``."""
    from ..notify import channels as channel_registry
    from ..org.models import Role, Unit

    if not isinstance(data, dict):
        raise RuleDefinitionError({"_schema": ["a rule must be a mapping"]})
    try:
        d = DefinitionSchema().load(data)
    except ValidationError as exc:
        raise RuleDefinitionError(_flatten(exc.messages)) from None
    errors = {}
    t = d["trigger"]
    kind = t["type"]
    needs = {"event": ["event"], "schedule": ["cron"], "absence": ["record_type", "days"],
             "count": ["event", "record_type", "threshold"], "streak": ["event", "periods"]}
    for name in needs[kind]:
        if name not in t:
            errors[f"trigger.{name}"] = [f"a {kind} trigger needs {name}"]
    if kind == "count" and t.get("event") not in (None, "record.created", "record.changed"):
        errors["trigger.event"] = ["a count trigger counts records: use record.created"]
    if kind == "schedule" and "cron" in t:
        try:
            parse_cron(t["cron"])
        except ValueError as exc:
            errors["trigger.cron"] = [str(exc)]
    if kind in ("absence", "schedule"):
        subjects = t["subjects"]
        if not Role.select().where(Role.key == subjects["role"]).exists():
            errors["trigger.subjects.role"] = [f"no role {subjects['role']!r}"]
        if subjects.get("unit") and not Unit.select().where(
                Unit.code == subjects["unit"]).exists():
            errors["trigger.subjects.unit"] = [f"no unit {subjects['unit']!r}"]
    if t.get("record_type") and t["record_type"] not in known_record_types():
        errors["trigger.record_type"] = [
            f"unknown record type {t['record_type']!r}; known: {sorted(known_record_types())}"]
    elif (kind in ("absence", "count") or _tests_record_type(t)) and t.get("record_type"):
        known = _known_record_fields(t["record_type"])
        fields_used = list(t["where"])
        if kind == "absence" and t["date_field"] != "occurred_at":
            fields_used.append(t["date_field"])
        if kind == "count" and t["group_by"] != "owner":
            fields_used.append(t["group_by"])
        for name in fields_used:
            if name not in known:
                errors.setdefault("trigger", []).append(
                    f"records of type {t['record_type']!r} have no field {name!r}")
        if kind == "absence" and t["date_field"] != "occurred_at" and t["date_field"] in known:
            problem = _date_field_problem(t["record_type"], t["date_field"])
            if problem:
                errors["trigger.date_field"] = [problem]
    elif t["where"] and str(t.get("event", "")).startswith("record."):
        _record_fields_need_type(list(t["where"]), errors, "trigger.where")
    if t.get("form_key"):
        _check_form_key(t["form_key"], errors, "trigger.form_key")
    for i, row in enumerate(d["conditions"]["rows"]):
        _check_row(row, t, errors, f"conditions.rows.{i}")
    registry = channels if channels is not None else channel_registry.available()
    for i, action in enumerate(d["actions"]):
        path = f"actions.{i}"
        channel = registry.get(action["channel"])
        if channel is None:
            errors[path + ".channel"] = [f"unknown channel {action['channel']!r}; available: "
                                         f"{sorted(registry)}"]
            continue
        try:
            action["settings"] = channel.Settings().load(action["settings"])
        except ValidationError as exc:
            errors.update(_flatten(exc.messages, path + ".settings"))
        else:
            if action["channel"] == "form_task":
                _check_form_key(action["settings"]["form_key"], errors,
                                path + ".settings.form_key")
        if channel.needs_recipients and not action["to"]:
            errors[path + ".to"] = ["pick at least one recipient"]
        for j, spec in enumerate(action["to"]):
            _check_recipient(spec, errors, f"{path}.to.{j}")
    if errors:
        raise RuleDefinitionError(errors)
    return d


def _row_expr(row):
    name, op, value = fact_name(row["field"]), row["op"], row.get("value")
    if isinstance(value, bool):
        value = int(value)
    if op == "eq":
        return {name: value}
    if op in DURABLE_OPS:
        return {DURABLE_OPS[op]: {name: value}}
    if op == "empty":
        return {name: ""}
    if op == "not_empty":
        return {"$neq": {name: ""}}
    if op == "contains_any":
        words = value if isinstance(value, list) else str(value).split(",")
        words = [str(w).strip() for w in words if str(w).strip()]
        return {"$imt": {name: ".*(" + "|".join(words) + ").*"}}
    raise ValueError(f"unknown operator {op!r}")


def compile_ruleset(d):
    """The durable_rules ruleset of a (validated) definition: ``{"r": {"all": [...], ...}}``.

    The trigger contributes its own test (the event's name, ``quiet`` for an absence
    window, ``count >= threshold``, ``streak >= periods``); the rows are joined by $and
    (match all) or $or (match any).
    """
    t = d["trigger"]
    parts = [{"kind": t["type"]}]
    if t.get("event") and t["type"] != "schedule":
        parts.append({"event": t["event"]})
    if t["type"] in ("event", "streak") and t.get("form_key"):
        parts.append({"form_key": t["form_key"]})
    if _tests_record_type(t):
        parts.append({RECORD_TYPE_FACT: t["record_type"]})
    if t["type"] == "absence":
        parts.append({"quiet": 1})
    if t["type"] == "count":
        parts.append({"$gte": {"count": t["threshold"]}})
    if t["type"] == "streak":
        parts.append({"$gte": {"streak": t["periods"]}})
    rows = [_row_expr(r) for r in d["conditions"]["rows"]]
    if rows:
        parts.append({("$or" if d["conditions"]["match"] == "any" else "$and"): rows})
    return {"r": {"all": [{"m": {"$and": parts}}], "run": "fire"}}


def _tests_record_type(t):
    """Whether an event-driven trigger must check the record's type itself (a count trigger
    filters records by type before matching)."""
    return (t["type"] in ("event", "streak") and bool(t.get("record_type"))
            and str(t.get("event", "")).startswith("record."))


def referenced_fields(d):
    """The payload fields a definition's rows test, as (field, fact name) pairs."""
    t = d["trigger"]
    pairs = [(r["field"], fact_name(r["field"])) for r in d["conditions"]["rows"]]
    if t["type"] in ("event", "streak") and t.get("form_key"):
        pairs.append(("form_key", "form_key"))
    if _tests_record_type(t):
        # Its own fact name, so it never collides with a row testing ``type``.
        pairs.append(("type", RECORD_TYPE_FACT))
    return list(dict.fromkeys(pairs))


def save(data, channels=None):
    """Validate and store a definition (create, or update by key); return the ``Rule``.

    A changed definition gets a new version, so the engine registers a new ruleset.
    """
    d = validate(data, channels)
    ruleset = compile_ruleset(d)
    with database.atomic():
        rule = Rule.get_or_none(Rule.key == d["key"])
        if rule is None:
            return Rule.create(key=d["key"], name=d["name"], description=d["description"],
                               enabled=d["enabled"], trigger_type=d["trigger"]["type"],
                               definition=d, ruleset=ruleset)
        changed = json.dumps(rule.definition, sort_keys=True, default=str) != json.dumps(
            d, sort_keys=True, default=str)
        if changed:
            rule.version += 1
            rule.name, rule.description = d["name"], d["description"]
            rule.enabled, rule.trigger_type = d["enabled"], d["trigger"]["type"]
            rule.definition, rule.ruleset = d, ruleset
            rule.updated_at = utcnow()
            rule.save()
        return rule


def export(rule):
    """The definition of a stored rule, as it would be written to YAML."""
    d = dict(rule.definition)
    d["enabled"] = rule.enabled
    return d
