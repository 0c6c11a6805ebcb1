"""/api/v1/connections and /api/v1/connectors: configure connections, start and read runs.

Only roles that may configure (hr, admin) use these; secrets are never returned.
"""
from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields

from ..api import PAGINATE, configure_required, fail, page
from . import jobs, registry, secrets, service, sync
from .base import ConnectorError
from .models import Connection, SyncFailure, SyncRun

bp = Blueprint("connections_api", __name__, url_prefix="/api/v1",
               description="Connections to source systems, their mapping and sync runs.")


class ConnectionSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True)
    connector = fields.String(required=True)
    settings = fields.Dict(load_default=dict, metadata={
        "description": "the connector's settings; secrets are write-only (shown masked)"})
    mapping = fields.Dict(load_default=dict)
    schedule_minutes = fields.Integer(load_default=0)
    enabled = fields.Boolean(load_default=True)
    last_run_at = fields.DateTime(dump_only=True, allow_none=True)
    webhook_url = fields.String(dump_only=True, allow_none=True)
    webhook_secret = fields.String(dump_only=True, metadata={
        "description": "only in the answer that creates a push connection: sign deliveries "
                       "with it; it is never shown again"})


class ConnectionPatchSchema(Schema):
    name = fields.String()
    settings = fields.Dict()
    mapping = fields.Dict()
    schedule_minutes = fields.Integer()
    enabled = fields.Boolean()


class RunSchema(Schema):
    id = fields.Integer()
    connection_id = fields.Integer()
    trigger = fields.String()
    status = fields.String()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    processed = fields.Integer()
    total = fields.Integer(allow_none=True)
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    failed = fields.Integer()
    message = fields.String()
    attempt = fields.Integer()
    resume_of = fields.Integer(allow_none=True)


class FailureSchema(Schema):
    row_ref = fields.String()
    external_id = fields.String(allow_none=True)
    reason = fields.String()
    data = fields.Raw(allow_none=True)


class SyncArgs(Schema):
    full = fields.Boolean(load_default=False)
    wait = fields.Boolean(load_default=False, metadata={
        "description": "run now and answer with the finished run instead of queueing"})


def _dump(c):
    return {"id": c.id, "name": c.name, "connector": c.connector,
            "settings": service.masked_settings(c), "mapping": c.mapping,
            "schedule_minutes": c.schedule_minutes, "enabled": c.enabled,
            "last_run_at": c.last_run_at,
            "webhook_url": url_for("connector_hooks.receive", connection_id=c.id,
                                   _external=True) if c.webhook_secret else None}


def _get(connection_id):
    c = Connection.get_or_none(Connection.id == connection_id)
    if c is None:
        fail(404, f"No connection {connection_id}.")
    return c


@bp.route("/connectors/")
class Connectors(MethodView):
    decorators = [configure_required]

    def get(self):
        """Installed connectors and their settings fields."""
        out = []
        for key, cls in sorted(registry.available().items()):
            schema = cls.Settings()
            out.append({"key": key, "title": cls.title, "kind": cls.kind,
                        "description": cls.description,
                        "settings": [{"name": n, "required": f.required,
                                      "secret": bool(f.metadata.get("secret")),
                                      "label": f.metadata.get("label", n)}
                                     for n, f in schema.fields.items()]})
        return out


@bp.route("/connections/")
class Connections(MethodView):
    decorators = [configure_required]

    @bp.response(200, ConnectionSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, pagination_parameters):
        """List connections (secrets masked)."""
        return [_dump(c) for c in page(Connection.select().order_by(Connection.id),
                                        pagination_parameters)]

    @bp.arguments(ConnectionSchema)
    @bp.response(201, ConnectionSchema)
    def post(self, data):
        """Create a connection; settings are checked with the connector's schema."""
        try:
            c = service.create(data["name"], data["connector"], data["settings"],
                               data["mapping"] or None, data["schedule_minutes"],
                               data["enabled"])
        except ValidationError as exc:
            fail(422, "The connection is not valid: see errors.", exc.messages)
        body = _dump(c)
        if c.webhook_secret:
            body["webhook_secret"] = secrets.decrypt_text(c.webhook_secret)
        return body


@bp.route("/connections/<int:connection_id>")
class ConnectionItem(MethodView):
    decorators = [configure_required]

    @bp.response(200, ConnectionSchema)
    def get(self, connection_id):
        """Read one connection (secrets masked)."""
        return _dump(_get(connection_id))

    @bp.arguments(ConnectionPatchSchema)
    @bp.response(200, ConnectionSchema)
    def patch(self, data, connection_id):
        """Change a connection; a secret left out or empty keeps its stored value."""
        c = _get(connection_id)
        try:
            service.update(c, **data)
        except ValidationError as exc:
            fail(422, "The connection is not valid: see errors.", exc.messages)
        except ConnectorError as exc:
            fail(409, str(exc))
        return _dump(c)


@bp.route("/connections/<int:connection_id>/sync", methods=["POST"])
@configure_required
@bp.arguments(SyncArgs, location="query")
def start_sync(args, connection_id):
    """Start a sync: queued for the worker (the answer names the queued run), or run now
    with ``wait=true``."""
    c = _get(connection_id)
    if args["wait"]:
        try:
            run = sync.run(c, trigger="api", full=args["full"])
        except sync.SyncBusy as exc:
            fail(409, str(exc))
        return RunSchema().dump(run), 200
    try:
        run = jobs.queue(c, trigger="api", full=args["full"])
    except ConnectorError as exc:  # SyncBusy: a run is live or already queued
        fail(409, str(exc))
    return {"queued": True, "connection_id": c.id, "run_id": run.id}, 202


@bp.route("/connections/<int:connection_id>/runs")
class Runs(MethodView):
    decorators = [configure_required]

    @bp.response(200, RunSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, connection_id, pagination_parameters):
        """The connection's runs, newest first."""
        c = _get(connection_id)
        return page(c.runs.order_by(SyncRun.id.desc()), pagination_parameters)


@bp.route("/runs/<int:run_id>/failures")
class Failures(MethodView):
    decorators = [configure_required]

    @bp.response(200, FailureSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, run_id, pagination_parameters):
        """The rows a run could not store, with the reason."""
        return page(SyncFailure.select().where(SyncFailure.run == run_id)
                    .order_by(SyncFailure.id), pagination_parameters)
