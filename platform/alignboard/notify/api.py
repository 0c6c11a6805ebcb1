"""/api/v1/inbox: the caller's own notifications; unread count; mark read.
/api/v1/flags: the flags rules set on one subject the caller may see."""
from flask import jsonify
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..api import PAGINATE, fail, login_required, page
from ..db import utcnow
from . import flags
from .models import Notification

bp = Blueprint("inbox", __name__, url_prefix="/api/v1/inbox",
               description="Your in-app notifications (only ever your own).")
flags_bp = Blueprint("flags", __name__, url_prefix="/api/v1/flags",
                     description="Flags and colours rules set on a submission, record, "
                                 "person or unit you may see.")


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    links = fields.List(fields.Dict())
    firing_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None)


class InboxQuerySchema(Schema):
    unread = fields.Boolean(metadata={"description": "only unread notifications"})


def mine():
    return Notification.select().where(Notification.person == current_user.id)


def unread_count(person):
    return Notification.select().where((Notification.person == person.id) &
                                       Notification.read_at.is_null()).count()


@bp.route("/")
class Inbox(MethodView):
    decorators = [login_required]

    @bp.arguments(InboxQuerySchema, location="query")
    @bp.response(200, NotificationSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, args, pagination_parameters):
        """Your notifications, newest first; ``X-Unread-Count`` holds the unread total."""
        q = mine()
        if args.get("unread"):
            q = q.where(Notification.read_at.is_null())
        return page(q.order_by(Notification.created_at.desc(), Notification.id.desc()),
                    pagination_parameters), 200, {"X-Unread-Count": str(unread_count(
                        current_user))}


@bp.route("/unread-count")
class UnreadCount(MethodView):
    decorators = [login_required]

    def get(self):
        """How many of your notifications are unread."""
        return jsonify({"unread": unread_count(current_user)})


@bp.route("/<int:notification_id>/read")
class MarkRead(MethodView):
    decorators = [login_required]

    @bp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of your notifications read."""
        n = mine().where(Notification.id == notification_id).first()
        if n is None:
            fail(404, f"No notification {notification_id} in your inbox.")
        if n.read_at is None:
            n.read_at = utcnow()
            n.save()
        return n


@bp.route("/read-all")
class MarkAllRead(MethodView):
    decorators = [login_required]

    def post(self):
        """Mark all your notifications read; answers how many changed."""
        changed = (Notification.update(read_at=utcnow())
                   .where((Notification.person == current_user.id) &
                          Notification.read_at.is_null()).execute())
        return jsonify({"marked": changed, "unread": 0})


class FlagQuerySchema(Schema):
    subject_type = fields.String(required=True, validate=validate.OneOf(flags.SUBJECT_TYPES))
    subject_id = fields.Integer(required=True)


class FlagSchema(Schema):
    key = fields.String()
    value = fields.String()
    note = fields.String()
    updated_at = fields.DateTime()


@flags_bp.route("/")
class Flags(MethodView):
    decorators = [login_required]

    @flags_bp.arguments(FlagQuerySchema, location="query")
    @flags_bp.response(200, FlagSchema(many=True))
    def get(self, args):
        """The flags on one subject (e.g. a visit's ``valid = no``), by key."""
        stype, sid = args["subject_type"], args["subject_id"]
        # Outside the caller's scope answers like a missing subject: nothing leaks.
        if not flags.can_see_subject(current_user, stype, sid):
            fail(404, _("No %(type)s %(id)s (or it is outside your scope).", type=stype,
                        id=sid))
        return flags.flags_of(stype, sid)
