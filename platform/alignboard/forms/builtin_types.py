"""The built-in field types, registered through the ``register_field_types`` hook."""
import decimal
import os
import re
from datetime import date

from flask import current_app, has_app_context, has_request_context
from flask_babel import gettext
from marshmallow import ValidationError, fields, validate

from ..db import id_in_range
from ..hookspecs import hookimpl
# The same as _say below, under the name the catalogue extraction looks for: the editor's
# refusals of a field's options are written with it.
from ..i18n import say as _
from ..validation import control_problem
from .fieldtypes import FieldType

LocalText = fields.Raw  # {"en": ..., "zh": ...}; checked in definition.py


def _number(value):
    """Floats that hold a whole number are stored as int (5, not 5.0)."""
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    return value


def _say(text, **variables):
    """``text`` in the reader's language inside a request, plain English elsewhere (CLI,
    jobs). Placeholders are filled after translating, so the catalogue entry matches."""
    if has_request_context():
        return gettext(text, **variables)
    return text % variables if variables else text


def _tr(ctx, message):
    """A marshmallow ``error=`` template in the reader's language; marshmallow fills its
    ``{min}``-style placeholders afterwards, so the lookup must happen before."""
    return ctx.gettext(message) if ctx else message


def _length(lo, hi, ctx):
    """``validate.Length`` whose messages are translated before marshmallow fills them."""
    check = validate.Length(min=lo, max=hi)
    check.message_min = _tr(ctx, "Shorter than minimum length {min}.")
    check.message_max = _tr(ctx, "Longer than maximum length {max}.")
    check.message_all = _tr(ctx, "Length must be between {min} and {max}.")
    return check


def _range(field, convert=lambda v: v, ctx=None):
    lo, hi = field.get("min"), field.get("max")
    if lo is None and hi is None:
        return []
    if lo is not None and hi is not None:
        message = "Must be between {min} and {max}."
    else:
        message = "Must be at least {min}." if lo is not None else "Must be at most {max}."
    return [validate.Range(min=None if lo is None else convert(lo),
                           max=None if hi is None else convert(hi),
                           error=ctx.gettext(message) if ctx else message)]


def _range_check(field):
    lo, hi = field.get("min"), field.get("max")
    if lo is not None and hi is not None and lo > hi:
        return {"max": [_("must not be below min")]}
    return {}


class FullMatch(validate.Validator):
    """The whole answer must match the pattern (re.fullmatch, not a prefix)."""

    def __init__(self, pattern, message=None):
        self.regex = re.compile(pattern)
        self.message = message or "Does not match the expected format."

    def __call__(self, value):
        if not self.regex.fullmatch(value):
            raise ValidationError(self.message)
        return value


class PlainText(validate.Validator):
    """No control characters in a text answer (and, for a one-line field, no tab or line
    break): nobody types them, and openpyxl refuses to write them, so one stored answer
    would break the XLSX export of the whole form for everyone."""

    def __init__(self, one_line, ctx=None):
        self.one_line, self.ctx = one_line, ctx

    def __call__(self, value):
        problem = control_problem(value, self.one_line)
        if problem:
            raise ValidationError(_tr(self.ctx, problem))
        return value


class Text(FieldType):
    key, label_en, label_zh, widget = "text", "Text", "文本", "text"
    default_max = 200
    # A short text is an <input>: one line. Long text (a textarea) keeps its line breaks.
    one_line = True
    options = {"min_length": fields.Integer(validate=validate.Range(min=0)),
               "max_length": fields.Integer(validate=validate.Range(min=1, max=100000)),
               "pattern": fields.String(validate=validate.Length(max=500)),
               "pattern_message": LocalText()}

    def check_field(self, field):
        errors = {}
        if field.get("pattern"):
            try:
                re.compile(field["pattern"])
            except re.error as exc:
                errors["pattern"] = [_("not a valid regular expression: %(reason)s",
                                        reason=exc)]
        if (field.get("min_length") or 0) > field.get("max_length", self.default_max):
            errors["max_length"] = [_("must not be below min_length")]
        return errors

    def marshmallow_field(self, field, ctx):
        checks = [_length(field.get("min_length"), field.get("max_length", self.default_max),
                          ctx), PlainText(self.one_line, ctx)]
        if field.get("pattern"):
            message = ctx.text(field.get("pattern_message")) or None
            checks.append(FullMatch(field["pattern"],
                                    message or _tr(ctx, "Does not match the expected format.")))
        return fields.String(allow_none=True, validate=checks)


class LongText(Text):
    key, label_en, label_zh, widget = "long_text", "Long text", "长文本", "textarea"
    default_max = 5000
    one_line = False


class Number(FieldType):
    key, label_en, label_zh, widget = "number", "Number", "数字", "number"
    options = {"min": fields.Float(allow_nan=False), "max": fields.Float(allow_nan=False),
               "integer": fields.Boolean()}

    def check_field(self, field):
        return _range_check(field)

    def marshmallow_field(self, field, ctx):
        if field.get("integer"):
            return fields.Integer(allow_none=True, validate=_range(field, ctx=ctx))
        return fields.Float(allow_none=True, allow_nan=False, validate=_range(field, ctx=ctx))

    def normalise(self, value):
        return _number(value)


class Percent(Number):
    key, label_en, label_zh = "percent", "Percent", "百分比"
    options = {"min": fields.Float(allow_nan=False), "max": fields.Float(allow_nan=False)}

    def display(self, value, ctx=None):
        return "" if value is None else f"{value}%"


class TwoPlaces(validate.Validator):
    def __call__(self, value):
        if value.as_tuple().exponent < -2:
            raise ValidationError("Use at most two decimals.")
        return value


# The currency a money field without one is shown in (as the fill page does).
DEFAULT_CURRENCY = "CNY"


def money_amount(value):
    """A stored money answer as a Decimal with two places, for exports: numeric cells keep
    being numbers while 95000.5 reads 95000.50."""
    return decimal.Decimal(str(value)).quantize(decimal.Decimal("0.01"))


class Money(FieldType):
    key, label_en, label_zh, widget = "money", "Money", "金额", "money"
    options = {"min": fields.Float(allow_nan=False), "max": fields.Float(allow_nan=False),
               "currency": fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))}

    def check_field(self, field):
        return _range_check(field)

    def marshmallow_field(self, field, ctx):
        return fields.Decimal(allow_none=True, allow_nan=False,
                              validate=[TwoPlaces()] + _range(
                                  field, lambda v: decimal.Decimal(str(v)), ctx))

    def normalise(self, value):
        return _number(value)

    def display(self, value, ctx=None, currency=DEFAULT_CURRENCY):
        """Two decimals and the currency: ``95000.50 CNY``."""
        if value is None:
            return ""
        return f"{decimal.Decimal(str(value)):.2f} {currency}"

    def display_field(self, field, value, ctx=None):
        return self.display(value, ctx, currency=field.get("currency") or DEFAULT_CURRENCY)


class Date(FieldType):
    key, label_en, label_zh, widget = "date", "Date", "日期", "date"
    options = {"min": fields.Date(), "max": fields.Date()}

    def check_field(self, field):
        return _range_check(field)

    def marshmallow_field(self, field, ctx):
        return fields.Date(allow_none=True, validate=_range(field, date.fromisoformat, ctx))

    def normalise(self, value):
        return value.isoformat()


class DateTime(FieldType):
    key, label_en, label_zh, widget = "datetime", "Date and time", "日期时间", "datetime"

    def marshmallow_field(self, field, ctx):
        return fields.NaiveDateTime(allow_none=True)

    def normalise(self, value):
        return value.replace(microsecond=0).isoformat()

    def display(self, value, ctx=None):
        return "" if value is None else str(value).replace("T", " ")


class Duration(FieldType):
    key, label_en, label_zh, widget = "duration", "Duration (minutes)", "时长（分钟）", "number"
    options = {"min": fields.Integer(validate=validate.Range(min=0)),
               "max": fields.Integer(validate=validate.Range(min=0))}

    def check_field(self, field):
        return _range_check(field)

    def marshmallow_field(self, field, ctx):
        return fields.Integer(allow_none=True,
                              validate=_range({"min": field.get("min", 0),
                                               "max": field.get("max")}, ctx=ctx))


def _option_values(field):
    return [str(o["value"]) for o in field.get("choices") or []]


def _one_of(field, ctx):
    return validate.OneOf(_option_values(field),
                          error=_tr(ctx, "Must be one of: {choices}."))


class Choice(FieldType):
    key, label_en, label_zh, widget = "choice", "Single choice", "单选", "select"
    options = {"choices": fields.List(fields.Dict(), validate=validate.Length(min=1, max=200))}

    def check_field(self, field):
        errors = []
        values = []
        for i, option in enumerate(field.get("choices") or []):
            if not isinstance(option, dict) or str(option.get("value", "")).strip() == "":
                errors.append(_("choice %(n)d needs a value", n=i + 1))
                continue
            extra = set(option) - {"value", "label"}
            if extra:
                errors.append(_("choice %(n)d has unknown properties: %(names)s",
                                n=i + 1, names=", ".join(sorted(extra))))
            values.append(str(option["value"]))
        if not field.get("choices"):
            errors.append(_("a choice field needs at least one choice"))
        if len(values) != len(set(values)):
            errors.append(_("choice values must be unique"))
        return {"choices": errors} if errors else {}

    def marshmallow_field(self, field, ctx):
        return fields.String(allow_none=True, validate=_one_of(field, ctx))

    def choices(self, field, ctx):
        return [(str(o["value"]), ctx.text(o.get("label")) or str(o["value"]))
                for o in field.get("choices") or []]


class MultiChoice(Choice):
    key, label_en, label_zh, widget = "multi_choice", "Multiple choice", "多选", "checkboxes"
    options = dict(Choice.options, min_items=fields.Integer(validate=validate.Range(min=0)),
                   max_items=fields.Integer(validate=validate.Range(min=1)))

    def marshmallow_field(self, field, ctx):
        return fields.List(fields.String(validate=_one_of(field, ctx)), allow_none=True,
                           validate=_length(field.get("min_items"), field.get("max_items"),
                                            ctx))

    def normalise(self, value):
        # The same choice twice is one choice.
        return list(dict.fromkeys(value))


class YesNo(FieldType):
    key, label_en, label_zh, widget = "yes_no", "Yes / no", "是/否", "yesno"

    def marshmallow_field(self, field, ctx):
        return fields.Boolean(allow_none=True)

    def display(self, value, ctx=None):
        if value is None:
            return ""
        if ctx is None:
            return "yes" if value else "no"
        return ctx.gettext("yes") if value else ctx.gettext("no")


class Rating(FieldType):
    key, label_en, label_zh, widget = "rating", "Rating", "评分", "rating"
    options = {"max": fields.Integer(validate=validate.Range(min=2, max=10))}

    def marshmallow_field(self, field, ctx):
        return fields.Integer(allow_none=True,
                              validate=validate.Range(
                                  min=1, max=field.get("max", 5),
                                  error=_tr(ctx, "Must be between {min} and {max}.")))


class PersonRef(FieldType):
    """A person of the org, stored as the person's id."""

    key, label_en, label_zh, widget = "person", "Person", "人员", "select"

    def marshmallow_field(self, field, ctx):
        def exists(value):
            if value not in ctx.person_ids():
                raise ValidationError("No such person.")
        return fields.Integer(allow_none=True, validate=exists)

    def choices(self, field, ctx):
        return [(str(pid), name) for pid, name in ctx.people()]

    def display(self, value, ctx=None):
        if value is None:
            return ""
        return ctx.person_name(value) if ctx else str(value)


class CustomerRef(FieldType):
    """A customer/account from the ingested records the submitter may see (record id)."""

    key, label_en, label_zh, widget = "customer", "Customer / account", "客户", "select"
    options = {"record_type": fields.String(validate=validate.Length(min=1, max=64))}

    def marshmallow_field(self, field, ctx):
        record_type = field.get("record_type", "account")

        def visible(value):
            if value not in dict(ctx.customers(record_type)):
                raise ValidationError("No such customer among the accounts you may see.")
        return fields.Integer(allow_none=True, validate=visible)

    def choices(self, field, ctx):
        return [(str(rid), name) for rid, name in ctx.customers(field.get("record_type",
                                                                           "account"))]

    def display(self, value, ctx=None):
        if value is None:
            return ""
        return ctx.record_name(value) if ctx else str(value)


class LocationValue(fields.Field):
    """{"lat": -90..90, "lng": -180..180, "accuracy": metres (optional)}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or set(value) - {"lat", "lng", "accuracy"}:
            raise ValidationError(_say("A location is {lat, lng} in degrees."))
        out = {}
        for name, lo, hi in (("lat", -90, 90), ("lng", -180, 180), ("accuracy", 0, 1e7)):
            raw = value.get(name)
            if raw in (None, "") and name == "accuracy":
                continue
            try:
                number = float(raw)
            except (TypeError, ValueError):
                raise ValidationError(_say("%(name)s must be a number.",
                                           name=_say(name))) from None
            if not (lo <= number <= hi) or number != number:
                raise ValidationError(_say("%(name)s must be between %(lo)s and %(hi)s.",
                                           name=_say(name), lo=lo, hi=hi))
            out[name] = round(number, 7)
        return out


class Location(FieldType):
    key, label_en, label_zh, widget = "location", "Location", "位置", "location"

    def marshmallow_field(self, field, ctx):
        return LocationValue(allow_none=True)

    def display(self, value, ctx=None):
        return "" if not value else f"{value['lat']},{value['lng']}"


def request_cap_kb():
    """The largest upload in KB the server reads at all (``MAX_CONTENT_LENGTH``); a file
    field may not promise more, as a bigger request is refused before the form sees it."""
    cap = current_app.config.get("MAX_CONTENT_LENGTH") if has_app_context() else None
    if cap is None and not has_app_context():
        from ..config import DEFAULTS
        cap = DEFAULTS["MAX_CONTENT_LENGTH"]
    return None if cap is None else cap // 1024


DEFAULT_ACCEPT = ["pdf", "png", "jpg", "jpeg", "gif", "webp", "docx", "xlsx", "pptx", "txt",
                  "csv"]


class File(FieldType):
    """An evidence file: the answer is the id of an attachment uploaded for this field."""

    key, label_en, label_zh, widget = "file", "File attachment", "附件", "file"
    options = {"max_size_kb": fields.Integer(validate=validate.Range(min=1, max=1024 * 1024)),
               "accept": fields.List(fields.String(validate=validate.Regexp(r"^[a-z0-9]{1,10}$")),
                                     validate=validate.Length(min=1))}

    def check_field(self, field):
        cap, size = request_cap_kb(), field.get("max_size_kb")
        if cap is not None and size is not None and size > cap:
            return {"max_size_kb": [_("must be at most %(cap)d KB, the largest upload the "
                                      "server accepts (MAX_CONTENT_LENGTH)", cap=cap)]}
        return {}

    def limits(self, field):
        return field.get("max_size_kb", 5120) * 1024, field.get("accept") or DEFAULT_ACCEPT

    def check_upload(self, field, filename, size):
        """A message when the file breaks the field's limits, else None."""
        max_bytes, accept = self.limits(field)
        ext = os.path.splitext(filename or "")[1].lower().lstrip(".")
        if ext not in accept:
            return _say("Files of type .%(ext)s are not accepted here; allowed: %(types)s.",
                        ext=ext or "?", types=", ".join(accept))
        if size > max_bytes:
            return _say("The file is %(size)d KB; at most %(max)d KB is allowed.",
                        size=size // 1024, max=max_bytes // 1024)
        if size == 0:
            return _say("The file is empty.")
        return None

    def marshmallow_field(self, field, ctx):
        def owned(value):
            # An over-long number names no upload; checked first, as the lookup would
            # overflow in the database.
            if not id_in_range(value) or not ctx.attachment_ok(field["key"], value):
                raise ValidationError("No such upload for this field.")
        return fields.Integer(allow_none=True, validate=owned)

    def display(self, value, ctx=None):
        if value is None:
            return ""
        return ctx.attachment_name(value) if ctx else str(value)


class Section(FieldType):
    key, label_en, label_zh, widget = "section", "Section heading", "分节标题", "section"
    has_value = False


TYPES = [Text, LongText, Number, Money, Percent, Date, DateTime, Duration, Choice,
         MultiChoice, YesNo, Rating, PersonRef, CustomerRef, Location, File, Section]


@hookimpl
def register_field_types():
    return TYPES
