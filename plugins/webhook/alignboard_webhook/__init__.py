"""Alignboard plugin: the ``webhook`` connector, a generic push receiver.

A source POSTs JSON to the connection's URL (``/api/v1/hooks/<id>``), signed as described in
``alignboard.connectors.base.Connector.verify``. The body is one object, a list of objects,
or an object holding the list at ``records_path`` (dotted, e.g. ``data.items``). Each
object is one row for the connection's field mapping.
"""
import json

from marshmallow import Schema, fields, validate

from alignboard import hookimpl
from alignboard.connectors.base import Connector

__version__ = "0.1.0"

MAX_ROWS = 5000


class WebhookSettings(Schema):
    records_path = fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "label": "Path to the records",
        "description": "Dotted path to the list of records in the JSON body (empty: the "
                       "body is one record or a list of records)"})


def dig(document, path):
    """``dig({"a": {"b": [1]}}, "a.b") == [1]``; ValueError naming the missing step."""
    value = document
    for step in [s for s in (path or "").split(".") if s]:
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            raise ValueError(f"the JSON has no {step!r} at {path!r}")
    return value


class WebhookConnector(Connector):
    key = "webhook"
    title = "Webhook (push)"
    description = "Receives signed JSON deliveries at this connection's URL."
    kind = "push"
    Settings = WebhookSettings

    def receive(self, request, settings):
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError as exc:
            raise ValueError(f"the body is not JSON: {exc}") from None
        rows = dig(body, settings.get("records_path", ""))
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list):
            raise ValueError("expected an object or a list of objects")
        if len(rows) > MAX_ROWS:
            raise ValueError(f"more than {MAX_ROWS} records in one delivery: split it")
        return rows


@hookimpl
def register_connectors():
    return [WebhookConnector]
