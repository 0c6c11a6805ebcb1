"""The rep's pages (/my/forms): what to fill, drafts, past submissions; fill and edit.

Phone first and not the admin. Every answer is checked on the server by the schema built
from the form version; on an error the page comes back with each message beside its field
and every value as it was typed.
"""
import json
import logging

from flask import (Blueprint, abort, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from ..api import shows_nul_beside_the_field
from ..org import periods as org_periods
from ..portal.views import HOME_CARDS
from ..validation import parse_id
from . import exports
from .builtin_types import request_cap_kb
from .fieldtypes import registry
from .models import Form, FormVersion, Submission
from .schema import Context
from .submissions import (SubmissionError, attachment_path, can_edit, current_period,
                          existing_for_period, fillable_forms, save)

log = logging.getLogger(__name__)

bp = Blueprint("forms", __name__, url_prefix="/my/forms")

# Messages marshmallow and the field types produce, listed so that the catalogue holds
# them: the page shows each error through gettext, in the reader's language.
KNOWN_MESSAGES = [
    _l("Not a valid number."), _l("Not a valid integer."), _l("Not a valid string."),
    _l("Not a valid date."), _l("Not a valid datetime."), _l("Not a valid boolean."),
    _l("Not a valid list."), _l("Unknown field."), _l("Must be one of: {choices}."),
    _l("Must be greater than or equal to {min}."), _l("Use at most two decimals."),
    _l("No such person."), _l("No such customer among the accounts you may see."),
    _l("No such upload for this field."), _l("Does not match the expected format."),
    _l("Shorter than minimum length {min}."), _l("Longer than maximum length {max}."),
    _l("The file is empty."), _l("Must be between {min} and {max}."),
    _l("Must be at least {min}."), _l("Must be at most {max}."),
    _l("A location is {lat, lng} in degrees."), _l("Not a valid decimal."),
    _l("Length must be between {min} and {max}."),
    # Filled in by builtin_types._say after translation (%-style placeholders).
    _l("%(name)s must be a number."), _l("%(name)s must be between %(lo)s and %(hi)s."),
    _l("lat"), _l("lng"), _l("accuracy"),
    _l("Files of type .%(ext)s are not accepted here; allowed: %(types)s."),
    _l("The file is %(size)d KB; at most %(max)d KB is allowed."),
    # validation.NUL_MESSAGE, which the answers schema refuses a NUL character with.
    _l("Must not contain a NUL character (code 0)."),
    # validation.CONTROL_MESSAGE / BREAK_MESSAGE: control characters in a text answer.
    _l("Must not contain control characters."),
    _l("Must be one line, without tabs or control characters."),
]


def _translate(message):
    """A field error in the reader's language when the catalogue knows it."""
    return _(message)


# --- turning definitions and values into what the template shows ---------------------------

def to_inputs(definition, data):
    """Stored answers -> the strings the page's inputs hold."""
    types = registry()
    out = {}
    for f in definition["fields"]:
        if f["key"] not in data:
            continue
        value, widget = data[f["key"]], getattr(types.get(f["type"]), "widget", "text")
        if widget == "checkboxes":
            out[f["key"]] = [str(v) for v in value]
        elif widget == "location":
            out[f["key"]] = {k: str(v) for k, v in value.items()}
        elif widget == "yesno":
            out[f["key"]] = "true" if value else "false"
        elif widget == "datetime":
            out[f["key"]] = str(value)[:16]
        else:
            out[f["key"]] = str(value)
    return out


def from_request(definition, form_data, files):
    """(answers, uploads, typed) from a posted page: answers for the schema, uploaded files
    by field, and the values as typed (to show back on an error)."""
    types = registry()
    answers, uploads, typed = {}, {}, {}
    for f in definition["fields"]:
        t = types.get(f["type"])
        if t is None or not t.has_value:
            continue
        key, widget = f["key"], t.widget
        if widget == "checkboxes":
            value = form_data.getlist(key)
        elif widget == "location":
            value = {"lat": form_data.get(f"{key}.lat", "").strip(),
                     "lng": form_data.get(f"{key}.lng", "").strip()}
            typed[key] = value
            if value["lat"] or value["lng"]:
                answers[key] = value
            continue
        elif widget == "file":
            upload = files.get(key)
            if upload is not None and upload.filename:
                uploads[key] = upload
            elif form_data.get(f"{key}.keep"):
                answers[key] = form_data.get(f"{key}.keep")
                typed[key] = form_data.get(f"{key}.keep")
            continue
        else:
            value = form_data.get(key, "")
        typed[key] = value
        answers[key] = value
    return answers, uploads, typed


def field_views(definition, ctx, values=None, errors=None):
    """One dict per field with everything the template needs to render it."""
    types = registry()
    values, errors = values or {}, errors or {}
    out = []
    for f in definition["fields"]:
        t = types.get(f["type"])
        if t is None:
            continue
        view = {"key": f["key"], "type": f["type"], "widget": t.widget,
                "label": ctx.text(f["label"]), "help": ctx.text(f.get("help")),
                "required": f.get("required", False), "value": values.get(f["key"], ""),
                "errors": [_translate(m) for m in errors.get(f["key"], [])],
                "show_if": json.dumps(f["show_if"]) if f.get("show_if") else "",
                "min": f.get("min"), "max": f.get("max"), "field": f}
        if t.widget in ("select", "checkboxes"):
            try:
                view["choices"] = t.choices(f, ctx)
            except Exception:
                # A plugin type that cannot list its choices leaves an empty list; the
                # server still refuses what it cannot check.
                log.exception("field type %r cannot list choices", t.key)
                view["choices"] = []
        if t.widget == "number":
            view["step"] = "1" if f["type"] == "duration" or f.get("integer") else "any"
        if t.widget == "rating":
            view["choices"] = [(str(i), str(i)) for i in range(1, f.get("max", 5) + 1)]
        if t.widget == "file":
            max_bytes, accept = t.limits(f)
            view["accept"] = ",".join("." + a for a in accept)
            view["limit"] = _("at most %(kb)d KB: %(types)s", kb=max_bytes // 1024,
                              types=", ".join(accept))
            if view["value"]:
                view["filename"] = ctx.attachment_name(view["value"])
        if t.widget == "text" and f.get("max_length"):
            view["maxlength"] = f["max_length"]
        out.append(view)
    return out


def display_rows(definition, data, ctx):
    """(label, text) pairs of a stored submission, rendered with its own version."""
    types = registry()
    rows = []
    for f in definition["fields"]:
        t = types.get(f["type"])
        if t is None or not t.has_value or f["key"] not in data:
            continue
        rows.append((ctx.text(f["label"]), t.display_field(f, data[f["key"]], ctx), f,
                     data[f["key"]]))
    return rows


# --- pages -----------------------------------------------------------------------------------

def _ctx(form=None, submission=None):
    return Context(current_user._get_current_object(), form=form,
                   submission_id=submission.id if submission else None)


# Other areas add what a person is due to fill (e.g. the form tasks rules create):
# providers fn(person) -> [{"form_key", "title", "due_date" (a date), "overdue" (bool)}].
# The forms area never imports them; they register themselves here (see notify.form_tasks).
DUE_TASKS = []


def add_due_tasks(provider):
    """Register a ``DUE_TASKS`` provider once (``init_app`` runs for every app made)."""
    if provider not in DUE_TASKS:
        DUE_TASKS.append(provider)


def due_tasks(person):
    """Every provider's tasks for ``person``; a provider that fails is logged and skipped,
    so that a broken area never takes the rep's forms page down."""
    tasks = []
    for provider in list(DUE_TASKS):
        try:
            found = list(provider(person) or [])
        except Exception:
            log.exception("due-task provider %r failed for person %s", provider, person.id)
            continue
        for task in found:
            # Rows are sorted and linked by these two: one without them is dropped.
            if task.get("form_key") and task.get("due_date"):
                tasks.append(task)
            else:
                log.warning("due-task provider %r gave a task without form_key or "
                            "due_date: %r", provider, task)
    return tasks


# Other areas add marks they keep on a submission (e.g. the flags rules set, "valid: no"):
# providers fn(submission) -> [{"key", "value", "note"}], registered like DUE_TASKS so that
# forms never imports them (see notify.flags).
SUBMISSION_FLAGS = []


def add_submission_flags(provider):
    """Register a ``SUBMISSION_FLAGS`` provider once (``init_app`` runs for every app made)."""
    if provider not in SUBMISSION_FLAGS:
        SUBMISSION_FLAGS.append(provider)


def submission_flags(submission):
    """Every provider's flags on ``submission``; a failing provider is logged and skipped,
    so that a broken area never takes the submission page down."""
    flags = []
    for provider in list(SUBMISSION_FLAGS):
        try:
            flags += [f for f in (provider(submission) or []) if f.get("key")]
        except Exception:
            log.exception("flag provider %r failed for submission %s", provider,
                          submission.id)
    return flags


def due_rows(person, forms):
    """The "Due this period" rows: once-per-period forms not yet sent this period, merged
    with the tasks of ``DUE_TASKS`` (one row per form; the earliest due date wins).

    Each row: ``form`` (None when the person may not fill it: no link), ``key``, ``title``
    (a task's own title, else None for the form's title), ``period``, ``due_date``,
    ``overdue``.
    """
    rows = {}
    for form in forms:
        d = form.definition
        if (d.get("frequency") or {}).get("kind") == "once_per_period":
            period = current_period(d)
            sent = existing_for_period(form, person, period).where(
                Submission.status == "submitted").exists()
            if not sent:
                rows[form.key] = {"form": form, "key": form.key, "title": None,
                                  "period": period, "due_date": None, "overdue": False}
    fillable = {form.key: form for form in forms}
    today = org_periods.today()
    for task in sorted(due_tasks(person), key=lambda t: t["due_date"]):
        key = task["form_key"]
        row = rows.get(key)
        if row is None:
            # A task of a form that is closed, deleted or not for this person still
            # shows (someone expects it done) but without a link that would answer 403/404.
            row = rows[key] = {"form": fillable.get(key), "key": key, "title": None,
                               "period": None, "due_date": None, "overdue": False}
        if row["due_date"] is None:
            row["title"] = task.get("title") or None
            row["due_date"] = task["due_date"]
            row["overdue"] = task.get("overdue", task["due_date"] < today)
    # Soonest first; rows without a date keep the forms' order after them.
    return sorted(rows.values(), key=lambda r: (r["due_date"] is None,
                                                r["due_date"] or today))


def overview(person):
    """What the list page and the home card show."""
    forms = fillable_forms(person)
    due = due_rows(person, forms)
    drafts = list(Submission.select().where((Submission.person == person.id)
                                            & (Submission.status == "draft"))
                  .order_by(Submission.updated_at.desc()))
    past = list(Submission.select().where((Submission.person == person.id)
                                          & (Submission.status == "submitted"))
                .order_by(Submission.submitted_at.desc()).limit(50))
    return {"forms": forms, "due": due, "drafts": drafts, "past": past}


@bp.errorhandler(413)
def too_large(exc):
    """A readable page instead of Werkzeug's bare 413 when a rep's upload is over the
    server's cap: the body was never read, so the typed answers cannot be shown again."""
    limit_kb = request_cap_kb()
    return render_template("forms/too_large.html", limit_mb=(limit_kb or 0) / 1024,
                           back=request.path), 413


@bp.route("/")
@login_required
def index():
    # Managers, executives and HR may download what their scope lets them see.
    exportable = [] if current_user.role.scope == "own" else list(
        Form.select().where(Form.current_version_id.is_null(False)).order_by(Form.title))
    current_week = org_periods.containing("week", org_periods.today())
    team = [] if current_user.role.scope == "own" else list(
        exports.visible_submissions(current_user)
        .where((Submission.person != current_user.id) & (Submission.status == "submitted"))
        .order_by(Submission.submitted_at.desc()).limit(30))
    return render_template("forms/index.html", ctx=_ctx(), exportable=exportable,
                           current_week=current_week, team=team, **overview(current_user))


def _fillable_or_404(key):
    form = Form.get_or_none((Form.key == key) & (Form.active == True))  # noqa: E712
    if form is None or form.current_version_id is None:
        abort(404)
    if form not in fillable_forms(current_user):
        abort(403)
    return form


@bp.route("/<key>/new", methods=["GET", "POST"])
@shows_nul_beside_the_field
@login_required
def fill(key):
    form = _fillable_or_404(key)
    version = form.current_version
    definition = version.definition
    if request.method == "GET" and (definition.get("frequency") or {}).get("kind") \
            == "once_per_period":
        existing = existing_for_period(form, current_user.id,
                                       current_period(definition)).first()
        if existing is not None:
            return redirect(url_for("forms.edit", submission_id=existing.id))
    return _fill_page(form, version, None)


@bp.route("/submissions/<int:submission_id>/edit", methods=["GET", "POST"])
@shows_nul_beside_the_field
@login_required
def edit(submission_id):
    s = Submission.get_or_none((Submission.id == submission_id)
                               & (Submission.person == current_user.id))
    if s is None:
        abort(404)
    version = FormVersion.get_by_id(s.form_version_id)
    if not can_edit(s, version.definition, current_user):
        flash(_("This submission can no longer be changed."), "error")
        return redirect(url_for("forms.show", submission_id=s.id))
    return _fill_page(Form.get_by_id(s.form_id), version, s)


def _fill_page(form, version, submission):
    definition = version.definition
    ctx = _ctx(form, submission)
    values = to_inputs(definition, submission.data) if submission else {}
    errors = {}
    status = 200
    if request.method == "POST":
        answers, uploads, values = from_request(definition, request.form, request.files)
        submit = request.form.get("action") != "draft"
        # A missing, garbled or over-long version is a stale page (-1 matches no version),
        # never "no check" (None) and never a number the database cannot compare.
        posted_version = parse_id(request.form.get("version"))
        if posted_version is None:
            posted_version = -1
        try:
            saved = save(form, current_user._get_current_object(), answers, submit=submit,
                         version=posted_version, submission=submission, uploads=uploads)
        except SubmissionError as exc:
            errors = exc.errors
            flash(exc.message, "error")
            status = exc.status
        else:
            flash(_("Submitted. Thank you!") if submit else _("Draft saved."), "success")
            if submit:
                return redirect(url_for("forms.show", submission_id=saved.id))
            return redirect(url_for("forms.edit", submission_id=saved.id))
    return render_template("forms/fill.html", form=form, version=version,
                           definition=definition, submission=submission, ctx=ctx,
                           fields=field_views(definition, ctx, values, errors),
                           errors=errors, preview=False), status


@bp.route("/submissions/<int:submission_id>")
@login_required
def show(submission_id):
    s = exports.visible_submissions(current_user).where(Submission.id == submission_id).first()
    if s is None:
        abort(404)
    version = FormVersion.get_by_id(s.form_version_id)
    form = Form.get_by_id(s.form_id)
    ctx = _ctx(form, s)
    return render_template("forms/show.html", submission=s, form=form, version=version,
                           ctx=ctx, rows=display_rows(version.definition, s.data, ctx),
                           editable=can_edit(s, version.definition, current_user),
                           flags=submission_flags(s))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    from .api import attachment_visible

    a = attachment_visible(current_user, attachment_id)
    if a is None:
        abort(404)
    # Always a download, never rendered inline: an uploaded HTML file must not run here.
    return send_file(attachment_path(a), as_attachment=True, download_name=a.filename,
                     mimetype="application/octet-stream")


@bp.route("/<key>/export")
@login_required
def export(key):
    """CSV/XLSX of the sent submissions of a form the viewer may see (managers: team)."""
    form = Form.get_or_none(Form.key == key)
    if form is None:
        abort(404)
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        abort(400)
    try:
        filters = exports.query_filters(request.args)
    except exports.BadFilter as exc:
        flash(bad_filter_message(exc), "error")
        return redirect(url_for("forms.index"))
    body, mimetype, filename = exports.export(current_user, form, fmt, **filters)
    return body, 200, {"Content-Type": mimetype,
                       "Content-Disposition": f'attachment; filename="{filename}"'}


def bad_filter_message(exc):
    """The flash for an export link whose period or unit filter is not an id."""
    return _("Nothing was exported: %(name)s must be the number of a period or unit, "
             "not '%(value)s'.", name=exc.name, value=exc.value)


def _card(person):
    return dict(overview(person), ctx=Context(person))


def add_home_card():
    entry = ("forms/_card.html", _card)
    if entry not in HOME_CARDS:
        HOME_CARDS.append(entry)

