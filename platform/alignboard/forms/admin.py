"""The HR side in the admin: the list of forms, the field editor, preview, files, exports.

The editor is a page of form controls (no JSON typing): a small script keeps the
definition in memory, draws a row of controls per field and sends the definition as one
hidden value; the server checks it exactly as it checks an import or an API call.
"""
import json

from flask import Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields as mf

from ..admin import SecureModelView, SecureView
from ..org.models import Period, Role, Unit
from peewee import fn
from . import exports, store
from .definition import DefinitionError, FREQUENCIES, PERIOD_KINDS
from .fieldtypes import registry
from .models import Form, Submission
from .schema import Context
from .views import bad_filter_message, field_views

FORMS = _l("Forms")


def option_kind(field):
    """How the editor asks for a type's option: number, checkbox, list, choices or text."""
    if isinstance(field, mf.List):
        return "choices" if isinstance(field.inner, (mf.Dict, mf.Raw)) and \
            not isinstance(field.inner, mf.String) else "list"
    if isinstance(field, (mf.Integer, mf.Float, mf.Decimal)):
        return "number"
    if isinstance(field, mf.Boolean):
        return "checkbox"
    if isinstance(field, mf.Raw) and not isinstance(field, (mf.String, mf.Date)):
        return "local"
    return "text"


def type_catalogue():
    """{type key: {label, has_value, options: {name: kind}}} for the editor's script."""
    return {k: {"label_en": t.label_en or k, "label_zh": t.label_zh or t.label_en or k,
                "has_value": t.has_value,
                "options": {name: option_kind(f) for name, f in t.options.items()}}
            for k, t in registry().items()}


OPTION_LABELS = {
    "min": _l("Minimum"), "max": _l("Maximum"), "integer": _l("Whole numbers only"),
    "min_length": _l("Minimum length"), "max_length": _l("Maximum length"),
    "pattern": _l("Pattern (regular expression)"),
    "pattern_message": _l("Message when the pattern does not match"),
    "currency": _l("Currency"), "min_items": _l("Choose at least"),
    "max_items": _l("Choose at most"), "record_type": _l("Record type"),
    "max_size_kb": _l("Largest file (KB)"), "accept": _l("Accepted file types (comma separated)"),
}


BLANK = {"key": "", "title": {"en": "", "zh": ""}, "description": {"en": "", "zh": ""},
         "access": {"roles": [], "units": []},
         "frequency": {"kind": "free", "period": None},
         "edit": {"allowed": False, "hours": None},
         "fields": [{"key": "", "type": "text", "label": {"en": "", "zh": ""},
                     "help": {"en": "", "zh": ""}, "required": False}]}


class FormsView(SecureView):
    @expose("/")
    def index(self):
        forms = list(Form.select().order_by(Form.key))
        counts = dict(Submission.select(Submission.form, fn.COUNT(Submission.id))
                      .where(Submission.status == "submitted")
                      .group_by(Submission.form).tuples())
        return self.render("admin/forms_list.html", forms=forms, counts=counts,
                           periods=list(Period.select().order_by(Period.start.desc())
                                        .limit(200)),
                           units=list(Unit.select().order_by(Unit.path)))

    @expose("/new", methods=["GET", "POST"])
    def new(self):
        return self._editor(None)

    @expose("/edit/<key>", methods=["GET", "POST"])
    def edit(self, key):
        form = Form.get_or_none(Form.key == key)
        if form is None:
            flash(_("No such form."), "error")
            return redirect(url_for(".index"))
        return self._editor(form)

    def _editor(self, form):
        definition = form.definition if form else BLANK
        errors = {}
        if request.method == "POST":
            try:
                raw = json.loads(request.form.get("definition", ""))
            except ValueError:
                raw = None
                errors = {"_schema": [_("The editor sent nothing readable; try again.")]}
            if raw is not None:
                definition = raw
                try:
                    if form is None and isinstance(raw, dict) and \
                            Form.select().where(Form.key == raw.get("key")).exists():
                        raise DefinitionError({"key": [_("A form with this key exists.")]})
                    saved, version, _created = store.save_definition(
                        raw, by=current_user._get_current_object(),
                        expected_key=form.key if form else None)
                except DefinitionError as exc:
                    errors = exc.errors
                    flash(_("The form was not saved: fix the marked problems."), "error")
                else:
                    flash(_("Saved: %(key)s, version %(v)d.", key=saved.key,
                            v=version.version), "success")
                    return redirect(url_for(".edit", key=saved.key))
        return self.render("admin/forms_edit.html", form=form, definition=definition,
                           errors=errors, types=type_catalogue(),
                           option_labels={k: str(v) for k, v in OPTION_LABELS.items()},
                           roles=[(r.key, r.name_en, r.name_zh) for r in Role.select()],
                           units=[(u.code, u.name) for u in Unit.select().order_by(Unit.path)],
                           frequencies=FREQUENCIES, period_kinds=PERIOD_KINDS)

    @expose("/active/<key>", methods=["POST"])
    def toggle_active(self, key):
        """Close a form to new submissions (or open it again); nothing is deleted."""
        form = Form.get_or_none(Form.key == key)
        if form is None:
            flash(_("No such form."), "error")
        else:
            form.active = not form.active
            form.save()
            flash(_("%(key)s is open for submissions.", key=key) if form.active
                  else _("%(key)s is closed: nobody can fill it now.", key=key), "success")
        return redirect(url_for(".index"))

    @expose("/preview/<key>")
    def preview(self, key):
        from flask import render_template

        form = Form.get_or_none(Form.key == key)
        if form is None:
            flash(_("No such form."), "error")
            return redirect(url_for(".index"))
        version = form.current_version
        ctx = Context(current_user._get_current_object(), form=form)
        # The rep's own template, so the preview is exactly what a rep sees.
        return render_template("forms/fill.html", form=form, version=version,
                               definition=version.definition, submission=None, ctx=ctx,
                               fields=field_views(version.definition, ctx), errors={},
                               preview=True)

    @expose("/export/<key>")
    def export(self, key):
        form = Form.get_or_none(Form.key == key)
        if form is None:
            flash(_("No such form."), "error")
            return redirect(url_for(".index"))
        fmt = "json" if request.args.get("format") == "json" else "yaml"
        return Response(store.dumps(form.definition, fmt),
                        mimetype="application/json" if fmt == "json" else "application/yaml",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{form.key}.{fmt}"'})

    @expose("/import", methods=["POST"])
    def import_file(self):
        upload = request.files.get("file")
        if not upload or not upload.filename:
            flash(_("Choose a YAML or JSON file."), "error")
            return redirect(url_for(".index"))
        try:
            form, version, created = store.import_text(
                upload.read(), upload.filename, by=current_user._get_current_object())
        except DefinitionError as exc:
            details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
            flash(_("Nothing was imported: %(details)s", details=details), "error")
        else:
            flash(_("Imported %(key)s (version %(v)d).", key=form.key, v=version.version),
                  "success")
        return redirect(url_for(".index"))

    @expose("/submissions/<key>")
    def submissions(self, key):
        form = Form.get_or_none(Form.key == key)
        if form is None:
            flash(_("No such form."), "error")
            return redirect(url_for(".index"))
        fmt = request.args.get("format", "csv")
        fmt = fmt if fmt in ("csv", "xlsx") else "csv"
        try:
            filters = exports.query_filters(request.args)
        except exports.BadFilter as exc:
            flash(bad_filter_message(exc), "error")
            return redirect(url_for(".index"))
        body, mimetype, filename = exports.export(current_user, form, fmt, **filters)
        return Response(body, mimetype=mimetype, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})


class SubmissionView(SecureModelView):
    """Submissions are made by reps; HR reads, searches and filters them here."""
    can_create = can_edit = can_delete = False
    can_view_details = True
    column_list = ["form", "person", "period", "status", "submitted_at", "updated_at"]
    column_details_list = ["form", "form_version", "person", "period", "status", "data",
                           "submitted_at", "created_at", "updated_at"]
    column_filters = ["status", "submitted_at"]
    column_default_sort = ("id", True)
    column_labels = {"form": _l("Form"), "person": _l("Person"), "period": _l("Period"),
                     "status": _l("Status"), "submitted_at": _l("Sent at (UTC)"),
                     "updated_at": _l("Updated"), "form_version": _l("Version"),
                     "data": _l("Answers"), "created_at": _l("Created")}


def register(admin):
    admin.add_view(FormsView(name=_l("Forms"), endpoint="forms_admin", category=FORMS))
    admin.add_view(SubmissionView(Submission, name=_l("Submissions"),
                                  endpoint="forms_submissions", category=FORMS))
