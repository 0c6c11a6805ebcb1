"""/api/v1/forms: definitions (hr/admin write) and submissions (scoped by role)."""
from flask import Response, request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, fields, validate

from ..api import PAGINATE, ErrorSchema, configure_required, fail, login_required, page
from ..db import database
from ..org import scopes
from ..validation import ID
from . import exports, store
from .definition import DefinitionError
from .models import Attachment, Form, FormVersion, Submission
from .submissions import SubmissionError, may_fill, save, store_upload

bp = Blueprint("forms_api", __name__, url_prefix="/api/v1/forms",
               description="Form definitions (versions) and the submissions made with them.")


class FormSchema(Schema):
    key = fields.String()
    title = fields.String()
    title_zh = fields.String()
    version = fields.Integer(attribute="current_version.version")
    active = fields.Boolean()
    definition = fields.Dict(metadata={"description": "the current definition"})
    updated_at = fields.DateTime()


class DefinitionSchema(Schema):
    """A form definition; see the README (Forms) for every property."""

    class Meta:
        unknown = INCLUDE

    key = fields.String(required=True, metadata={"example": "visit_log"})
    title = fields.Raw(required=True, metadata={"description": "text or {en, zh}"})
    description = fields.Raw()
    access = fields.Dict(metadata={"description": "{roles: [...], units: [unit codes]}"})
    frequency = fields.Dict(metadata={"description": "{kind: free|once_per_period, "
                                                     "period: week|month|quarter|year}"})
    edit = fields.Dict(metadata={"description": "{allowed: bool, hours: int|null}"})
    visit_rule = fields.Dict(metadata={"description": "{start, end, location, min_minutes}"})
    fields_ = fields.List(fields.Dict(), data_key="fields", attribute="fields", required=True)


class VersionQuerySchema(Schema):
    version = fields.Integer(validate=ID)


class SubmissionSchema(Schema):
    id = fields.Integer()
    form_key = fields.String(attribute="form.key")
    version = fields.Integer(attribute="form_version.version")
    person_id = fields.Integer()
    period_id = fields.Integer(allow_none=True)
    status = fields.String()
    data = fields.Dict()
    submitted_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SubmissionInSchema(Schema):
    data = fields.Dict(required=True, metadata={"description": "field key -> answer"})
    status = fields.String(load_default="submitted",
                           validate=validate.OneOf(["submitted", "draft"]))
    version = fields.Integer(validate=ID,
                             metadata={"description": "the form version the answers were "
                                                      "made for; refused when not current"})
    person_id = fields.Integer(validate=ID,
                               metadata={"description": "must be the caller when given"})


class SubmissionPatchSchema(SubmissionInSchema):
    pass


class SubmissionQuerySchema(Schema):
    period_id = fields.Integer(validate=ID)
    unit_id = fields.Integer(validate=ID)
    person_id = fields.Integer(validate=ID)
    status = fields.String(validate=validate.OneOf(["submitted", "draft"]))


class ExportQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))
    period_id = fields.Integer(validate=ID)
    unit_id = fields.Integer(validate=ID)


class AttachmentSchema(Schema):
    id = fields.Integer()
    field_key = fields.String()
    filename = fields.String()
    size = fields.Integer()
    content_type = fields.String()


class FieldQuerySchema(Schema):
    field = fields.String(required=True)


def _form_or_404(key, viewer):
    form = Form.get_or_none(Form.key == key)
    if form is None or (not scopes.can_configure(viewer)
                        and not (form.active and may_fill(form.definition, viewer))
                        and not Submission.select().where(
                            (Submission.form == form) & Submission.person.in_(
                                scopes.visible_person_ids(viewer))).exists()):
        fail(404, f"No form {key!r} (or it is not for you).")
    return form


def _definition_error(exc):
    fail(422, str(exc), exc.errors)


def _submission_error(exc):
    fail(exc.status, exc.message, exc.errors or None)


@bp.route("/")
class Forms(MethodView):
    decorators = [login_required]

    @bp.response(200, FormSchema(many=True))
    def get(self):
        """List forms: all of them for hr/admin, the ones you may fill for others."""
        if scopes.can_configure(current_user):
            return list(Form.select().order_by(Form.key))
        return [f for f in Form.select().where(Form.active == True).order_by(Form.key)  # noqa
                if f.definition and may_fill(f.definition, current_user)]

    @configure_required
    @bp.arguments(DefinitionSchema)
    @bp.response(201, FormSchema)
    def post(self, data):
        """Create a form from a definition (hr, admin). 409 when the key exists."""
        raw = request.get_json()
        if Form.select().where(Form.key == raw.get("key")).exists():
            fail(409, f"A form with key {raw.get('key')!r} exists: PUT /api/v1/forms/KEY "
                      "changes it.", {"key": ["already taken"]})
        try:
            form, _, _ = store.save_definition(raw, by=current_user._get_current_object())
        except DefinitionError as exc:
            _definition_error(exc)
        return form


@bp.route("/<key>")
class FormItem(MethodView):
    decorators = [login_required]

    @bp.arguments(VersionQuerySchema, location="query")
    @bp.response(200, FormSchema)
    def get(self, args, key):
        """Read a form and its current definition (``?version=N`` for an older one)."""
        form = _form_or_404(key, current_user)
        if "version" in args:
            v = FormVersion.get_or_none((FormVersion.form == form)
                                        & (FormVersion.version == args["version"]))
            if v is None:
                fail(404, f"The form {key!r} has no version {args['version']}.")
            return {"key": form.key, "title": form.title, "title_zh": form.title_zh,
                    "current_version": v, "active": form.active, "definition": v.definition,
                    "updated_at": v.created_at}
        return form

    @configure_required
    @bp.arguments(DefinitionSchema)
    @bp.response(200, FormSchema)
    def put(self, data, key):
        """Replace the definition (hr, admin): a new version once it has submissions."""
        form = Form.get_or_none(Form.key == key)
        if form is None:
            fail(404, f"No form {key!r}.")
        try:
            form, _, _ = store.save_definition(request.get_json(), expected_key=key,
                                               by=current_user._get_current_object())
        except DefinitionError as exc:
            _definition_error(exc)
        return form


@bp.route("/<key>/submissions/")
class Submissions(MethodView):
    decorators = [login_required]

    @bp.arguments(SubmissionQuerySchema, location="query")
    @bp.response(200, SubmissionSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, args, key, pagination_parameters):
        """List submissions you may see: your own (with drafts), your team's for a
        manager, all for hr/exec/admin."""
        form = _form_or_404(key, current_user)
        q = exports.filtered(current_user, form, **args)
        return page(q.order_by(Submission.id.desc()), pagination_parameters)

    @bp.arguments(SubmissionInSchema)
    @bp.response(201, SubmissionSchema)
    @bp.alt_response(403, schema=ErrorSchema,
                     description="The form is not for your role or unit, or names someone else")
    @bp.alt_response(404, schema=ErrorSchema, description="No such form open to you")
    @bp.alt_response(409, schema=ErrorSchema,
                     description="Already sent for this period (a once-per-period form)")
    @bp.alt_response(422, schema=ErrorSchema,
                     description="Invalid answers: errors maps field keys to messages")
    def post(self, body, key):
        """Submit (or save a draft of) your answers; 422 with per-field errors."""
        form = _form_or_404(key, current_user)
        me = current_user._get_current_object()
        _refuse_other_person(body, me)
        try:
            return save(form, me, body["data"], submit=body["status"] == "submitted",
                        version=body.get("version"))
        except SubmissionError as exc:
            _submission_error(exc)


def _refuse_other_person(body, me):
    """403 when the body names a ``person_id`` other than the caller: nobody fills or
    edits forms on someone else's behalf through the API."""
    if body.get("person_id") not in (None, me.id):
        fail(403, "You may only fill forms for yourself.", {"person_id": ["must be you"]})


@bp.route("/<key>/submissions/<int:submission_id>")
class SubmissionItem(MethodView):
    decorators = [login_required]

    @bp.response(200, SubmissionSchema)
    def get(self, key, submission_id):
        """Read one submission within your scope."""
        form = _form_or_404(key, current_user)
        s = exports.visible_submissions(current_user, form).where(
            Submission.id == submission_id).first()
        if s is None:
            fail(404, f"No submission {submission_id} (or it is outside your scope).")
        return s

    @bp.arguments(SubmissionPatchSchema)
    @bp.response(200, SubmissionSchema)
    @bp.alt_response(403, schema=ErrorSchema,
                     description="The edit window has closed, or the body names someone else")
    @bp.alt_response(404, schema=ErrorSchema, description="No such submission of yours")
    @bp.alt_response(409, schema=ErrorSchema, description="Already sent for this period")
    @bp.alt_response(422, schema=ErrorSchema,
                     description="Invalid answers, or a sent submission set back to draft")
    def patch(self, body, key, submission_id):
        """Change your draft, send it, or edit a sent submission while the form allows."""
        form = _form_or_404(key, current_user)
        me = current_user._get_current_object()
        # Checked before the lookup so naming someone else is refused, not a plain 404.
        _refuse_other_person(body, me)
        s = Submission.get_or_none((Submission.id == submission_id) & (Submission.form == form)
                                   & (Submission.person == me.id))
        if s is None:
            fail(404, f"No submission {submission_id} of yours.")
        try:
            return save(form, me, body["data"], submit=body["status"] == "submitted",
                        version=body.get("version"), submission=s)
        except SubmissionError as exc:
            _submission_error(exc)


@bp.route("/<key>/attachments")
class Attachments(MethodView):
    decorators = [login_required]

    @bp.arguments(FieldQuerySchema, location="query")
    @bp.response(201, AttachmentSchema)
    def post(self, args, key):
        """Upload an evidence file (multipart, part ``file``) for a file field
        (``?field=KEY``); put the returned id in the submission's answers."""
        form = _form_or_404(key, current_user)
        me = current_user._get_current_object()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            fail(422, "Send the file as multipart form data in a part named 'file'.",
                 {"file": ["missing"]})
        if not may_fill(form.definition, me):
            fail(403, "This form is not for your role or unit.")
        try:
            with database.atomic():
                return store_upload(form, form.definition, args["field"], me, upload)
        except SubmissionError as exc:
            _submission_error(exc)


@bp.route("/<key>/export")
class Export(MethodView):
    decorators = [login_required]

    @bp.arguments(ExportQuerySchema, location="query")
    @bp.response(200, description="CSV or XLSX file of the sent submissions you may see")
    def get(self, args, key):
        """Export sent submissions as CSV or XLSX, filtered by period and unit."""
        form = _form_or_404(key, current_user)
        fmt = args.pop("format")
        body, mimetype, filename = exports.export(current_user, form, fmt, **args)
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})


def attachment_visible(viewer, attachment_id):
    """The attachment if its submission (or, unbound, its uploader) is visible to viewer."""
    a = Attachment.get_or_none(Attachment.id == attachment_id)
    if a is None:
        return None
    if a.submission_id is None:
        return a if a.person_id == viewer.id else None
    ok = exports.visible_submissions(viewer).where(Submission.id == a.submission_id).exists()
    return a if ok else None
