"""Form definitions: checking and normalising what HR builds, imports or posts.

A definition is a plain dict (stored as JSON, exported as YAML or JSON)::

    key: visit_log
    title: {en: Customer visit, zh: 客户拜访}
    description: {en: ..., zh: ...}
    access: {roles: [rep], units: [north]}        # empty lists: everyone
    frequency: {kind: free, period: week}         # or once_per_period
    edit: {allowed: true, hours: 48}              # hours null: until the period ends
    visit_rule: {start: start_at, end: end_at, location: location, min_minutes: 30}
    fields:
      - {key: start_at, type: datetime, label: {en: Start, zh: 开始}, required: true}
      - {key: outcome, type: choice, choices: [{value: won, label: {en: Won, zh: 赢单}}],
         show_if: {field: customer}, required_if: {field: next_step, equals: yes}}

``normalise`` returns the canonical form (every text as ``{en, zh}``, defaults filled in),
so exporting what was imported gives the same file back.
"""
import re

from flask import has_request_context
from marshmallow import Schema, ValidationError, fields, validate

from ..i18n import say as _
from .fieldtypes import registry

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
COMMON = {"key", "type", "label", "help", "required", "required_if", "show_if"}
FREQUENCIES = ("free", "once_per_period")
PERIOD_KINDS = ("week", "month", "quarter", "year")
TOP = {"key", "title", "description", "access", "frequency", "edit", "visit_rule", "fields"}
# Values the server derives for a form with a visit rule; no field may use these keys.
DERIVED_KEYS = ("duration_minutes", "valid")


def data_keys(definition):
    """Keys a submission's ``data`` may hold under ``definition``: its fields, plus the
    values the form derives (a visit's ``duration_minutes`` and ``valid``)."""
    keys = {f.get("key") for f in definition.get("fields", [])
            if isinstance(f, dict) and f.get("key")}
    if definition.get("visit_rule"):
        keys.update(DERIVED_KEYS)
    return keys
MAX_FIELDS = 200


def N_(text):
    """Marks a text for the catalogue without translating it here (Babel's N_ keyword)."""
    return text


# marshmallow's own messages about a form's settings and field options, as the templates
# marshmallow fills. The editor shows them in the reader's language: ``_marshmallow``
# matches a filled message back to its template, translates that and fills it again.
MARSHMALLOW_TEMPLATES = [
    N_("Not a valid integer."), N_("Not a valid number."), N_("Not a valid string."),
    N_("Not a valid date."), N_("Not a valid boolean."), N_("Not a valid list."),
    N_("Not a valid mapping type."), N_("Unknown field."), N_("Invalid input type."),
    N_("Missing data for required field."), N_("Field may not be null."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("String does not match expected pattern."),
    N_("Must be one of: {choices}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min}."), N_("Must be less than or equal to {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Shorter than minimum length {min}."), N_("Longer than maximum length {max}."),
]
# "{min}" in a template matches whatever marshmallow put there.
_TEMPLATE_RES = [
    (re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(t)) + "$"), t)
    for t in MARSHMALLOW_TEMPLATES]


def _marshmallow(messages):
    """marshmallow's ``messages`` (a list, or nested by list index) as a flat list of texts
    in the reader's language; unknown texts (a plugin's own) are kept as they are."""
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _marshmallow(v)]
    if isinstance(messages, (list, tuple)):
        return [m for v in messages for m in _marshmallow(v)]
    text = str(messages)
    if not has_request_context():
        return [text]
    for pattern, template in _TEMPLATE_RES:
        match = pattern.match(text)
        if match:
            # Translate the template, then fill it as marshmallow did: the catalogue
            # holds the template, never the filled text.
            return [_(template).format(**match.groupdict())]
    return [text]


class DefinitionError(ValueError):
    """The definition is not valid; ``errors`` maps a location to messages."""

    def __init__(self, errors):
        self.errors = errors
        first = "; ".join(f"{k}: {v[0]}" for k, v in list(errors.items())[:3])
        super().__init__(_("The form definition is not valid: %(first)s", first=first))


def local_text(value, where, errors, required=False, max_length=2000):
    """A text in English and Chinese: "x" or {en: x, zh: y} -> {"en": .., "zh": ..}."""
    if value is None or value == "":
        if required:
            errors.setdefault(where, []).append(_("is required"))
        return {"en": "", "zh": ""}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or set(value) - {"en", "zh"} or \
            not all(isinstance(v, str) for v in value.values()):
        errors.setdefault(where, []).append(_("must be text or {en: text, zh: text}"))
        return {"en": "", "zh": ""}
    out = {"en": value.get("en", "").strip(), "zh": value.get("zh", "").strip()}
    if required and not (out["en"] or out["zh"]):
        errors.setdefault(where, []).append(_("is required"))
    if any(len(v) > max_length for v in out.values()):
        errors.setdefault(where, []).append(
            _("is longer than %(n)d characters", n=max_length))
    return out


def _condition(value, where, errors, own_key, value_keys):
    if value in (None, {}):
        return None
    if not isinstance(value, dict) or "field" not in value or \
            set(value) - {"field", "equals"}:
        errors.setdefault(where, []).append(
            _("must be {field: KEY} or {field: KEY, equals: VALUE}"))
        return None
    if value["field"] == own_key:
        errors.setdefault(where, []).append(_("a field cannot depend on itself"))
    elif value["field"] not in value_keys:
        errors.setdefault(where, []).append(
            _("refers to unknown field %(key)r", key=value["field"]))
    out = {"field": value["field"]}
    if "equals" in value:
        if not isinstance(value["equals"], (str, int, float, bool)):
            errors.setdefault(where, []).append(_("equals must be one plain value"))
        out["equals"] = value["equals"]
    return out


class _Access(Schema):
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=32)),
                        load_default=list)
    units = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                        load_default=list)


class _Frequency(Schema):
    kind = fields.String(load_default="free", validate=validate.OneOf(FREQUENCIES))
    period = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(PERIOD_KINDS))


class _Edit(Schema):
    allowed = fields.Boolean(load_default=False)
    hours = fields.Integer(load_default=None, allow_none=True,
                           validate=validate.Range(min=1, max=24 * 366))


class _VisitRule(Schema):
    start = fields.String(required=True)
    end = fields.String(required=True)
    location = fields.String(required=True)
    min_minutes = fields.Integer(load_default=30, validate=validate.Range(min=0, max=100000))


def _sub(schema, value, where, errors):
    if value is None:
        value = {}
    if not isinstance(value, dict):
        errors.setdefault(where, []).append(_("must be a mapping"))
        return schema().load({})
    try:
        return schema().load(value)
    except ValidationError as exc:
        for name, messages in exc.messages.items():
            errors.setdefault(f"{where}.{name}", []).extend(_marshmallow(messages))
        return None


def normalise(raw, types=None):
    """Check ``raw`` and return the canonical definition; raise ``DefinitionError``."""
    types = types if types is not None else registry()
    errors = {}
    if not isinstance(raw, dict):
        raise DefinitionError({"_schema": [_("a form definition must be a mapping")]})
    unknown = set(raw) - TOP
    if unknown:
        errors["_schema"] = [_("unknown properties: %(names)s",
                               names=", ".join(sorted(map(str, unknown))))]
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors["key"] = [_("must be lower-case letters, digits and _, starting with a letter "
                           "(at most 64)")]
    out = {"key": key,
           "title": local_text(raw.get("title"), "title", errors, required=True,
                               max_length=200),
           "description": local_text(raw.get("description"), "description", errors),
           "access": _sub(_Access, raw.get("access"), "access", errors),
           "frequency": _sub(_Frequency, raw.get("frequency"), "frequency", errors),
           "edit": _sub(_Edit, raw.get("edit"), "edit", errors)}
    if out["frequency"] and out["frequency"]["kind"] == "once_per_period" \
            and not out["frequency"]["period"]:
        out["frequency"]["period"] = "week"

    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        errors["fields"] = [_("a form needs at least one field")]
        raw_fields = []
    if len(raw_fields) > MAX_FIELDS:
        errors["fields"] = [_("at most %(n)d fields", n=MAX_FIELDS)]
        raw_fields = []
    value_keys = {f.get("key") for f in raw_fields if isinstance(f, dict)
                  and f.get("type") in types and types[f["type"]].has_value}
    seen = set()
    out_fields = []
    for number, field in enumerate(raw_fields, start=1):
        where = f"fields.{number}"
        if not isinstance(field, dict):
            errors[where] = [_("must be a mapping")]
            continue
        fkey, ftype = field.get("key"), field.get("type")
        if not isinstance(fkey, str) or not KEY_RE.match(fkey):
            errors[f"{where}.key"] = [_("must be lower-case letters, digits and _, starting "
                                        "with a letter")]
        elif fkey in seen:
            errors[f"{where}.key"] = [_("duplicate key %(key)r: every field needs its own key",
                                        key=fkey)]
        elif fkey in DERIVED_KEYS and raw.get("visit_rule"):
            errors[f"{where}.key"] = [_("%(key)r is computed by the visit rule", key=fkey)]
        seen.add(fkey)
        kind = types.get(ftype) if isinstance(ftype, str) else None
        if kind is None:
            errors[f"{where}.type"] = [_("unknown field type %(type)r; known: %(known)s",
                                         type=ftype, known=", ".join(sorted(types)))]
            continue
        item = {"key": fkey, "type": ftype,
                "label": local_text(field.get("label"), f"{where}.label", errors,
                                    required=True, max_length=500),
                "help": local_text(field.get("help"), f"{where}.help", errors)}
        if kind.has_value:
            required = field.get("required", False)
            if not isinstance(required, bool):
                errors[f"{where}.required"] = [_("must be true or false")]
            item["required"] = bool(required)
            for cond in ("required_if", "show_if"):
                c = _condition(field.get(cond), f"{where}.{cond}", errors, fkey, value_keys)
                if c:
                    item[cond] = c
        else:
            c = _condition(field.get("show_if"), f"{where}.show_if", errors, fkey, value_keys)
            if c:
                item["show_if"] = c
        allowed = COMMON | set(kind.options)
        extra = set(field) - allowed
        if extra:
            errors[f"{where}._schema"] = [
                _("unknown properties for a %(type)s field: %(names)s", type=ftype,
                  names=", ".join(sorted(map(str, extra))))]
        options = {k: field[k] for k in kind.options if k in field and field[k] is not None}
        try:
            loaded = Schema.from_dict(dict(kind.options))().load(options)
        except ValidationError as exc:
            for name, messages in exc.messages.items():
                errors[f"{where}.{name}"] = _marshmallow(messages)
            continue
        for name, value in loaded.items():
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            elif isinstance(value, float) and value.is_integer():
                # "min: 1" stays 1 (not 1.0) in messages and exported files.
                value = int(value)
            item[name] = value
        if "choices" in item:
            item["choices"] = [
                {"value": str(c.get("value")),
                 "label": local_text(c.get("label"), f"{where}.choices", errors,
                                     max_length=500)}
                for c in item["choices"] if isinstance(c, dict)]
        if "pattern_message" in item:
            item["pattern_message"] = local_text(item["pattern_message"],
                                                 f"{where}.pattern_message", errors)
        try:
            problems = kind.check_field({**field, **item})
        except Exception as exc:  # a plugin's check must not break the editor
            problems = {"_schema": [_("the %(type)s type cannot check this field: %(reason)s",
                                      type=ftype, reason=exc)]}
        for name, messages in problems.items():
            errors.setdefault(f"{where}.{name}", []).extend(messages)
        out_fields.append(item)
    out["fields"] = out_fields

    if raw.get("visit_rule") is not None:
        rule = _sub(_VisitRule, raw["visit_rule"], "visit_rule", errors)
        if rule:
            by_key = {f["key"]: f["type"] for f in out_fields}
            for part, wanted in (("start", "datetime"), ("end", "datetime"),
                                 ("location", "location")):
                if by_key.get(rule[part]) != wanted:
                    errors.setdefault(f"visit_rule.{part}", []).append(
                        _("must name a %(type)s field of this form", type=wanted))
            out["visit_rule"] = rule
    if errors:
        raise DefinitionError(errors)
    return out


def value_fields(definition):
    """The fields that hold a value (everything but section headings), in order."""
    types = registry()
    return [f for f in definition["fields"] if f["type"] in types and types[f["type"]].has_value]
