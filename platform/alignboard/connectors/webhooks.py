"""Per-connection webhook URL: ``POST /api/v1/hooks/<connection id>``.

The sender signs each delivery (see ``Connector.verify``; HMAC-SHA256 with the connection's
webhook secret over the timestamp and the body). A bad signature answers 401, a delivery id
seen before answers 409 (replay) and so does a signature seen before (the delivery id header
is not signed, so a captured delivery resent under a new id is still a replay), rows that cannot be read answer 422; every refusal is
logged with its reason and stores nothing. Accepted rows go through the connection's mapping
into the records store as one logged run.
"""
import logging
from datetime import timedelta

import peewee
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from ..api import fail
from ..auth.login import csrf_exempt
from ..db import database, utcnow
from . import secrets, sync
from .base import ConnectorError, SignatureError
from .models import Connection, WebhookDelivery

log = logging.getLogger(__name__)

bp = Blueprint("connector_hooks", __name__, url_prefix="/api/v1/hooks")


def _refuse(connection_id, status, message):
    log.warning("webhook for connection %s refused (%s): %s", connection_id, status, message)
    fail(status, message)


def _signature_key(request, delivery_id):
    """The replay key of a delivery's signature, or None when it is already the delivery id.

    Only the signature is bound to the body and timestamp: keying on it refuses a captured
    delivery resent with a fresh, unsigned ``X-Alignboard-Delivery`` header.
    """
    signature = request.headers.get("X-Alignboard-Signature", "")
    if not signature or signature[:200] == delivery_id:
        return None
    return ("sig:" + signature)[:200]


def _prune_deliveries(connection, tolerance):
    """Forget delivery keys older than the signature window (twice it, for clock skew):
    a delivery that old is refused by its timestamp anyway, so its keys only fill the table."""
    cutoff = utcnow() - timedelta(seconds=2 * tolerance)
    WebhookDelivery.delete().where((WebhookDelivery.connection == connection) &
                                   (WebhookDelivery.received_at < cutoff)).execute()


def _forget(connection, keys):
    """Drop the given replay keys so the sender may retry a delivery that was not stored."""
    keys = [k for k in keys if k]
    WebhookDelivery.delete().where((WebhookDelivery.connection == connection) &
                                   (WebhookDelivery.delivery_id.in_(keys))).execute()


@bp.route("/<int:connection_id>", methods=["POST"])
@csrf_exempt
def receive(connection_id):
    """Receive one signed delivery for a push connection."""
    database.connect(reuse_if_open=True)
    connection = Connection.get_or_none(Connection.id == connection_id)
    if connection is None or not connection.enabled:
        _refuse(connection_id, 404, f"no enabled connection {connection_id}")
    try:
        connector = sync.connector_for(connection)
        secret = secrets.decrypt_text(connection.webhook_secret)
    except (ConnectorError, secrets.SecretError) as exc:
        _refuse(connection_id, 409, str(exc))
    if not secret:
        _refuse(connection_id, 409, "this connection has no webhook secret: set one in the "
                                    "admin first")
    try:
        delivery_id = connector.verify(request, secret)
    except SignatureError as exc:
        _refuse(connection_id, exc.status, f"signature check failed: {exc}")
    try:
        rows = connector.receive(request, sync.settings_of(connection))
    except (ValueError, ConnectorError) as exc:
        _refuse(connection_id, 422, f"the delivery cannot be read: {exc}")
    except NotImplementedError as exc:
        _refuse(connection_id, 409, str(exc))
    delivery_id = delivery_id[:200]
    signature_key = _signature_key(request, delivery_id)
    _prune_deliveries(connection, connector.signature_tolerance)
    try:
        with database.atomic():
            WebhookDelivery.create(connection=connection, delivery_id=delivery_id)
    except peewee.IntegrityError:
        _refuse(connection_id, 409, f"delivery {delivery_id[:60]!r} was received before: "
                                    "replay refused")
    try:
        with database.atomic():
            if signature_key:
                WebhookDelivery.create(connection=connection, delivery_id=signature_key)
    except peewee.IntegrityError:
        _forget(connection, [delivery_id])
        _refuse(connection_id, 409, _("this signature was received before: replay refused"))
    run = sync.ingest(connection, rows)
    if run.status != "succeeded":
        # Let the sender retry: forget the delivery id of a delivery that was not stored.
        _forget(connection, [delivery_id, signature_key])
        fail(500, f"the delivery could not be stored: {run.message}")
    return jsonify({"run": run.id, "status": run.status, "created": run.created,
                    "updated": run.updated, "unchanged": run.unchanged,
                    "failed": run.failed})
