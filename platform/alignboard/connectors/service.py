"""Creating and changing connections, shared by the admin, the API, the CLI and the demo.

Settings are checked with the connector's own marshmallow schema; the fields it marks
secret are split off and encrypted. A secret left empty on an update keeps its stored value,
so forms never need to show a secret again.
"""
import secrets as pysecrets

from flask_babel import gettext as _
from marshmallow import ValidationError

from ..db import database, utcnow
from . import registry, secrets
from .base import secret_fields
from .mapping import validate_mapping  # noqa: F401 (re-exported for callers)
from .models import Connection


def load_settings(connector_cls, data, current=None):
    """Validate ``data`` with the connector's schema; return ``(plain, secret)`` dicts.

    ``current`` (the stored full settings) fills secrets left empty. Raises
    ``ValidationError`` with ``{field: [messages]}``.
    """
    data = dict(data or {})
    hidden = secret_fields(connector_cls.Settings)
    for name in hidden:
        if current and not data.get(name) and current.get(name):
            data[name] = current[name]
    data = {k: v for k, v in data.items() if v not in (None, "") or k in hidden}
    for name in hidden:
        if data.get(name) in (None, ""):
            data.pop(name, None)
    schema = connector_cls.Settings()
    # Stored as the schema dumps them (dates as ISO text), loaded again for each run.
    values = schema.dump(schema.load(data))
    plain = {k: v for k, v in values.items() if k not in hidden}
    secret = {k: v for k, v in values.items() if k in hidden and v not in (None, "")}
    return plain, secret


def _check_name(name, exclude_id=None):
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": ["give a name of 1 to 100 characters"]})
    q = Connection.select().where(Connection.name == name)
    if exclude_id:
        q = q.where(Connection.id != exclude_id)
    if q.exists():
        raise ValidationError({"name": [f"a connection named {name!r} exists already"]})
    return name


def _check_schedule(minutes):
    try:
        minutes = int(minutes or 0)
    except (TypeError, ValueError):
        raise ValidationError({"schedule_minutes": ["give a number of minutes"]}) from None
    if minutes < 0 or minutes > 60 * 24 * 31:
        raise ValidationError({"schedule_minutes": ["0 (on demand only) to 44640 minutes"]})
    return minutes


def _check_push_schedule(cls, minutes):
    """Push connectors only receive webhooks: a schedule would fail on every tick."""
    if cls.kind == "push" and minutes > 0:
        raise ValidationError({"schedule_minutes": [
            _("a webhook connection receives its data and cannot run on a schedule: "
              "set 0 (on demand only)")]})
    return minutes


def create(name, connector, settings, mapping=None, schedule_minutes=0, enabled=True):
    """Create a connection; raise ``ValidationError`` ({field: [messages]}) on bad input."""
    errors = {}
    cls = registry.available().get(connector)
    if cls is None:
        raise ValidationError({"connector": [f"no installed connector {connector!r}"]})
    try:
        name = _check_name(name)
    except ValidationError as exc:
        errors.update(exc.messages)
    try:
        plain, secret = load_settings(cls, settings)
    except ValidationError as exc:
        errors["settings"] = exc.messages
    try:
        mapping = validate_mapping(mapping) if mapping else (cls.suggested_mapping or {})
    except ValidationError as exc:
        errors["mapping"] = exc.messages
    try:
        schedule_minutes = _check_push_schedule(cls, _check_schedule(schedule_minutes))
    except ValidationError as exc:
        errors.update(exc.messages)
    if errors:
        raise ValidationError(errors)
    with database.atomic():
        return Connection.create(name=name, connector=connector, settings=plain,
                                 secrets=secrets.encrypt(secret), mapping=mapping,
                                 schedule_minutes=schedule_minutes, enabled=bool(enabled),
                                 webhook_secret=secrets.encrypt_text(
                                     pysecrets.token_urlsafe(32)) if cls.kind == "push"
                                 else None)


def update(connection, name=None, settings=None, mapping=None, schedule_minutes=None,
           enabled=None):
    """Change a connection; unchanged arguments are None. Secrets left empty are kept."""
    cls = registry.get(connection.connector)
    errors = {}
    if name is not None:
        try:
            connection.name = _check_name(name, connection.id)
        except ValidationError as exc:
            errors.update(exc.messages)
    if settings is not None:
        current = dict(connection.settings or {})
        current.update(secrets.decrypt(connection.secrets))
        try:
            plain, secret = load_settings(cls, settings, current)
            connection.settings, connection.secrets = plain, secrets.encrypt(secret)
        except ValidationError as exc:
            errors["settings"] = exc.messages
    if mapping is not None:
        try:
            connection.mapping = validate_mapping(mapping)
        except ValidationError as exc:
            errors["mapping"] = exc.messages
    if schedule_minutes is not None:
        try:
            connection.schedule_minutes = _check_push_schedule(
                cls, _check_schedule(schedule_minutes))
        except ValidationError as exc:
            errors.update(exc.messages)
    if enabled is not None:
        connection.enabled = bool(enabled)
    if errors:
        raise ValidationError(errors)
    connection.updated_at = utcnow()
    connection.save()
    return connection


def new_webhook_secret(connection):
    """Generate and store a new webhook secret; return it (shown once)."""
    value = pysecrets.token_urlsafe(32)
    connection.webhook_secret = secrets.encrypt_text(value)
    connection.save()
    return value


def masked_settings(connection):
    """Settings for display: plain values as they are, secrets masked."""
    shown = dict(connection.settings or {})
    try:
        hidden = secrets.decrypt(connection.secrets)
    except secrets.SecretError:
        hidden = {}
    for key, value in hidden.items():
        shown[key] = secrets.mask(value)
    return shown
