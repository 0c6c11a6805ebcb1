"""Form tasks reach the person and close themselves.

A ``FormTask`` (made by the ``form_task`` rule channel, e.g. the Friday weekly report)
shows on the person's ``/my/forms`` page and home card while it is open: this module
registers ``due_for`` with the forms area's ``DUE_TASKS`` hook, so that forms never
imports notify (data flows forms -> rules -> notify).

When is a task done? When the person has *sent* (not drafted) a submission of its form
that covers its due date:

- a form with a period (``frequency.period``, e.g. the weekly report) covers every task
  due up to the end of the submission's period: this week's report closes this Friday's
  task and any older ones still open, never next week's;
- a form without a period covers tasks due up to six days after the local day it was
  sent (a task due within the coming week counts as answered).

Tasks are closed on ``form.submitted`` (in the submission's transaction), and a task the
channel creates for a form already sent that covers it is closed at once (a rep who sent
the weekly report on Wednesday finds no open task after Friday's rule). Editing a sent
submission keeps its first sending time, so it covers nothing new.
"""
import logging
from datetime import timedelta, timezone

from .. import events
from ..forms.models import Form, Submission
from ..org import periods
from ..org.models import Period
from .models import FormTask

log = logging.getLogger(__name__)

# How far past its sending day a submission of a form without a period counts.
FREE_FORM_COVER = timedelta(days=6)


def _local_day(naive_utc):
    return naive_utc.replace(tzinfo=timezone.utc).astimezone(periods.timezone()).date()


def covered_until(person_id, form_key):
    """The last due date the person's sent submissions of ``form_key`` cover, or None."""
    form = Form.get_or_none(Form.key == form_key)
    if form is None:
        return None
    sent = ((Submission.form == form) & (Submission.person == person_id)
            & (Submission.status == "submitted"))
    until = None
    period = (Period.select(Period.end).join(Submission, on=(Submission.period == Period.id))
              .where(sent).order_by(Period.end.desc()).first())
    if period is not None:
        until = period.end
    free = (Submission.select(Submission.submitted_at)
            .where(sent & Submission.period.is_null() & Submission.submitted_at.is_null(False))
            .order_by(Submission.submitted_at.desc()).first())
    if free is not None:
        day = _local_day(free.submitted_at) + FREE_FORM_COVER
        until = max(until, day) if until else day
    return until


def close_covered(person_id, form_key):
    """Mark done the person's open tasks of ``form_key`` their submissions cover; return
    how many were closed."""
    until = covered_until(person_id, form_key)
    if until is None:
        return 0
    return (FormTask.update(status="done")
            .where((FormTask.person == person_id) & (FormTask.form_key == form_key)
                   & (FormTask.status == "open") & (FormTask.due_date <= until))
            .execute())


def on_form_submitted(event):
    """``form.submitted``: close the submitter's open tasks of that form it covers."""
    p = event.payload
    if not p.get("person_id") or not p.get("form_key"):
        return 0
    closed = close_covered(p["person_id"], p["form_key"])
    if closed:
        log.info("submission %s closed %d form task(s) of %s", p.get("submission_id"),
                 closed, p["form_key"])
    return closed


def due_for(person):
    """The person's open form tasks, soonest first, for the forms area's ``DUE_TASKS``:
    dicts with ``form_key``, ``title``, ``due_date`` and ``overdue`` (due before today in
    the configured time zone)."""
    today = periods.today()
    tasks = (FormTask.select().where((FormTask.person == person.id)
                                     & (FormTask.status == "open"))
             .order_by(FormTask.due_date, FormTask.id))
    return [{"form_key": t.form_key, "title": t.title, "due_date": t.due_date,
             "overdue": t.due_date < today} for t in tasks]


def register():
    """Show tasks on the forms pages and close them on submission (safe to call twice)."""
    from ..forms import views as forms_views

    forms_views.add_due_tasks(due_for)
    events.subscribe("form.submitted", on_form_submitted)
