"""Input checks every area shares: numbers the database can compare, text it can store.

An id, version or page number longer than a signed 64-bit integer makes the SQLite driver
raise OverflowError (and PostgreSQL a DataError) instead of finding nothing, and a NUL
character cannot be stored in a PostgreSQL text column at all. Both must be refused where
the input arrives, as a clear error, rather than fail deep inside a query as a 500.
"""
import re

from marshmallow import ValidationError, validate

from .db import MAX_ID, id_in_range

# For marshmallow id, version and filter fields: an over-long number is a 422 naming the
# field, not an overflow in the database.
ID = validate.Range(1, MAX_ID, error="is not a valid id")

# Control characters other than tab and line breaks: nobody types them, spreadsheets
# (openpyxl) refuse to write them, and some terminals and logs act on them.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A name, login or code is one line: tabs and line breaks are refused there too.
CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_MESSAGE = "Must not contain control characters."
BREAK_MESSAGE = "Must be one line, without tabs or control characters."


def control_problem(text, one_line=False):
    """The message for ``text`` holding a control character (tab and line breaks allowed
    unless ``one_line``), or None when it is clean or not text."""
    if not isinstance(text, str):
        return None
    if one_line:
        return BREAK_MESSAGE if CONTROL_OR_BREAK.search(text) else None
    return CONTROL_MESSAGE if CONTROL.search(text) else None


def plain_text(one_line=False):
    """A marshmallow validator refusing control characters (see ``control_problem``)."""
    def check(value):
        problem = control_problem(value, one_line)
        if problem:
            raise ValidationError(problem)
    return check


NUL = "\x00"
NUL_MESSAGE = "Must not contain a NUL character (code 0)."

_DIGITS = re.compile(r"[0-9]+")


def parse_id(text):
    """The id written in ``text`` (a query-string or form value), or None when it cannot
    name a row: not plain ASCII digits (``int`` would also take "+5", " 5" and "1_0"), zero,
    or too large for the database."""
    if text is None or not _DIGITS.fullmatch(str(text)):
        return None
    value = int(text)
    return value if id_in_range(value) else None


def nul_errors(data, path=""):
    """{field path: [message]} for every string in ``data`` (JSON-like: dicts, lists,
    strings; dict keys count too) holding a NUL character. Nested fields are named with
    dots, as "data.notes", so that a client sees which answer to fix."""
    errors = {}
    if isinstance(data, str):
        if NUL in data:
            errors[path or "_schema"] = [NUL_MESSAGE]
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and NUL in key:
                errors[name] = [NUL_MESSAGE]
            errors.update(nul_errors(value, name))
    elif isinstance(data, (list, tuple)):
        for value in data:
            errors.update(nul_errors(value, path))
    return errors
