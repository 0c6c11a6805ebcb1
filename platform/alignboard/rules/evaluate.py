"""Evaluating rules: facts from events and from the database, matching, episodes, firing.

The same code serves the worker (``LiveSink``: episodes, firings and deliveries in the
database) and the backtest (``DryRunSink``: all in memory, nothing sent).

Episode logic, for every condition rule: per (rule, subject), when the condition starts to
hold the rule fires once and the episode opens; while it keeps holding nothing more is sent;
the first evaluation where it does not hold closes the episode and re-arms the rule.
"""
import bisect
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone as dt_timezone

import peewee as pw

from ..db import database, dialect, utcnow
from ..notify import channels as channel_registry, delivery, recipients as recipient_specs
from ..org import periods
from ..org.models import Period, Person, Role, Unit
from ..records.models import Record
from . import engine
from .definition import compile_ruleset, referenced_fields
from .models import RuleEpisode, RuleFiring, RuleProblem, RuleStreak

log = logging.getLogger(__name__)

TEMPLATE_VAR = re.compile(r"\{(\w+)\}")


def write_transaction():
    """A top-level transaction that will write. On SQLite it takes the write lock at BEGIN
    (IMMEDIATE): a deferred transaction that reads first and writes later fails at once
    with "database is locked" when another process wrote in between, instead of waiting."""
    if dialect() == "sqlite":
        return database.atomic(lock_type="IMMEDIATE")
    return database.atomic()


class PayloadError(ValueError):
    """An event lacks a field the rule needs; logged as a problem, the engine goes on."""


@dataclass
class Subject:
    type: str
    id: int | None
    key: str
    person: Person | None = None
    unit: Unit | None = None

    def describe(self):
        if self.person is not None:
            return {"type": self.type, "id": self.id, "key": self.key,
                    "login": self.person.login, "name": self.person.name}
        if self.unit is not None:
            return {"type": self.type, "id": self.id, "key": self.key,
                    "unit": self.unit.code, "name": self.unit.name}
        return {"type": self.type, "id": self.id, "key": self.key}


def _person(pid):
    return Person.get_or_none(Person.id == pid) if pid is not None else None


def _need(payload, name, event_name):
    if payload.get(name) is None:
        raise PayloadError(f"{event_name} event has no {name!r}")
    return payload[name]


def subject_of_event(name, payload):
    """Who or what an event is about."""
    if name == "form.submitted":
        sid = _need(payload, "submission_id", name)
        person = _person(_need(payload, "person_id", name))
        return Subject("submission", sid, f"submission:{sid}", person)
    if name.startswith("record."):
        rid = _need(payload, "record_id", name)
        return Subject("record", rid, f"record:{rid}", _person(payload.get("owner_id")))
    if name == "metric.colour_changed":
        stype = _need(payload, "subject_type", name)
        sid = _need(payload, "subject_id", name)
        metric = _need(payload, "metric", name)
        if stype == "unit":
            unit = Unit.get_or_none(Unit.id == sid)
            return Subject("unit", sid, f"unit:{sid}:{metric}", unit=unit)
        return Subject("person", sid, f"person:{sid}:{metric}", _person(sid))
    pid = _need(payload, "person_id", name)
    return Subject("person", pid, f"person:{pid}", _person(pid))


def person_subject(person):
    return Subject("person", person.id, f"person:{person.id}", person)


def subjects_for(trigger):
    """People a schedule or absence rule evaluates: the role, optionally one unit's subtree."""
    spec = trigger.get("subjects") or {}
    q = (Person.select().join(Role).switch(Person)
         .where((Role.key == spec.get("role", "rep")) & Person.active))
    if spec.get("unit"):
        unit = Unit.get_or_none(Unit.code == spec["unit"])
        q = q.where(Person.unit.in_(unit.subtree().select(Unit.id))) if unit else q.where(
            Person.id.is_null())
    return list(q.order_by(Person.login))


def render(template, variables):
    """Replace ``{name}`` by its value; unknown names stay as they are (no format())."""
    return TEMPLATE_VAR.sub(lambda m: str(variables.get(m.group(1), m.group(0))), template or "")


# --- sinks -----------------------------------------------------------------------------


class LiveSink:
    """Episodes, streaks, firings, deliveries and problems in the database."""

    def episode_step(self, rule, key, matched, at):
        ep = RuleEpisode.get_or_none((RuleEpisode.rule == rule.id) &
                                     (RuleEpisode.subject_key == key))
        if not matched:
            if ep is not None and ep.open:
                RuleEpisode.update(open=False, updated_at=utcnow()).where(
                    RuleEpisode.id == ep.id).execute()
            return False
        if ep is None:
            try:
                with database.atomic():
                    RuleEpisode.create(rule=rule.id, subject_key=key, open=True, since=at)
                return True
            except pw.IntegrityError:
                return False
        # A conditional update: when two workers race, only one opens the episode.
        return RuleEpisode.update(open=True, since=at, updated_at=utcnow()).where(
            (RuleEpisode.id == ep.id) & (RuleEpisode.open == False)).execute() == 1  # noqa: E712

    def streak_step(self, rule, key, period_start, held):
        row, _ = RuleStreak.get_or_create(rule=rule.id, subject_key=key)
        count = _next_streak(row.last_period_start, row.count, period_start, held,
                             rule.definition["trigger"].get("period", "week"))
        row.count = count
        row.last_period_start = period_start if held else row.last_period_start
        row.save()
        return count

    def fire(self, rule, subject, facts, at, day=None, dedupe_key="", event_id=None):
        try:
            with database.atomic():
                firing = RuleFiring.create(
                    rule=rule.id, rule_version=rule.version, subject_type=subject.type,
                    subject_id=subject.id, subject_key=subject.key, person=subject.person,
                    unit=subject.unit, at=at, day=day, facts=facts, event_id=event_id,
                    dedupe_key=dedupe_key[:300])
                plan = plan_actions(rule, subject, facts, at, day, firing.id)
                outcomes = []
                for step in plan["actions"]:
                    if step["status"] == "skipped":
                        outcomes.append(step)
                        self.problem(rule, f"{step['channel']}: {step['reason']}", event_id)
                        continue
                    d = delivery.enqueue(step["channel"], step["settings"], step["message"],
                                         step["recipient_ids"], firing.id, step["action"])
                    outcomes.append({"action": step["action"], "channel": step["channel"],
                                     "status": "queued", "delivery_id": d.id,
                                     "recipients": step["recipients"]})
                firing.outcomes, firing.recipients = outcomes, plan["recipients"]
                firing.save()
                return firing
        except pw.IntegrityError:
            return None  # another worker fired it already

    def problem(self, rule, message, event_id=None):
        log.warning("rule %s: %s", getattr(rule, "key", None), message)
        RuleProblem.create(rule=rule.id if rule else None, event_id=event_id,
                           message=str(message)[:4000])


class DryRunSink:
    """Everything in memory: what would have fired, nothing stored or sent.

    With a ``limit``, only the first ``limit`` firings are kept (and their actions
    planned); the later ones are only counted in ``found``."""

    def __init__(self, limit=None):
        self.episodes, self.streaks, self.firings, self.problems = {}, {}, [], []
        self.limit, self.found = limit, 0

    def episode_step(self, rule, key, matched, at):
        was_open = self.episodes.get(key, False)
        self.episodes[key] = matched
        return matched and not was_open

    def streak_step(self, rule, key, period_start, held):
        last, count = self.streaks.get(key, (None, 0))
        count = _next_streak(last, count, period_start, held,
                             rule.definition["trigger"].get("period", "week"))
        self.streaks[key] = (period_start if held else last, count)
        return count

    def fire(self, rule, subject, facts, at, day=None, dedupe_key="", event_id=None):
        self.found += 1
        if self.limit is not None and len(self.firings) >= self.limit:
            return None
        plan = plan_actions(rule, subject, facts, at, day, None)
        item = {"rule": rule.key, "subject": subject.person.login if subject.person else
                subject.key, "subject_type": subject.type,
                "at": day.isoformat() if day else at.isoformat(),
                "recipients": plan["recipients"], "facts": facts,
                "actions": [{"channel": a["channel"], "status": a["status"],
                             "recipients": a["recipients"], **({"reason": a["reason"]}
                                                               if "reason" in a else {})}
                            for a in plan["actions"]]}
        self.firings.append(item)
        return item

    def problem(self, rule, message, event_id=None):
        self.problems.append(str(message))


def _next_streak(last_start, count, period_start, held, kind="week"):
    """The streak after one more observation: +1 in the period right after the last one
    that held, unchanged within the same period, 1 after a gap, 0 when it does not hold."""
    if not held:
        return 0
    if last_start == period_start:
        return max(count, 1)
    if last_start is not None and count:
        following = periods.bounds(kind, last_start)[1] + timedelta(days=1)
        if following == period_start:
            return count + 1
    return 1


# --- actions ---------------------------------------------------------------------------


def plan_actions(rule, subject, facts, at, day, firing_id):
    """Resolve each action's recipients and message; nothing is sent here."""
    registry = channel_registry.available()
    variables = dict(facts)
    trigger = rule.definition.get("trigger", {})
    variables.update(rule=rule.name, rule_key=rule.key, days=trigger.get("days", ""),
                     day=day.isoformat() if day else "", at=at.isoformat(timespec="minutes"),
                     subject_name=(subject.person.name if subject.person else
                                   subject.unit.name if subject.unit else subject.key),
                     subject_login=subject.person.login if subject.person else "",
                     manager_name=(subject.person.manager.name if subject.person
                                   and subject.person.manager_id else ""))
    steps, everyone = [], []
    for i, action in enumerate(rule.definition.get("actions", [])):
        people, problems = recipient_specs.resolve(action.get("to", []), subject.person,
                                                   subject.unit)
        channel = registry.get(action["channel"])
        logins = [p.login for p in people]
        step = {"action": i, "channel": action["channel"], "recipients": logins,
                "recipient_ids": [p.id for p in people], "settings": action.get("settings", {})}
        if channel is None:
            step.update(status="skipped", reason=f"channel {action['channel']!r} is not "
                        "installed")
        elif channel.needs_recipients and not people:
            step.update(status="skipped", reason="; ".join(problems) or "no recipient")
        else:
            title = render(action.get("title") or "{rule}: {subject_name}", variables)
            step.update(status="planned", message={
                "title": title, "body": render(action.get("message", ""), variables),
                "links": [], "rule": rule.key, "firing_id": firing_id,
                "day": day.isoformat() if day else at.date().isoformat(),
                "subject": subject.describe()})
            everyone += [login for login in logins if login not in everyone]
        steps.append(step)
    return {"actions": steps, "recipients": everyone}


# --- triggers --------------------------------------------------------------------------


def _fact_base(rule, kind, event=None):
    base = {"kind": kind}
    if event:
        base["event"] = event
    return base


def _row_ruleset(rule):
    """The rule's condition rows alone (without its streak test), for streaks."""
    d = dict(rule.definition)
    d["trigger"] = dict(d["trigger"], type="event")
    return compile_ruleset(d)


def _record_filter(trigger, fields_):
    return all(str((fields_ or {}).get(k)) == str(v) for k, v in trigger.get("where", {}).items())


def _record_trigger_applies(trigger, event_name, payload):
    """A record event concerns a rule only when the record has the trigger's type and its
    fields equal the trigger's ``where`` values. Checked here as well as in the compiled
    ruleset, so rules stored before the ruleset tested the type behave the same.

    Likewise a submission of another form is no observation at all: for a streak it must
    not count as "the condition did not hold" and break the person's run."""
    if event_name == "form.submitted":
        return not trigger.get("form_key") or payload.get("form_key") == trigger["form_key"]
    if not event_name.startswith("record."):
        return True
    if trigger.get("record_type") and payload.get("type") != trigger["record_type"]:
        return False
    return _record_filter(trigger, payload.get("fields"))


def _streak_subject(event_name, subject):
    """Whom a streak counts for. A form or record event is about one submission or record,
    which never recurs in the next period: the streak (and its episode) belongs to the
    person behind it, the submitter or the record's owner."""
    if event_name != "form.submitted" and not event_name.startswith("record."):
        return subject
    if subject.person is None:
        raise PayloadError(f"{event_name} event has no person to count a streak for")
    return person_subject(subject.person)


def handle_event(sink, rule, event, as_of=None):
    """Evaluate one event-driven rule (event, count or streak trigger) on one event."""
    t = rule.definition["trigger"]
    payload = event.payload or {}
    at = event.created_at
    if t["type"] == "count":
        return _handle_count(sink, rule, event, as_of)
    if not _record_trigger_applies(t, event.name, payload):
        return None
    subject = subject_of_event(event.name, payload)
    if t["type"] == "streak":
        subject = _streak_subject(event.name, subject)
    facts = _fact_base(rule, t["type"], event.name)
    facts.update(engine.to_fact(payload, referenced_fields(rule.definition)))
    if t["type"] == "streak":
        period_id = payload.get("period_id")
        period = Period.get_or_none(Period.id == period_id) if period_id else None
        start = period.start if period else periods.bounds(
            t.get("period", "week"), at.date())[0]
        held = engine.match(_row_ruleset(rule), dict(facts, kind="event"))
        facts["streak"] = sink.streak_step(rule, subject.key, start, held)
    matched = engine.match(rule.ruleset, facts)
    if sink.episode_step(rule, subject.key, matched, at):
        return sink.fire(rule, subject, facts, at, dedupe_key=f"{rule.id}:{subject.key}:"
                         f"e{event.id}", event_id=event.id)
    return None


def count_group(trigger, payload, owner):
    """The group a record counts in, as ``(key, subject)``; None when the record has no
    value to group by (no owner, a blank field). Such a record counts in no group: that is
    ordinary data (a deal without an account), not a problem to report for each record."""
    if trigger["group_by"] == "owner":
        if owner is None:
            return None
        return f"person:{owner.id}", person_subject(owner)
    value = (payload.get("fields") or {}).get(trigger["group_by"])
    if value is None or str(value).strip() == "":
        return None
    key = f"{trigger['record_type']}:{trigger['group_by']}={value}"
    return key, Subject("group", None, key, owner)


def count_applies(trigger, payload):
    """Whether a record (an event's payload) is one a count trigger counts."""
    return payload.get("type") == trigger["record_type"] and _record_filter(
        trigger, payload.get("fields"))


def count_step(sink, rule, event, key, subject, count):
    """Match a count rule with the group's ``count`` at ``event``; fire on a new episode."""
    facts = _fact_base(rule, "count", event.name)
    facts.update(engine.to_fact(event.payload or {}, referenced_fields(rule.definition)))
    facts["count"] = count
    matched = engine.match(rule.ruleset, facts)
    if sink.episode_step(rule, key, matched, event.created_at):
        return sink.fire(rule, subject, facts, event.created_at,
                         dedupe_key=f"{rule.id}:{key}:e{event.id}", event_id=event.id)
    return None


def _json_field(name):
    """SQL for ``fields.<name>`` (Record.fields is JSON stored as text on both databases,
    db.JSONField): ``(exact, other, text)``, or None when the name cannot be put in a SQLite
    JSON path.

    ``exact`` holds when ``text`` is exactly Python's str() of the loaded value: a string,
    an integer (SQLite: one that fits 64 bits; a larger one is read as a real) or, on
    PostgreSQL, any number (->> gives a number's text as json.dumps wrote it, which is
    str(); SQLite prints a real with 15 digits and 1e20 as 1.0e+20). ``other`` holds for
    the remaining values (reals on SQLite, true/false, lists, objects): they may still
    equal a text in Python ("True", "[1]"), so such records are checked in Python. A
    missing key or a JSON null is neither: str() gives "None"."""
    if dialect() == "postgres":
        doc = Record.fields.cast("json")
        kind = pw.fn.json_typeof(pw.Expression(doc, "->", name))
        return (kind.in_(["string", "number"]), kind.in_(["boolean", "object", "array"]),
                pw.Expression(doc, "->>", name))
    if '"' in name or "\\" in name:
        return None
    path = f'$."{name}"'
    kind, value = pw.fn.json_type(Record.fields, path), pw.fn.json_extract(Record.fields, path)
    exact = (kind == "text") | ((kind == "integer") & (pw.fn.typeof(value) == "integer"))
    return (exact, kind.in_(["integer", "real", "true", "false", "object", "array"]) & ~exact,
            pw.Cast(value, "TEXT"))


def _other_may_equal(text):
    """Whether a value that is no string or exact integer can have str() == ``text``:
    True/False, a list, a dict, a float ("7.0", "1e+20", "nan") or an integer too large
    for SQLite ("12345678901234567890")."""
    if text in ("True", "False") or text[:1] in ("[", "{"):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _contains(text):
    """A cheap test the stored JSON text passes when it holds ``text`` as a string or a
    number: JSONField writes with json.dumps(ensure_ascii=False), which escapes a string
    the same way here. It spares parsing the JSON of every record for each event."""
    needle = json.dumps(text, ensure_ascii=False)[1:-1]
    if dialect() == "postgres":
        return pw.fn.strpos(Record.fields, needle) > 0
    return pw.fn.instr(Record.fields, needle) > 0


def _count_in_sql(query, tests, check):
    """How many records of ``query`` have, for every ``(name, text)`` of ``tests``,
    ``str(fields.get(name)) == text``, as ``check(fields)`` says in Python; None when
    the SQL cannot say it (the caller counts in Python).

    Records whose tested values are strings or integers (what syncs store) are counted by
    one COUNT; when the text is one another JSON value may print as ("True", "7"), the
    records with such a value are read and checked with ``check``, so the result is the
    same as reading every record."""
    certain, possible, unsure = [], [], False
    for name, text in tests:
        expr = _json_field(name)
        if expr is None or text == "None":
            return None
        exact, other, value = expr
        same = _contains(text) & exact & (value == text)
        certain.append(same)
        if _other_may_equal(text):
            possible.append(same | other)
            unsure = True
        else:
            possible.append(same)
    if not certain:
        return query.count()
    count = query.where(_all(certain)).count()
    if not unsure:
        return count
    # NOT over a NULL (a missing key) is NULL, not true: such rows are out of ``possible``
    # already, and ``certain`` is never NULL for the rows ``possible`` keeps.
    rest = query.where(_all(possible) & ~_all(certain))
    return count + sum(1 for r in rest if check(r.fields))


def _all(expressions):
    result = expressions[0]
    for e in expressions[1:]:
        result = result & e
    return result


def _handle_count(sink, rule, event, as_of=None):
    """Live: the group's count is its matching records that arrived up to this one (by
    id). The backtest keeps running counters instead (``backtest.py``).

    Counted in SQL: reading every record of the type into Python for each event made a
    bulk sync crawl (3,000 communications on seed rule 2 took a minute). SQL still visits
    the type's earlier records for each event, but with a substring test on their text,
    parsing the JSON of the few that hold the value (``_count_in_sql``). Values compare as
    text, as ``_record_filter`` does, so a number and its text form fall in one group."""
    t = rule.definition["trigger"]
    payload = event.payload or {}
    if not count_applies(t, payload):
        return None
    subject_rid = _need(payload, "record_id", event.name)
    group = count_group(t, payload, _person(payload.get("owner_id")))
    if group is None:
        return None
    key, subject = group
    q = Record.select(Record.id, Record.fields).where(
        (Record.type == t["record_type"]) & (Record.id <= subject_rid))
    tests = [(k, str(v)) for k, v in t.get("where", {}).items()]
    if t["group_by"] == "owner":
        q = q.where(Record.owner == subject.person.id)
    else:
        tests.append((t["group_by"], str(payload["fields"][t["group_by"]])))

    def check(fields_):
        return all(str((fields_ or {}).get(k)) == text for k, text in tests)

    count = _count_in_sql(q, tests, check)
    if count is None:
        count = sum(1 for r in q if check(r.fields))
    return count_step(sink, rule, event, key, subject, count)


def local_midnight_utc(day):
    """The instant day ``day`` ends in the configured time zone, as naive UTC."""
    local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=periods.timezone())
    return local.astimezone(dt_timezone.utc).replace(tzinfo=None)


def field_date(raw):
    """The date a record field holds (an ISO date, or the date part of an ISO datetime), or
    None. An absence rule's ``date_field`` is read this way; ``definition.validate`` uses it
    to refuse a field whose stored values are no dates."""
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


class History:
    """The dates of the matching records of an absence rule, per owner, sorted."""

    def __init__(self, trigger):
        self.dates = {}
        date_field = trigger.get("date_field", "occurred_at")
        tz = periods.timezone()
        q = Record.select(Record.owner, Record.occurred_at, Record.fields).where(
            (Record.type == trigger["record_type"]) & Record.owner.is_null(False))
        for r in q:
            if not _record_filter(trigger, r.fields):
                continue
            if date_field == "occurred_at":
                if r.occurred_at is None:
                    continue
                d = r.occurred_at.replace(tzinfo=dt_timezone.utc).astimezone(tz).date()
            else:
                d = field_date((r.fields or {}).get(date_field))
                if d is None:
                    continue
            self.dates.setdefault(r.owner_id, []).append(d)
        for v in self.dates.values():
            v.sort()

    def last_on_or_before(self, owner_id, day):
        dates = self.dates.get(owner_id, [])
        i = bisect.bisect_right(dates, day)
        return dates[i - 1] if i else None


def absence_day(sink, rule, day, history=None, subjects=None):
    """Evaluate an absence window at the end of ``day`` for every subject.

    A subject is quiet on D when no matching record falls within D-N+1..D (inclusive).
    Returns the firings.
    """
    t = rule.definition["trigger"]
    history = history or History(t)
    subjects = subjects if subjects is not None else subjects_for(t)
    n = t["days"]
    at = local_midnight_utc(day)
    fired = []
    for person in subjects:
        last = history.last_on_or_before(person.id, day)
        quiet = last is None or last < day - timedelta(days=n - 1)
        facts = {"kind": "absence", "quiet": int(quiet),
                 "days_quiet": (day - last).days if last else "",
                 "last_date": last.isoformat() if last else ""}
        key = f"person:{person.id}"
        if sink.episode_step(rule, key, engine.match(rule.ruleset, facts), at):
            f = sink.fire(rule, person_subject(person), facts, at, day=day,
                          dedupe_key=f"{rule.id}:{key}:d{day.isoformat()}")
            if f is not None:
                fired.append(f)
    return fired


def _schedule_should_fire(sink, rule, person, matched, at):
    """An unconditional schedule (a weekly report) fires at every occurrence; a schedule
    with condition rows follows the episode logic like every condition rule: once when the
    condition starts to hold, again only after an occurrence where it did not."""
    if not rule.definition.get("conditions", {}).get("rows"):
        return matched
    return sink.episode_step(rule, f"person:{person.id}", matched, at)


WEEK_COUNTS = ("records_7d", "submissions_7d", "visits_7d", "valid_visits_7d")


def week_activity(since, until):
    """Per person id, what they did in (since, until] (naive UTC): ``records_7d`` (records
    they own, by ``occurred_at``: what connectors sync), ``submissions_7d`` (forms they
    sent, by ``submitted_at``), ``visits_7d`` (of those, submissions of a visit form: one
    with a ``visit_rule``) and ``valid_visits_7d``.

    Visits logged in the app are submissions, never records, so a report on records alone
    tells a rep with five visits they did nothing. A visit is valid as the form judged it
    when it was sent (``valid``, stored by ``forms.schema.visit_validity``: long enough,
    with a location) and no rule has since flagged it ``valid = no`` (what the rep sees on
    the visit's page)."""
    out = {}

    def add(person_id, name):
        row = out.setdefault(person_id, dict.fromkeys(WEEK_COUNTS, 0))
        row[name] += 1

    for owner_id, n in (Record.select(Record.owner, pw.fn.COUNT(Record.id))
                        .where((Record.occurred_at > since) & (Record.occurred_at <= until)
                               & Record.owner.is_null(False))
                        .group_by(Record.owner).tuples()):
        out.setdefault(owner_id, dict.fromkeys(WEEK_COUNTS, 0))["records_7d"] = n
    try:
        from ..forms.models import FormVersion, Submission
    except ImportError:  # the forms area is optional: no submissions to count
        return out
    from ..notify.models import SubjectFlag

    visit_versions = {v.id for v in FormVersion.select(FormVersion.id, FormVersion.definition)
                      if (v.definition or {}).get("visit_rule")}
    in_window = ((Submission.status == "submitted") & (Submission.submitted_at > since)
                 & (Submission.submitted_at <= until))
    flagged = {sid for (sid,) in SubjectFlag.select(SubjectFlag.subject_id).where(
        (SubjectFlag.subject_type == "submission") & (SubjectFlag.key == "valid")
        & (SubjectFlag.value == "no")
        & SubjectFlag.subject_id.in_(Submission.select(Submission.id).where(in_window)))
        .tuples()}
    for s in Submission.select(Submission.id, Submission.person, Submission.form_version,
                               Submission.data).where(in_window):
        add(s.person_id, "submissions_7d")
        if s.form_version_id in visit_versions:
            add(s.person_id, "visits_7d")
            if (s.data or {}).get("valid") is True and s.id not in flagged:
                add(s.person_id, "valid_visits_7d")
    return out


def schedule_occurrence(sink, rule, local_at, subjects=None):
    """Fire a schedule rule's occurrence (a local wall time) for each matching subject."""
    t = rule.definition["trigger"]
    subjects = subjects if subjects is not None else subjects_for(t)
    at = local_at.replace(tzinfo=periods.timezone()).astimezone(dt_timezone.utc).replace(
        tzinfo=None)
    counts = week_activity(at - timedelta(days=7), at)
    fired = []
    for person in subjects:
        facts = {"kind": "schedule", **counts.get(person.id, dict.fromkeys(WEEK_COUNTS, 0))}
        if _schedule_should_fire(sink, rule, person, engine.match(rule.ruleset, facts), at):
            f = sink.fire(rule, person_subject(person), facts, at, day=local_at.date(),
                          dedupe_key=f"{rule.id}:person:{person.id}:t{local_at.isoformat()}")
            if f is not None:
                fired.append(f)
    return fired


def on_event(sink, rules, event):
    """Run every enabled event-driven rule listening to ``event.name``; a failing rule is
    logged as a problem and the others still run. Returns the firings."""
    fired = []
    for rule in rules:
        t = rule.definition.get("trigger", {})
        if t.get("type") not in ("event", "count", "streak") or t.get("event") != event.name:
            continue
        try:
            with database.atomic():
                f = handle_event(sink, rule, event)
            if f is not None:
                fired.append(f)
        except Exception as exc:
            sink.problem(rule, f"event {event.name} #{event.id}: {exc}", event.id)
    return fired
