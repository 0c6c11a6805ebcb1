"""The field type interface and the registry every form definition is checked against.

A field type is a class with a unique ``key``; built-in types live in
``alignboard.forms.builtin_types`` and reach the registry through the
``register_field_types`` hook, exactly as a plugin's types do. A type says which extra
properties a field of its kind may carry (``options``: name -> marshmallow field that checks
the property in a definition), builds the marshmallow field that validates an answer, and
turns a stored value into text for pages and exports.
"""
import logging

from marshmallow import fields

from .. import plugins

log = logging.getLogger(__name__)


class FieldType:
    """Base class of every field type. Subclass it and override what differs."""

    key = ""
    label_en = ""
    label_zh = ""
    # A section heading has no value; everything else does.
    has_value = True
    # The widget the rep page renders: text, textarea, number, date, datetime, select,
    # radio, checkboxes, yesno, rating, location, file, section.
    widget = "text"
    # Extra properties a field of this type may have in a definition.
    options = {}

    def check_field(self, field):
        """Further checks of one field definition; return {property: [messages]}."""
        return {}

    def marshmallow_field(self, field, ctx):
        """The marshmallow field that validates (and converts) an answer to ``field``.

        ``ctx`` is a ``forms.schema.Context`` (the submitter, the form, the submission being
        edited). The field must accept ``None`` as missing: requiredness is checked by the
        schema, since it depends on conditions.
        """
        return fields.String(allow_none=True)

    def normalise(self, value):
        """The loaded value as stored in JSON: numbers as numbers, dates as ISO strings."""
        return value

    def display(self, value, ctx=None):
        """The stored value as one line of text, for pages and exports."""
        if value is None:
            return ""
        if isinstance(value, list):
            return "; ".join(str(v) for v in value)
        return str(value)

    def display_field(self, field, value, ctx=None):
        """``value`` as one line of text for ``field``; types whose text depends on the
        field's properties (a money field's currency) override this."""
        return self.display(value, ctx)

    def choices(self, field, ctx):
        """For widgets that pick from a list: [(value, label)]."""
        return []


def registry():
    """{key: FieldType instance} from every plugin (built-ins included), first key wins."""
    types = {}
    for cls in plugins.call("register_field_types"):
        try:
            instance = cls() if isinstance(cls, type) else cls
            key = instance.key
        except Exception:
            log.exception("field type %r cannot be created; ignored", cls)
            continue
        if not key or key in types:
            if key:
                log.warning("field type %r is registered twice; the first one is kept", key)
            continue
        types[key] = instance
    return types
