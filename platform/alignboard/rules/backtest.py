"""Backtest: replay stored history day by day through the same evaluation, sending nothing.

The rule is treated as if it had been enabled at the start of ``start``: every episode is
armed then. History is replayed by when it happened, not by when it reached us (a CRM sync
today brings deals dated years ago):

- absence rules: evaluated at the end of each day, on the records' own dates;
- schedules: at each cron minute;
- ``record.created`` / ``record.changed``: each record's creation and each change kept in
  its history, in the order of the record's occurred-at (its arrival when it has none),
  ``at`` being that occurred-at, or the previous version's when it is earlier;
- count rules: the same order, with a running counter per group, so the Nth record of a
  group fires on the date the Nth record occurred;
- ``form.submitted``: the outbox events in the order of the submission's sending time;
- other events (``metric.colour_changed``): the outbox events published in the range.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone as dt_timezone
from types import SimpleNamespace

from ..events import Event
from ..org import periods
from ..org.models import Person
from ..records import store
from ..records.models import Record, RecordVersion
from . import evaluate
from .definition import parse_cron


def _utc(day):
    local = datetime.combine(day, time(0), tzinfo=periods.timezone())
    return local.astimezone(dt_timezone.utc).replace(tzinfo=None)


def _naive_utc(text):
    when = datetime.fromisoformat(str(text))
    if when.tzinfo is not None:
        when = when.astimezone(dt_timezone.utc).replace(tzinfo=None)
    return when


# A replay runs in a web request (the admin's pages) as well as the CLI: it keeps the first
# DEFAULT_LIMIT firings (the later ones are only counted) and examines at most
# MAX_OCCURRENCES schedule occurrences ("* * * * *" over a year is half a million).
DEFAULT_LIMIT = 1000
MAX_OCCURRENCES = 2000


@dataclass
class Result:
    """What a backtest found: the first ``limit`` firings, the problems, how many firings
    were found in all (``found``; a lower bound when ``complete`` is False because the
    replay stopped at the schedule occurrence cap). Unpacks as ``(firings, problems)``."""

    firings: list
    problems: list
    found: int
    complete: bool = True
    occurrences: int = 0

    def __iter__(self):
        return iter((self.firings, self.problems))

    @property
    def truncated(self):
        return len(self.firings) < self.found or not self.complete

    def summary(self):
        """"first N of M (or more)" when truncated, else None."""
        if not self.truncated:
            return None
        more = "" if self.complete else (
            f" or more (stopped after {self.occurrences} schedule occurrences)")
        return f"first {len(self.firings)} of {self.found}{more} firing(s)"


def backtest(rule, start, end, limit=DEFAULT_LIMIT, max_occurrences=MAX_OCCURRENCES):
    """What ``rule`` would have fired from ``start`` to ``end`` (dates, inclusive).

    Returns a ``Result`` (it unpacks as ``(firings, problems)``): firings as dicts with
    ``rule``, ``subject`` (login), ``at``, ``recipients`` (logins), ``facts`` and
    ``actions``. ``limit=None`` keeps every firing.
    """
    if end < start:
        raise ValueError("--to is before --from")
    sink = evaluate.DryRunSink(limit)
    t = rule.definition["trigger"]
    lo, hi = _utc(start), _utc(end + timedelta(days=1))
    complete, occurrences = True, 0
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
                if occurrences == max_occurrences:
                    complete = False
                    break
                occurrences += 1
                evaluate.schedule_occurrence(sink, rule, minute, subjects)
            minute += timedelta(minutes=1)
    elif t["type"] == "count":
        _replay_count(sink, rule, lo, hi)
    elif t.get("event", "").startswith("record."):
        for event in record_timeline(t, hi):
            if event.name == t["event"] and event.created_at >= lo:
                _handle(sink, rule, event)
    else:
        for event in _outbox(t.get("event"), lo, hi):
            _handle(sink, rule, event)
    return Result(sink.firings, sink.problems, sink.found, complete, occurrences)


def _handle(sink, rule, event):
    try:
        evaluate.handle_event(sink, rule, event)
    except Exception as exc:
        sink.problem(rule, f"event {event.name} #{event.id}: {exc}")


def _outbox(name, lo, hi):
    """Outbox events of ``name`` in the range. A form submission is dated by its sending
    time (an edit keeps it), the others by their publication."""
    q = Event.select().where((Event.name == name) & (Event.created_at >= lo))
    if name != "form.submitted":
        return q.where(Event.created_at < hi).order_by(Event.id)
    # An event is published when its submission is sent or edited, never before, so the
    # lower bound above is safe; an edit can come long after the range ends.
    found = []
    for event in q.order_by(Event.id):
        sent = (event.payload or {}).get("submitted_at")
        when = _naive_utc(sent) if sent else event.created_at
        if lo <= when < hi:
            found.append(SimpleNamespace(id=event.id, name=event.name,
                                         payload=event.payload, created_at=when))
    found.sort(key=lambda e: (e.created_at, e.id))
    return found


def record_timeline(trigger, hi):
    """Each record's creation and each of its changes, as the events the store published
    for them but dated by the record's occurred-at (its arrival when it has none; never
    earlier than the record's previous version, so its own changes keep their order), in
    that order (ties: record id, then version), up to ``hi`` (naive UTC).

    A record's earlier values come from its history (``RecordVersion``): a deal created as
    "engaging" and later won replays a ``record.created`` with its first values and a
    ``record.changed`` with the next ones.
    """
    records = Record.select()
    if trigger.get("record_type"):
        rt = trigger["record_type"]
        records = records.where((Record.type == rt) | Record.id.in_(
            RecordVersion.select(RecordVersion.record).where(RecordVersion.type == rt)))
    history = {}
    for v in (RecordVersion.select().where(RecordVersion.record.in_(
            records.select(Record.id))).order_by(RecordVersion.record, RecordVersion.version)):
        history.setdefault(v.record_id, []).append(v)
    timeline = []
    for r in records:
        states = [SimpleNamespace(type=v.type, owner_id=v.owner_id, occurred_at=v.occurred_at,
                                  fields=v.fields, version=v.version)
                  for v in history.get(r.id, [])]
        states.append(SimpleNamespace(type=r.type, owner_id=r.owner_id,
                                      occurred_at=r.occurred_at, fields=r.fields,
                                      version=r.version))
        arrived = [r.created_at] + [v.replaced_at for v in history.get(r.id, [])]
        previous, last = None, None
        for state, arrival in zip(states, arrived):
            # Never earlier than the version before: a corrected (earlier) close date must
            # not replay a record's change before the values it replaced, or "won, lost,
            # won" replays as "won, won, lost" and misses the re-armed second firing.
            when = state.occurred_at or arrival
            when = last = max(when, last) if last is not None else when
            if when < hi:
                body = SimpleNamespace(id=r.id, connection_id=r.connection_id,
                                       external_id=r.external_id, type=state.type,
                                       owner_id=state.owner_id, occurred_at=state.occurred_at,
                                       fields=state.fields)
                timeline.append(SimpleNamespace(
                    id=f"{r.id}v{state.version}", record_id=r.id, version=state.version,
                    name="record.changed" if previous else "record.created",
                    payload=store._payload(body, previous), created_at=when))
            previous = {"type": state.type, "owner_id": state.owner_id,
                        "occurred_at": state.occurred_at.isoformat() if state.occurred_at
                        else None, "fields": state.fields}
    timeline.sort(key=lambda e: (e.created_at, e.record_id, e.version))
    return timeline


def _replay_count(sink, rule, lo, hi):
    """Count rules: one pass over the records by occurred-at with a counter per group.
    Records before the range count (a group may reach its threshold inside it) but only
    events inside it are evaluated, as if the rule had been enabled on the first day."""
    t = rule.definition["trigger"]
    people = {}
    group_of, counts = {}, Counter()

    def owner(pid):
        if pid is not None and pid not in people:
            people[pid] = Person.get_or_none(Person.id == pid)
        return people.get(pid)

    for event in record_timeline(t, hi):
        p = event.payload
        group = (evaluate.count_group(t, p, owner(p.get("owner_id")))
                 if evaluate.count_applies(t, p) else None)
        # A change can move a record into, out of or between groups: it counts where its
        # values are now.
        was, now = group_of.get(event.record_id), group[0] if group else None
        if was != now:
            if was is not None:
                counts[was] -= 1
            if now is not None:
                counts[now] += 1
            group_of[event.record_id] = now
        if group is None or event.name != t["event"] or event.created_at < lo:
            continue
        try:
            evaluate.count_step(sink, rule, event, now, group[1], counts[now])
        except Exception as exc:
            sink.problem(rule, f"event {event.name} #{event.id}: {exc}")
