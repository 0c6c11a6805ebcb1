"""What a connector is: the class every connector plugin subclasses.

A connector is stateless code; a *connection* (``connectors.models.Connection``) is a
connector plus the settings an admin entered. Two kinds exist:

- pull connectors implement ``pull(settings, cursor)`` and yield ``Batch`` objects: some
  source rows (plain dicts) and the cursor that resumes *after* them. The sync engine stores
  each batch and its cursor in one transaction, so a run killed halfway resumes exactly
  where the last stored batch ended.
- push connectors implement ``receive(request, settings)`` and return the rows of one
  webhook delivery; the platform checks the signature and refuses replays before calling it.

``Settings`` is a marshmallow schema: the admin's connection form is generated from it.
Field ``metadata`` understood by the form: ``label``, ``description``, ``secret`` (stored
encrypted, shown masked, never sent back), ``widget`` ("textarea"), ``placeholder``.
"""
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from marshmallow import Schema


class ConnectorError(Exception):
    """The source cannot be read at all (wrong credentials, bad settings, unreachable).

    The run stops with this message; the stored cursor and records stay as they were.
    """


class RowError(ValueError):
    """One row cannot be stored; the run records the reason and goes on."""


class SignatureError(ValueError):
    """A webhook delivery is not authentic or is a replay."""

    def __init__(self, message, status=401):
        super().__init__(message)
        self.status = status


@dataclass
class Batch:
    """Rows from the source plus the cursor that resumes after them.

    ``rows`` are dicts of source fields; a row may carry ``"__row__"`` (a line number or any
    reference a person can find the row by in the source) and ``"__error__"`` (why the
    connector could not read it: the row is then logged as failed with that reason). ``total`` is the number of rows
    the whole pull will yield when the connector knows it (for progress bars).
    """

    rows: list
    cursor: Any = None
    total: Optional[int] = None


@dataclass
class Context:
    """What the platform lends a connector during a run: an HTTP client, folders, a logger."""

    http: Any = None
    upload_folder: str = ""
    log: Any = None
    extra: dict = field(default_factory=dict)


class Connector:
    """Base class of every connector. Subclass it and register the class through the
    ``register_connectors`` hook.

    Class attributes: ``key`` (unique, stored with each connection: never change it),
    ``title``, ``description``, ``kind`` ("pull" or "push"), ``Settings`` (a marshmallow
    schema), ``suggested_mapping`` (a mapping dict the admin starts from).
    """

    key = ""
    title = ""
    description = ""
    kind = "pull"
    Settings = Schema
    suggested_mapping = None

    def __init__(self, context=None):
        self.context = context or Context()

    @property
    def http(self):
        return self.context.http

    def pull(self, settings, cursor):
        """Yield ``Batch`` objects from ``cursor`` (None: from the beginning)."""
        raise NotImplementedError(f"connector {self.key!r} cannot pull: it receives webhooks")

    def receive(self, request, settings):
        """Return the list of rows in one webhook delivery (the signature is checked)."""
        raise NotImplementedError(f"connector {self.key!r} does not receive webhooks")

    def check(self, settings):
        """Optional: try the settings (log in, read one page); raise ConnectorError if bad."""

    # Webhook authenticity. The default scheme: the sender signs "<timestamp>.<body>" with
    # HMAC-SHA256 and the connection's webhook secret, and sends
    #   X-Alignboard-Timestamp: <unix seconds>
    #   X-Alignboard-Signature: sha256=<hex digest>
    #   X-Alignboard-Delivery: <unique id>   (optional; the signature is used if absent)
    # A connector for a system with its own scheme overrides ``verify``.
    signature_tolerance = 300

    def verify(self, request, secret, now=None):
        """Check a delivery; return its delivery id (for replay protection)."""
        timestamp = request.headers.get("X-Alignboard-Timestamp", "")
        signature = request.headers.get("X-Alignboard-Signature", "")
        if not timestamp or not signature:
            raise SignatureError("missing X-Alignboard-Timestamp or X-Alignboard-Signature "
                                 "header")
        try:
            sent = int(timestamp)
        except ValueError:
            raise SignatureError("X-Alignboard-Timestamp must be unix seconds") from None
        now = time.time() if now is None else now
        if abs(now - sent) > self.signature_tolerance:
            raise SignatureError(f"the timestamp is more than {self.signature_tolerance} s "
                                 "away from now: stale or replayed delivery")
        expected = "sha256=" + sign(secret, timestamp, request.get_data())
        if not hmac.compare_digest(expected, signature):
            raise SignatureError("the signature does not match the body and the secret")
        return request.headers.get("X-Alignboard-Delivery") or signature


def sign(secret, timestamp, body):
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"``: what a webhook sender computes."""
    if isinstance(body, str):
        body = body.encode()
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def secret_fields(settings_schema):
    """Names of the settings marked ``metadata={"secret": True}``."""
    schema = settings_schema() if isinstance(settings_schema, type) else settings_schema
    return [name for name, f in schema.fields.items() if f.metadata.get("secret")]
