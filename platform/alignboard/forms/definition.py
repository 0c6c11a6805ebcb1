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

from marshmallow import Schema, ValidationError, fields, validate

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


class DefinitionError(ValueError):
    """The definition is not valid; ``errors`` maps a location to messages."""

    def __init__(self, errors):
        self.errors = errors
        first = "; ".join(f"{k}: {v[0]}" for k, v in list(errors.items())[:3])
        super().__init__(f"The form definition is not valid: {first}")


def local_text(value, where, errors, required=False, max_length=2000):
    """A text in English and Chinese: "x" or {en: x, zh: y} -> {"en": .., "zh": ..}."""
    if value is None or value == "":
        if required:
            errors.setdefault(where, []).append("is required")
        return {"en": "", "zh": ""}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or set(value) - {"en", "zh"} or \
            not all(isinstance(v, str) for v in value.values()):
        errors.setdefault(where, []).append("must be text or {en: text, zh: text}")
        return {"en": "", "zh": ""}
    out = {"en": value.get("en", "").strip(), "zh": value.get("zh", "").strip()}
    if required and not (out["en"] or out["zh"]):
        errors.setdefault(where, []).append("is required")
    if any(len(v) > max_length for v in out.values()):
        errors.setdefault(where, []).append(f"is longer than {max_length} characters")
    return out


def _condition(value, where, errors, own_key, value_keys):
    if value in (None, {}):
        return None
    if not isinstance(value, dict) or "field" not in value or \
            set(value) - {"field", "equals"}:
        errors.setdefault(where, []).append("must be {field: KEY} or {field: KEY, equals: VALUE}")
        return None
    if value["field"] == own_key:
        errors.setdefault(where, []).append("a field cannot depend on itself")
    elif value["field"] not in value_keys:
        errors.setdefault(where, []).append(f"refers to unknown field {value['field']!r}")
    out = {"field": value["field"]}
    if "equals" in value:
        if not isinstance(value["equals"], (str, int, float, bool)):
            errors.setdefault(where, []).append("equals must be one plain value")
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
        errors.setdefault(where, []).append("must be a mapping")
        return schema().load({})
    try:
        return schema().load(value)
    except ValidationError as exc:
        for name, messages in exc.messages.items():
            errors.setdefault(f"{where}.{name}", []).extend(
                messages if isinstance(messages, list) else [str(messages)])
        return None


def normalise(raw, types=None):
    """Check ``raw`` and return the canonical definition; raise ``DefinitionError``."""
    types = types if types is not None else registry()
    errors = {}
    if not isinstance(raw, dict):
        raise DefinitionError({"_schema": ["a form definition must be a mapping"]})
    unknown = set(raw) - TOP
    if unknown:
        errors["_schema"] = [f"unknown properties: {', '.join(sorted(map(str, unknown)))}"]
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors["key"] = ["must be lower-case letters, digits and _, starting with a letter "
                         "(at most 64)"]
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
        errors["fields"] = ["a form needs at least one field"]
        raw_fields = []
    if len(raw_fields) > MAX_FIELDS:
        errors["fields"] = [f"at most {MAX_FIELDS} fields"]
        raw_fields = []
    value_keys = {f.get("key") for f in raw_fields if isinstance(f, dict)
                  and f.get("type") in types and types[f["type"]].has_value}
    seen = set()
    out_fields = []
    for number, field in enumerate(raw_fields, start=1):
        where = f"fields.{number}"
        if not isinstance(field, dict):
            errors[where] = ["must be a mapping"]
            continue
        fkey, ftype = field.get("key"), field.get("type")
        if not isinstance(fkey, str) or not KEY_RE.match(fkey):
            errors[f"{where}.key"] = ["must be lower-case letters, digits and _, starting "
                                      "with a letter"]
        elif fkey in seen:
            errors[f"{where}.key"] = [f"duplicate key {fkey!r}: every field needs its own key"]
        elif fkey in DERIVED_KEYS and raw.get("visit_rule"):
            errors[f"{where}.key"] = [f"{fkey!r} is computed by the visit rule"]
        seen.add(fkey)
        kind = types.get(ftype) if isinstance(ftype, str) else None
        if kind is None:
            errors[f"{where}.type"] = [f"unknown field type {ftype!r}; known: "
                                       f"{', '.join(sorted(types))}"]
            continue
        item = {"key": fkey, "type": ftype,
                "label": local_text(field.get("label"), f"{where}.label", errors,
                                    required=True, max_length=500),
                "help": local_text(field.get("help"), f"{where}.help", errors)}
        if kind.has_value:
            required = field.get("required", False)
            if not isinstance(required, bool):
                errors[f"{where}.required"] = ["must be true or false"]
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
                f"unknown properties for a {ftype} field: {', '.join(sorted(map(str, extra)))}"]
        options = {k: field[k] for k in kind.options if k in field and field[k] is not None}
        try:
            loaded = Schema.from_dict(dict(kind.options))().load(options)
        except ValidationError as exc:
            for name, messages in exc.messages.items():
                errors[f"{where}.{name}"] = messages if isinstance(messages, list) \
                    else [str(messages)]
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
            problems = {"_schema": [f"the {ftype} type cannot check this field: {exc}"]}
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
                        f"must name a {wanted} field of this form")
            out["visit_rule"] = rule
    if errors:
        raise DefinitionError(errors)
    return out


def value_fields(definition):
    """The fields that hold a value (everything but section headings), in order."""
    types = registry()
    return [f for f in definition["fields"] if f["type"] in types and types[f["type"]].has_value]
