"""Admin forms built from data: a connector's settings form from its marshmallow schema,
and the field-mapping form's posted rows back into a mapping dict."""
from flask_wtf import FlaskForm
from marshmallow import fields as mf, validate as mv
from wtforms import (BooleanField, FloatField, IntegerField, PasswordField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import Optional

from .mapping import CONVERSIONS, OPERATORS, OWNER_MATCHES

PREFIX = "s_"
MAX_CLAUSES = 3


def _choices(field):
    for v in field.validators:
        if isinstance(v, mv.OneOf):
            return list(v.choices)  # plain values: label = value
    return None


def settings_form_class(schema_cls, secret_set=()):
    """A FlaskForm class with one control per field of the connector's Settings schema."""
    schema = schema_cls()

    class SettingsForm(FlaskForm):
        pass

    for name, field in schema.fields.items():
        meta = field.metadata
        label = meta.get("label", name.replace("_", " ").capitalize())
        desc = meta.get("description", "")
        default = field.load_default if not callable(field.load_default) else None
        default = None if default is mf.missing_ else default
        kwargs = {"description": desc, "validators": [Optional()]}
        choices = _choices(field)
        if meta.get("secret"):
            if name in secret_set:
                kwargs["description"] = (desc + " " if desc else "") + \
                    "A value is stored; leave empty to keep it."
            control = PasswordField(label, **kwargs)
        elif choices:
            control = SelectField(label, choices=choices, default=default, **kwargs)
        elif isinstance(field, mf.Boolean):
            control = BooleanField(label, default=bool(default), description=desc)
        elif isinstance(field, mf.Integer):
            control = IntegerField(label, default=default, **kwargs)
        elif isinstance(field, mf.Float):
            control = FloatField(label, default=default, **kwargs)
        elif isinstance(field, (mf.List, mf.Dict)) or meta.get("widget") == "textarea":
            hint = " One per line." if isinstance(field, mf.List) else \
                " One 'key = value' per line." if isinstance(field, mf.Dict) else ""
            kwargs["description"] = desc + hint
            control = TextAreaField(label, default=_to_text(default), **kwargs)
        else:
            control = StringField(label, default=default,
                                  render_kw={"placeholder": meta.get("placeholder", "")},
                                  **kwargs)
        setattr(SettingsForm, PREFIX + name, control)
    return SettingsForm


def _to_text(value):
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k} = {v}" for k, v in value.items())
    return value


def fill_form(form, schema_cls, values):
    """Put stored plain settings into the form (secrets are never put back)."""
    schema = schema_cls()
    for name, field in schema.fields.items():
        if field.metadata.get("secret") or name not in values:
            continue
        value = values[name]
        if isinstance(field, (mf.List, mf.Dict)):
            value = _to_text(value)
        getattr(form, PREFIX + name).data = value


def settings_from_form(form, schema_cls):
    """The settings dict a submitted settings form holds."""
    schema = schema_cls()
    out = {}
    for name, field in schema.fields.items():
        value = getattr(form, PREFIX + name).data
        if isinstance(field, mf.List):
            value = [line.strip() for line in (value or "").splitlines() if line.strip()]
        elif isinstance(field, mf.Dict):
            value = parse_pairs(value or "")
        elif isinstance(value, str):
            value = value.strip()
        if value in (None, "") and not isinstance(field, mf.Boolean):
            continue
        out[name] = value
    return out


def parse_pairs(text):
    """'Closed Won = won' lines -> {"Closed Won": "won"} (an empty right side is None)."""
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{line.strip()!r}: write 'source value = record value'")
        out[key.strip()] = value.strip() or None
    return out


def _split(text, sep=";"):
    return [p.strip() for p in (text or "").split(sep) if p.strip()]


def mapping_from_form(form):
    """Rows posted by the mapping page -> a mapping dict (validated later by the service).

    Raises ValueError with a message naming the row for what cannot even be read.
    """
    get = form.get
    mapping = {
        "external_id": get("external_id", "").strip(),
        "type": get("type", "").strip(),
        "owner": {"source": get("owner_source", "").strip(),
                  "match": get("owner_match", "login"),
                  "unmatched": get("owner_unmatched", "keep")},
        "occurred_at": {"sources": _split(get("occurred_sources"), ","),
                        "formats": _split(get("occurred_formats"))},
        "fields": [], "conditions": []}
    i = 0
    while f"f-{i}-source" in form:
        source, target = get(f"f-{i}-source", "").strip(), get(f"f-{i}-target", "").strip()
        if source or target:
            try:
                vmap = parse_pairs(get(f"f-{i}-value_map", ""))
            except ValueError as exc:
                raise ValueError(f"field row {i + 1} ({source}): value map {exc}") from None
            mapping["fields"].append({
                "source": source, "target": target or source,
                "trim": get(f"f-{i}-trim") == "1", "convert": get(f"f-{i}-convert", "text"),
                "formats": _split(get(f"f-{i}-formats")), "value_map": vmap,
                "required": get(f"f-{i}-required") == "1"})
        i += 1
    i = 0
    while f"c-{i}-type" in form:
        rtype = get(f"c-{i}-type", "").strip()
        clauses = []
        for j in range(MAX_CLAUSES):
            name = get(f"c-{i}-{j}-field", "").strip()
            if name:
                clauses.append({"field": name, "op": get(f"c-{i}-{j}-op", "=="),
                                "value": get(f"c-{i}-{j}-value", "").strip()})
        if rtype or clauses:
            mapping["conditions"].append({"type": rtype, "when": clauses})
        i += 1
    return mapping


MAPPING_CHOICES = {"conversions": CONVERSIONS, "operators": OPERATORS,
                   "matches": OWNER_MATCHES, "max_clauses": MAX_CLAUSES}
