"""Check-ins from the three-field form: a submission of the form named by
``ALIGNBOARD_GOALS_CHECKIN_FORM`` (default ``kr_checkin``, the shipped template) becomes a
``CheckIn`` of one of the submitter's key results.

- ``goal`` (or ``key_result``) names the key result: its id or its title (case and
  surrounding spaces ignored), looked up only among the key results the submitter owns or
  whose objective they own. Anything else is ignored with a warning in the log.
- ``progress`` is a percentage of the way from the key result's start value to its target
  value (the template's field is a 0-100 percent); it is stored as the value reached, as a
  check-in through the API is. A key result without a target value keeps the number as is.
- ``blocker`` is free text.
"""
import logging

from flask import current_app, has_app_context

from .. import events
from .models import CheckIn, KeyResult, Objective

log = logging.getLogger(__name__)

DEFAULT_FORM = "kr_checkin"


def form_key():
    """The key of the form whose submissions are check-ins."""
    if has_app_context():
        return current_app.config.get("GOALS_CHECKIN_FORM") or DEFAULT_FORM
    return DEFAULT_FORM


def own_key_results(person_id):
    """Key results ``person_id`` owns, or whose objective they own."""
    return (KeyResult.select().join(Objective)
            .where((KeyResult.owner == person_id) | (Objective.owner == person_id))
            .order_by(KeyResult.id))


def find_key_result(person_id, ref):
    """The submitter's key result named by ``ref`` (an id or a title), or None when none or
    several match."""
    text = str(ref if ref is not None else "").strip()
    if not text or person_id is None:
        return None
    mine = list(own_key_results(person_id))
    if text.isdigit():
        by_id = [kr for kr in mine if kr.id == int(text)]
        if by_id:
            return by_id[0]
    by_title = [kr for kr in mine if kr.title.strip().casefold() == text.casefold()]
    return by_title[0] if len(by_title) == 1 else None


def value_reached(kr, percent):
    """The value ``percent`` % of the way from the key result's start to its target."""
    if kr.target_value is None:
        return percent
    start = kr.start_value or 0.0
    return start + percent / 100.0 * (kr.target_value - start)


def on_form_submitted(event):
    """Record a check-in from a three-field form submission; returns the CheckIn or None."""
    p = event.payload
    if p.get("form_key") != form_key():
        return None
    data = p.get("data") or {}
    ref = data.get("key_result", data.get("goal"))
    try:
        percent = float(data.get("progress"))
    except (TypeError, ValueError):
        log.warning("check-in submission %s ignored: progress must be a number",
                    p.get("submission_id"))
        return None
    kr = find_key_result(p.get("person_id"), ref)
    if kr is None:
        log.warning("check-in submission %s ignored: %r names none (or several) of the "
                    "submitter's key results", p.get("submission_id"), ref)
        return None
    return CheckIn.create(key_result=kr, person=p.get("person_id"),
                          progress=value_reached(kr, percent),
                          blocker=str(data.get("blocker") or "")[:2000],
                          note=f"form submission {p.get('submission_id')}: {percent:g}%")


def subscribe():
    events.subscribe("form.submitted", on_form_submitted)
