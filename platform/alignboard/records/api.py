"""/api/v1/records: ingested records, scoped to the people the caller may see."""
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

Dict, Integer, DateTime = fields.Dict, fields.Integer, fields.DateTime

from ..api import PAGINATE, fail, login_required, page
from ..org import scopes
from .models import Record

bp = Blueprint("records", __name__, url_prefix="/api/v1/records",
               description="Records ingested from source systems (deals, visits, calls...).")


class RecordSchema(Schema):
    id = fields.Integer()
    connection_id = fields.Integer(allow_none=True)
    external_id = fields.String()
    type = fields.String()
    owner_id = fields.Integer(allow_none=True)
    owner_ref = fields.String(allow_none=True)
    occurred_at = fields.DateTime(allow_none=True)
    fields = Dict()  # the class attribute shadows the module name from here on
    version = Integer()
    updated_at = DateTime()


class RecordQuerySchema(Schema):
    type = fields.String()
    owner_id = fields.Integer()
    connection_id = fields.Integer()


def visible_records(viewer):
    """Records owned by people the viewer may see; unowned ones only for scope 'all'."""
    q = Record.select()
    if scopes.scope_of(viewer) == "all":
        return q
    return q.where(Record.owner.in_(scopes.visible_person_ids(viewer)))


@bp.route("/")
class Records(MethodView):
    decorators = [login_required]

    @bp.arguments(RecordQuerySchema, location="query")
    @bp.response(200, RecordSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, args, pagination_parameters):
        """List records you may see, newest first."""
        q = visible_records(current_user)
        for key in ("type", "owner_id", "connection_id"):
            if key in args:
                q = q.where(getattr(Record, key) == args[key])
        return page(q.order_by(Record.occurred_at.desc(), Record.id.desc()),
                    pagination_parameters)


@bp.route("/<int:record_id>")
class RecordItem(MethodView):
    decorators = [login_required]

    @bp.response(200, RecordSchema)
    def get(self, record_id):
        """Read one record within your scope."""
        record = visible_records(current_user).where(Record.id == record_id).first()
        if record is None:
            fail(404, f"No record {record_id} (or it is outside your scope).")
        return record
