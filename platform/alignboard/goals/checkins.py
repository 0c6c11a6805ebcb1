"""Check-ins from the three-field form: a submission of the form named by
``ALIGNBOARD_GOALS_CHECKIN_FORM`` (default ``kr_check_in``) whose answers hold ``key_result``
(or ``goal``: the key result's id), ``progress`` (a number) and ``blocker`` becomes a
``CheckIn`` of that key result, when the submitter owns the key result or its objective.
"""
import logging

from flask import current_app, has_app_context

from .. import events
from .models import CheckIn, KeyResult

log = logging.getLogger(__name__)

DEFAULT_FORM = "kr_check_in"


def form_key():
    if has_app_context():
        return current_app.config.get("GOALS_CHECKIN_FORM") or DEFAULT_FORM
    return DEFAULT_FORM


def on_form_submitted(event):
    """Record a check-in from a three-field form submission; returns the CheckIn or None."""
    p = event.payload
    if p.get("form_key") != form_key():
        return None
    data = p.get("data") or {}
    ref = data.get("key_result", data.get("goal"))
    try:
        kr_id = int(ref)
        progress = float(data.get("progress"))
    except (TypeError, ValueError):
        log.warning("check-in submission %s ignored: key_result and progress must be numbers",
                    p.get("submission_id"))
        return None
    kr = KeyResult.get_or_none(KeyResult.id == kr_id)
    person_id = p.get("person_id")
    if kr is None or person_id not in (kr.owner_id, kr.objective.owner_id):
        log.warning("check-in submission %s ignored: key result %s is not the submitter's",
                    p.get("submission_id"), ref)
        return None
    return CheckIn.create(key_result=kr, person=person_id, progress=progress,
                          blocker=str(data.get("blocker") or "")[:2000],
                          note=f"form submission {p.get('submission_id')}")


def subscribe():
    events.subscribe("form.submitted", on_form_submitted)
