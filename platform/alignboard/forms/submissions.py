"""Accepting submissions: who may fill a form, how often, editing windows, the event.

Every way in (the rep page, the API) goes through ``save``: the answers are validated by
the schema generated from the form version, the submission is written in one transaction
with its attachments bound to it and, when it is sent (not a draft), ``form.submitted`` is
published on the event bus in that same transaction.
"""
import logging
import os
import uuid
from datetime import datetime, time, timedelta, timezone

import peewee as pw
from flask import current_app, has_request_context
from flask_babel import gettext

from .. import events
from ..db import database, utcnow
from ..org import periods
from ..org.models import Period, Unit
from ..validation import CONTROL_OR_BREAK
from .fieldtypes import registry
from .models import Attachment, Form, FormVersion, Submission
from .schema import AnswerError, Context, load

log = logging.getLogger(__name__)


def _(text, **variables):
    """gettext in a request (the reader's language); plain English elsewhere (CLI, jobs),
    where no locale can be chosen."""
    if has_request_context():
        return gettext(text, **variables)
    return text % variables if variables else text


class SubmissionError(Exception):
    """A refused submission: HTTP-like ``status``, a message and per-field ``errors``."""

    def __init__(self, status, message, errors=None):
        self.status, self.message, self.errors = status, message, errors or {}
        super().__init__(message)


def may_fill(definition, person):
    """Whether ``person``'s role and unit are among those the form is for."""
    access = definition.get("access") or {}
    if access.get("roles") and person.role.key not in access["roles"]:
        return False
    if access.get("units"):
        if person.unit_id is None:
            return False
        paths = [u.path for u in Unit.select(Unit.path).where(Unit.code.in_(access["units"]))]
        unit_path = person.unit.path
        if not any(unit_path.startswith(p) for p in paths):
            return False
    return True


def fillable_forms(person):
    """Active forms ``person`` may fill, ordered by title."""
    out = []
    for form in Form.select().where(Form.active == True).order_by(Form.title):  # noqa: E712
        definition = form.definition
        if definition and may_fill(definition, person):
            out.append(form)
    return out


def current_period(definition, day=None):
    """The period a new submission belongs to (None for a form without a period kind)."""
    kind = (definition.get("frequency") or {}).get("period")
    if not kind:
        return None
    day = day or periods.today()
    period = periods.containing(kind, day)
    if period is None:
        # Periods are created per year; a year nobody generated yet is made on first use.
        periods.generate(day.year)
        period = periods.containing(kind, day)
    return period


def existing_for_period(form, person, period, exclude_id=None):
    q = Submission.select().where((Submission.form == form) & (Submission.person == person)
                                  & (Submission.period == period))
    if exclude_id:
        q = q.where(Submission.id != exclude_id)
    return q


def edit_deadline(submission, definition):
    """Until when a sent submission may be changed (naive UTC), None for "no limit",
    or False when the form does not allow editing."""
    edit = definition.get("edit") or {}
    if not edit.get("allowed"):
        return False
    if edit.get("hours"):
        return submission.submitted_at + timedelta(hours=edit["hours"])
    if submission.period_id:
        period = Period.get_by_id(submission.period_id)
        local_end = datetime.combine(period.end + timedelta(days=1), time.min,
                                     tzinfo=periods.timezone())
        return local_end.astimezone(timezone.utc).replace(tzinfo=None)
    return None


def can_edit(submission, definition, person):
    if submission.person_id != person.id:
        return False
    if submission.status == "draft":
        return True
    deadline = edit_deadline(submission, definition)
    if deadline is False:
        return False
    return deadline is None or utcnow() <= deadline


def save(form, person, answers, *, submit=True, version=None, submission=None,
         uploads=None, actor=None):
    """Validate and store a submission; return it. Raises ``SubmissionError``.

    ``version``: the form version the client filled (a stale or forged one is refused);
    ``submission``: the draft or sent submission being changed; ``uploads``: {field key:
    FileStorage} from a page, stored only when everything is valid; ``actor``: who is
    asking (the API refuses one person submitting for another).
    """
    actor = actor or person
    if actor.id != person.id:
        raise SubmissionError(403, _("You may only fill forms for yourself."),
                              {"person_id": ["must be you"]})
    if submission is not None:
        form_version = FormVersion.get_by_id(submission.form_version_id)
    else:
        if not form.active or form.current_version_id is None:
            raise SubmissionError(404, _("The form %(key)s is not open.", key=form.key))
        form_version = form.current_version
    definition = form_version.definition
    if version is not None and version != form_version.version:
        raise SubmissionError(
            409 if _version_exists(form, version) else 422,
            _("This page was made for version %(old)s of the form; the form is at version "
              "%(new)s. Reload it and fill it again.", old=version, new=form_version.version),
            {"version": [f"expected {form_version.version}"]})
    if not may_fill(definition, person):
        raise SubmissionError(403, _("This form is not for your role or unit."))
    if submission is not None:
        if submission.person_id != person.id:
            raise SubmissionError(404, _("No such submission."))
        if submission.status == "submitted" and not submit:
            raise SubmissionError(422, _("A sent submission cannot go back to draft."),
                                  {"status": ["must be submitted"]})
        if not can_edit(submission, definition, person):
            raise SubmissionError(403, _("This submission can no longer be changed."))
        period = Period.get_or_none(Period.id == submission.period_id)
    else:
        period = current_period(definition)
        if (definition.get("frequency") or {}).get("kind") == "once_per_period":
            clash = existing_for_period(form, person, period).first()
            if clash is not None:
                message = (_("You already have a draft of this form for %(period)s: continue "
                             "it instead.", period=period.name) if clash.status == "draft"
                           else _("You already sent this form for %(period)s: edit it "
                                  "instead.", period=period.name))
                raise SubmissionError(
                    409, message,
                    {"_schema": [f"one per {definition['frequency']['period']}"]})

    answers = dict(answers or {})
    created_files = []
    was_submitted = submission is not None and submission.status == "submitted"
    try:
        with database.atomic():
            errors = {}
            for key, upload in (uploads or {}).items():
                try:
                    attachment = store_upload(form, definition, key, person, upload)
                except SubmissionError as exc:
                    errors.update(exc.errors)
                    continue
                created_files.append(attachment.stored_name)
                answers[key] = attachment.id
            ctx = Context(person, form=form,
                          submission_id=submission.id if submission else None)
            try:
                data = load(definition, answers, ctx, draft=not submit)
            except AnswerError as exc:
                errors = {**exc.errors, **errors}
            if errors:
                raise SubmissionError(422, _("Some answers are not valid: see the fields."),
                                      errors)
            now = utcnow()
            if submission is None:
                once = (definition.get("frequency") or {}).get("kind") == "once_per_period"
                submission = Submission(form=form, form_version=form_version, person=person,
                                        period=period, created_at=now,
                                        once_slot=period.id if once and period else None)
            submission.data = data
            submission.updated_at = now
            if submit:
                submission.status = "submitted"
                # An edit keeps the first sending time: deadlines and "on time" count
                # from it.
                submission.submitted_at = submission.submitted_at or now
            else:
                submission.status = "draft"
            try:
                with database.atomic():
                    submission.save()
            except pw.IntegrityError:
                raise SubmissionError(409, _("This form was already sent for this period."),
                                      {"_schema": ["one per period"]}) from None
            _bind_attachments(form, definition, submission, data)
            if submit:
                payload = dict(submission_id=submission.id, form_key=form.key,
                               version=form_version.version, person_id=person.id,
                               period_id=submission.period_id, data=data,
                               submitted_at=submission.submitted_at.isoformat())
                if was_submitted:
                    payload["edited"] = True
                events.publish("form.submitted", **payload)
    except BaseException:
        for name in created_files:
            _remove_file(name)
        raise
    return submission


def _version_exists(form, number):
    return FormVersion.select().where((FormVersion.form == form)
                                      & (FormVersion.version == number)).exists()


def _bind_attachments(form, definition, submission, data):
    types = registry()
    ids = [data[f["key"]] for f in definition["fields"]
           if types.get(f["type"]) and types[f["type"]].widget == "file" and f["key"] in data]
    if ids:
        Attachment.update(submission=submission).where(Attachment.id.in_(ids)).execute()


# --- attachments ---------------------------------------------------------------------------

def upload_folder():
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def _remove_file(stored_name):
    try:
        os.remove(os.path.join(upload_folder(), stored_name))
    except OSError:
        pass


# The longest extension kept whole when a name is shortened; a longer one is no type any
# field accepts (see File.options "accept"), so the name is simply cut.
_MAX_EXT = 16


def upload_name(raw, limit=255):
    """The name an upload is stored and offered under: the last part of the path the
    browser sent, without control characters, at most ``limit`` characters.

    Control characters (NUL included) come from no real file name: PostgreSQL cannot store
    NUL, and any of them would be sent back in the download's Content-Disposition header.
    A name too long is shortened in its stem, so that ``report.pdf`` keeps ``.pdf``: cutting
    the whole name would lose the extension and refuse the file for its "type"."""
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = CONTROL_OR_BREAK.sub("", name)
    if len(name) <= limit:
        return name
    stem, ext = os.path.splitext(name)
    if not ext or len(ext) > _MAX_EXT:
        return name[:limit]
    return stem[:limit - len(ext)] + ext


def store_upload(form, definition, field_key, person, upload):
    """Check an uploaded file against the field's limits, write it, return its Attachment.

    Call it inside a transaction: if the caller rolls back, it must remove the file too
    (``save`` does).
    """
    field = next((f for f in definition["fields"] if f["key"] == field_key), None)
    ftype = registry().get(field["type"]) if field else None
    if field is None or ftype is None or ftype.widget != "file":
        raise SubmissionError(422, f"{field_key!r} is not a file field of this form.",
                              {field_key: ["not a file field"]})
    data = upload.read(ftype.limits(field)[0] + 1)
    filename = upload_name(upload.filename)
    problem = ftype.check_upload(field, filename, len(data))
    if problem:
        raise SubmissionError(422, problem, {field_key: [problem]})
    ext = os.path.splitext(filename)[1].lower()
    stored = uuid.uuid4().hex + ext
    path = os.path.join(upload_folder(), stored)
    with open(path, "wb") as f:
        f.write(data)
    try:
        return Attachment.create(person=person, form=form, field_key=field_key,
                                 filename=filename,
                                 content_type=(upload.mimetype or
                                               "application/octet-stream")[:100],
                                 size=len(data), stored_name=stored)
    except Exception:
        _remove_file(stored)
        raise


def attachment_path(attachment):
    return os.path.join(upload_folder(), attachment.stored_name)
