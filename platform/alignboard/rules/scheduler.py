"""Time-driven rules: cron-like schedules and end-of-day absence windows.

``run_due(now)`` is the one entry point: it evaluates whatever became due up to ``now`` and
remembers how far it got per rule (``RuleClock``), so calling it again at once does nothing,
and calling it after a pause catches up (at most one day of schedule minutes and
``MAX_CATCH_UP_DAYS`` absence days). The worker loop calls it; a periodic task of any queue
(e.g. huey's ``@periodic_task(crontab())`` every minute) can call it instead. Two callers at
the same time are safe: each advances a rule's clock with a conditional UPDATE first, and
only the one that moved it evaluates that window.
"""
import logging
from datetime import datetime, timedelta, timezone as dt_timezone

from ..db import database, utcnow
from ..org import periods
from . import evaluate
from .definition import parse_cron
from .models import Rule, RuleClock

log = logging.getLogger(__name__)

MAX_CATCH_UP_DAYS = 31


def local_now(now=None):
    """``now`` (naive UTC or aware; default: the current time) as a naive local wall time,
    truncated to the minute."""
    now = now or utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt_timezone.utc)
    return now.astimezone(periods.timezone()).replace(tzinfo=None, second=0, microsecond=0)


def _advance(clock, field, old, new):
    """Move a rule's clock from ``old`` to ``new``; False when another caller moved it."""
    q = RuleClock.update(**{field: new}).where(RuleClock.id == clock.id)
    q = q.where(getattr(RuleClock, field).is_null() if old is None
                else getattr(RuleClock, field) == old)
    return q.execute() == 1


def _clock(rule):
    clock = RuleClock.get_or_none(RuleClock.rule == rule.id)
    if clock is None:
        try:
            with database.atomic():
                clock = RuleClock.create(rule=rule.id)
        except Exception:
            clock = RuleClock.get(RuleClock.rule == rule.id)
    return clock


def _run_schedule(sink, rule, now_local):
    test = parse_cron(rule.definition["trigger"]["cron"])
    clock = _clock(rule)
    old = clock.last_run_at
    # A new rule starts with the current minute: it never fires for the past.
    start = (old + timedelta(minutes=1)) if old else now_local
    start = max(start, now_local - timedelta(days=1))
    if start > now_local or not _advance(clock, "last_run_at", old, now_local):
        return []
    fired, minute = [], start
    while minute <= now_local:
        if test(minute):
            fired += evaluate.schedule_occurrence(sink, rule, minute)
        minute += timedelta(minutes=1)
    return fired


def _run_absence(sink, rule, now_local):
    last_complete = now_local.date() - timedelta(days=1)
    clock = _clock(rule)
    old = clock.last_day
    first = (old + timedelta(days=1)) if old else last_complete
    first = max(first, last_complete - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    if first > last_complete or not _advance(clock, "last_day", old, last_complete):
        return []
    history = evaluate.History(rule.definition["trigger"])
    subjects = evaluate.subjects_for(rule.definition["trigger"])
    fired, day = [], first
    while day <= last_complete:
        fired += evaluate.absence_day(sink, rule, day, history, subjects)
        day += timedelta(days=1)
    return fired


def run_due(now=None, sink=None):
    """Evaluate every enabled schedule and absence rule due by ``now``; return the firings.

    An absence window for day D is evaluated once D has ended in the configured time zone
    (``ALIGNBOARD_TIMEZONE``); a schedule fires for each cron minute in local time. A rule
    that fails is logged as a problem and the others still run.
    """
    sink = sink or evaluate.LiveSink()
    now_local = local_now(now)
    fired = []
    # list(): iterated lazily, the open SELECT would keep an SQLite read snapshot across
    # the loop, and once another process (the web app, another worker thread) committed,
    # each rule's write transaction would fail at once with "database is locked": SQLite
    # cannot make an old snapshot current by waiting, so busy_timeout does not apply.
    rules = list(Rule.select().where(Rule.enabled & Rule.trigger_type.in_(
        ["schedule", "absence"])).order_by(Rule.id))
    for rule in rules:
        try:
            with evaluate.write_transaction():
                if rule.trigger_type == "schedule":
                    fired += _run_schedule(sink, rule, now_local)
                else:
                    fired += _run_absence(sink, rule, now_local)
        except Exception as exc:
            log.exception("rule %s failed in the scheduler", rule.key)
            sink.problem(rule, f"scheduler: {exc}")
    return fired


def as_local(value):
    """A naive local wall time for a date or datetime given by a user (for the CLI)."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, datetime.min.time())
