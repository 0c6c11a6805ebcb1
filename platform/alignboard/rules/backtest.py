"""Backtest: replay stored history day by day through the same evaluation, sending nothing.

The rule is treated as if it had been enabled at the start of ``start``: every episode is
armed then. Absence rules are evaluated at the end of each day; schedules at each cron
minute; event, count and streak rules on the outbox events of the range, in order.
"""
from datetime import datetime, time, timedelta, timezone as dt_timezone

from ..events import Event
from ..org import periods
from . import evaluate
from .definition import parse_cron


def _utc(day):
    local = datetime.combine(day, time(0), tzinfo=periods.timezone())
    return local.astimezone(dt_timezone.utc).replace(tzinfo=None)


def backtest(rule, start, end):
    """What ``rule`` would have fired from ``start`` to ``end`` (dates, inclusive).

    Returns ``(firings, problems)``: firings as dicts with ``rule``, ``subject`` (login),
    ``at``, ``recipients`` (logins), ``facts`` and ``actions``.
    """
    if end < start:
        raise ValueError("--to is before --from")
    sink = evaluate.DryRunSink()
    t = rule.definition["trigger"]
    if t["type"] == "absence":
        history = evaluate.History(t)
        subjects = evaluate.subjects_for(t)
        day = start
        while day <= end:
            evaluate.absence_day(sink, rule, day, history, subjects)
            day += timedelta(days=1)
    elif t["type"] == "schedule":
        test = parse_cron(t["cron"])
        subjects = evaluate.subjects_for(t)
        minute = datetime.combine(start, time(0))
        stop = datetime.combine(end + timedelta(days=1), time(0))
        while minute < stop:
            if test(minute):
                evaluate.schedule_occurrence(sink, rule, minute, subjects)
            minute += timedelta(minutes=1)
    else:
        q = (Event.select().where((Event.name == t["event"]) &
                                  (Event.created_at >= _utc(start)) &
                                  (Event.created_at < _utc(end + timedelta(days=1))))
             .order_by(Event.id))
        for event in q:
            try:
                evaluate.handle_event(sink, rule, event)
            except Exception as exc:
                sink.problem(rule, f"event {event.name} #{event.id}: {exc}")
    return sink.firings, sink.problems
