"""Field mapping: a source row -> a record (external id, type, owner, occurred-at, fields).

A mapping is data an admin edits with form controls (see ``connectors.admin``) and is stored
with the connection as a dict::

    {"external_id": "opportunity_id",
     "type": "deal",
     "fields": [{"source": "deal_stage", "target": "stage", "trim": true,
                 "convert": "lower", "formats": [], "value_map": {"Closed Won": "won"}}],
     "owner": {"source": "sales_agent", "match": "name", "unmatched": "keep"},
     "occurred_at": {"sources": ["close_date", "engage_date"], "formats": ["%Y-%m-%d"]},
     "conditions": [{"type": "collection", "when": [
         {"field": "stage", "op": "==", "value": "won"},
         {"field": "amount", "op": ">", "value": "50000"}]}]}

Per field, in order: trim, value map (exact, then case-insensitive), conversion. An empty
value becomes None. Conditions are checked on the mapped fields; the first rule whose
clauses all hold gives the record's type, else ``type``.
"""
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .base import RowError

CONVERSIONS = ("text", "lower", "upper", "number", "integer", "date", "datetime", "boolean")
OWNER_MATCHES = ("login", "email", "name", "external_id")
OPERATORS = ("==", "!=", ">", ">=", "<", "<=", "contains", "in", "is empty", "is not empty")
# Special date formats besides strptime patterns.
SPECIAL_FORMATS = ("iso", "epoch_s", "epoch_ms")
TARGET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
TRUE = {"1", "true", "yes", "y", "on", "是", "x"}
FALSE = {"0", "false", "no", "n", "off", "否", ""}


class FieldRuleSchema(Schema):
    source = fields.String(required=True, validate=validate.Length(min=1, max=200))
    target = fields.String(required=True, validate=validate.Regexp(
        TARGET_NAME, error="use letters, digits and _ (not starting with a digit)"))
    trim = fields.Boolean(load_default=True)
    convert = fields.String(load_default="text", validate=validate.OneOf(CONVERSIONS))
    formats = fields.List(fields.String(), load_default=list)
    value_map = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                            load_default=dict)
    required = fields.Boolean(load_default=False)


class OwnerSchema(Schema):
    source = fields.String(load_default="")
    match = fields.String(load_default="login", validate=validate.OneOf(OWNER_MATCHES))
    # keep: store the record without an owner (owner_ref keeps the source value);
    # reject: count the row as failed.
    unmatched = fields.String(load_default="keep", validate=validate.OneOf(("keep", "reject")))


class OccurredSchema(Schema):
    sources = fields.List(fields.String(), load_default=list)
    formats = fields.List(fields.String(), load_default=list)


class ClauseSchema(Schema):
    field = fields.String(required=True, validate=validate.Length(min=1, max=64))
    op = fields.String(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.String(load_default="")


class ConditionSchema(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    when = fields.List(fields.Nested(ClauseSchema), required=True,
                       validate=validate.Length(min=1))


class MappingSchema(Schema):
    external_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    owner = fields.Nested(OwnerSchema, load_default=lambda: OwnerSchema().load({}))
    occurred_at = fields.Nested(OccurredSchema, load_default=lambda: {"sources": [],
                                                                      "formats": []})
    conditions = fields.List(fields.Nested(ConditionSchema), load_default=list)
    # Declared last: the attribute shadows the ``fields`` module inside this class body.
    fields = fields.List(fields.Nested(FieldRuleSchema), load_default=list)

    @validates_schema
    def _targets_unique(self, data, **kwargs):
        targets = [f["target"] for f in data.get("fields", [])]
        twice = sorted({t for t in targets if targets.count(t) > 1})
        if twice:
            raise ValidationError(f"record field(s) mapped twice: {', '.join(twice)}",
                                  "fields")
        for f in data.get("fields", []):
            if f["convert"] in ("date", "datetime"):
                _check_formats(f["formats"], "fields")
        _check_formats(data.get("occurred_at", {}).get("formats", []), "occurred_at")


def _check_formats(formats, where):
    for fmt in formats:
        if fmt not in SPECIAL_FORMATS and "%" not in fmt:
            raise ValidationError(f"{fmt!r} is not a date format: use strptime codes such as "
                                  f"%d/%m/%Y, or one of {', '.join(SPECIAL_FORMATS)}", where)


def validate_mapping(data):
    """Check a mapping dict; return it normalised. Raises marshmallow ValidationError."""
    return MappingSchema().load(data or {})


@dataclass
class MappedRow:
    external_id: str
    type: str
    fields: dict
    owner_ref: Optional[str]
    occurred_at: Optional[datetime]
    owner_source: Any = None


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def parse_datetime(value, formats):
    """A source value -> naive UTC datetime, trying ``formats`` in order (default: ISO)."""
    if isinstance(value, datetime):
        return _naive_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    formats = formats or ["iso"]
    text = str(value).strip()
    for fmt in formats:
        try:
            if fmt == "iso":
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            elif fmt in ("epoch_s", "epoch_ms"):
                number = float(text)
                seconds = number / 1000 if fmt == "epoch_ms" else number
                parsed = datetime(1970, 1, 1) + timedelta(seconds=seconds)
            else:
                parsed = datetime.strptime(text, fmt)
        except (ValueError, OverflowError):
            continue
        return _naive_utc(parsed)
    raise RowError(f"{text!r} is not a date in the format(s) {', '.join(formats)}")


def _naive_utc(dt):
    if dt.tzinfo is not None:
        return dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def parse_number(value):
    if isinstance(value, bool):
        raise RowError(f"{value!r} is not a number")
    text = value if isinstance(value, (int, float)) else \
        str(value).strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
    try:
        number = float(text)
    except ValueError:
        raise RowError(f"{value!r} is not a number") from None
    except OverflowError:  # an integer too large for a float
        raise RowError(f"{value!r} is not a finite number") from None
    if not math.isfinite(number):
        # float() reads "NaN", "inf" and "1e999"; exports and JSON sources do send them.
        # NaN never equals itself, so a stored NaN would make every re-sync count the row
        # as changed (a new history version and a record.changed event each time), and an
        # infinity would swamp every sum it enters: refuse the row instead.
        raise RowError(f"{value!r} is not a finite number")
    return number


def convert(value, rule):
    """Apply one field rule to one source value."""
    if isinstance(value, str) and rule.get("trim", True):
        value = value.strip()
    vmap = rule.get("value_map") or {}
    if vmap and value is not None:
        key = _text(value)
        if key in vmap:
            value = vmap[key]
        else:
            folded = {str(k).strip().lower(): v for k, v in vmap.items()}
            if key.strip().lower() in folded:
                value = folded[key.strip().lower()]
    if value is None or (isinstance(value, str) and value == ""):
        return None
    how = rule.get("convert", "text")
    if how == "number":
        return parse_number(value)
    if how == "integer":
        number = parse_number(value)
        if not number.is_integer():
            raise RowError(f"{value!r} is not a whole number")
        return int(number)
    if how == "date":
        return parse_datetime(value, rule.get("formats")).date().isoformat()
    if how == "datetime":
        return parse_datetime(value, rule.get("formats")).isoformat()
    if how == "boolean":
        text = _text(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise RowError(f"{value!r} is not yes/no")
    if isinstance(value, float) and not math.isfinite(value) and how == "text":
        # A JSON NaN or Infinity literal left as text: refused for the same reasons as in
        # parse_number (it would count as changed on every re-sync).
        raise RowError(f"{value!r} is not a finite number")
    if isinstance(value, (dict, list, bool, int, float)) and how == "text":
        return value
    text = _text(value)
    return text.lower() if how == "lower" else text.upper() if how == "upper" else text


def _as_number(value):
    """The finite number a condition operand spells (as the "number" conversion reads it),
    or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        number = parse_number(value)
    except RowError:
        return None
    return number if math.isfinite(number) else None


def _compare(actual, op, expected):
    if op == "is empty":
        return actual in (None, "", [], {})
    if op == "is not empty":
        return actual not in (None, "", [], {})
    if actual is None:
        return op == "!="
    if op == "contains":
        return str(expected).lower() in str(actual).lower()
    if op == "in":
        return str(actual) in [v.strip() for v in str(expected).split(",")]
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        try:
            expected = float(expected)
        except ValueError:
            return op == "!="
    elif _as_number(actual) is not None and _as_number(expected) is not None:
        # A source field left as text ("9000") still compares as a number: as text,
        # "9000" > "50000" would be true.
        actual, expected = _as_number(actual), _as_number(expected)
    else:
        actual, expected = str(actual), str(expected)
    return {"==": actual == expected, "!=": actual != expected, ">": actual > expected,
            ">=": actual >= expected, "<": actual < expected, "<=": actual <= expected}[op]


class Mapping:
    """A validated mapping, ready to apply to many rows."""

    def __init__(self, data):
        self.data = validate_mapping(data)

    @property
    def owner(self):
        return self.data["owner"]

    def source_fields(self):
        """Every source field the mapping reads."""
        names = [self.data["external_id"]] + [f["source"] for f in self.data["fields"]]
        names += self.data["occurred_at"]["sources"]
        if self.owner.get("source"):
            names.append(self.owner["source"])
        return list(dict.fromkeys(names))

    def external_id_of(self, row):
        """The row's external id as stored (text, trimmed), or "" when it has none."""
        ext = row.get(self.data["external_id"]) if isinstance(row, dict) else None
        return _text(ext).strip() if ext is not None else ""

    def apply(self, row):
        """Map one source row; raise RowError with the reason when it cannot be mapped."""
        d = self.data
        ext = self.external_id_of(row)
        if not ext:
            raise RowError(f"no external id: the source field {d['external_id']!r} is empty "
                           "or missing")
        if len(ext) > 200:
            raise RowError("the external id is longer than 200 characters")
        out = {}
        problems = []
        for rule in d["fields"]:
            if rule["source"] not in row and rule["required"]:
                problems.append(f"{rule['source']}: missing in the source")
                continue
            try:
                value = convert(row.get(rule["source"]), rule)
            except RowError as exc:
                problems.append(f"{rule['source']}: {exc}")
                continue
            if value is None and rule["required"]:
                problems.append(f"{rule['source']}: required but empty")
            out[rule["target"]] = value
        occurred = None
        occ = d["occurred_at"]
        for source in occ["sources"]:
            value = row.get(source)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            try:
                occurred = parse_datetime(value, occ["formats"])
            except RowError as exc:
                problems.append(f"{source}: {exc}")
            break
        if problems:
            raise RowError("; ".join(problems))
        owner_source = row.get(self.owner["source"]) if self.owner.get("source") else None
        owner_ref = _text(owner_source).strip() if owner_source not in (None, "") else None
        if owner_ref and len(owner_ref) > 200:
            raise RowError("the owner value is longer than 200 characters")
        return MappedRow(external_id=ext, type=self.classify(out), fields=out,
                         owner_ref=owner_ref, occurred_at=occurred)

    def classify(self, mapped):
        for rule in self.data["conditions"]:
            if all(_compare(mapped.get(c["field"]), c["op"], c["value"]) for c in rule["when"]):
                return rule["type"]
        return self.data["type"]


class OwnerIndex:
    """Match a source owner value to a person by login, e-mail, name or external id.

    Loaded once per run (one query), so matching thousands of rows costs nothing.
    """

    def __init__(self, match):
        from ..org.models import Person

        self.match = match
        self.people = {}
        column = {"login": Person.login, "email": Person.email, "name": Person.name,
                  "external_id": Person.external_id}[match]
        for pid, value in Person.select(Person.id, column).where(
                Person.active == True).tuples():  # noqa: E712 (peewee expression)
            if value:
                self.people.setdefault(value.strip().lower(), []).append(pid)

    def find(self, ref):
        """The person id for ``ref``; raise RowError when none or several match."""
        ids = self.people.get(ref.strip().lower(), [])
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise RowError(f"owner {ref!r} matches no active person by {self.match}")
        raise RowError(f"owner {ref!r} matches {len(ids)} people by {self.match}; match by "
                       "login, e-mail or external id instead")
