"""Computing metric values: one pure function of the rows, shared by both update paths.

``Engine.compute(metric, subject_type, subject_id, period)`` gives the value, the number of
rows behind it and a flag; ``Engine.state`` adds target, expected value, pace and colour.
An engine measures on one day (``Engine.day``); on a pinned or chosen day only rows up to
that day count (``pace.cutoff``), so a value and its plan are both "to date".
Incremental updates (``metrics.updates``) and the full rebuild (``metrics.rebuild``) differ
only in which keys they recompute and where rows are read from, never in how a value is
computed, so both give identical results.

A value is stored when at least one row went into it, a target exists for its key, or the
key is "measured at zero" (``Engine.zero_ok``): a count, distinct count or sum of no rows is
0, so an active subject the metric groups by shows 0 (and its colour) for every started
period since the metric's data begins. Otherwise there is nothing to show (an average,
minimum, maximum or ratio of no rows has no value) and the stored row, if any, is removed.
"""
import logging
import math
from collections import defaultdict
from datetime import date, timedelta

from ..org.models import Period, Person, Role, Unit
from . import colours, formulas, pace
from .models import (ColourBand, ColourRule, CompositePart, Metric, MetricFilter, Target)

log = logging.getLogger(__name__)

# Aggregations whose value over no rows is 0 rather than unknown.
COUNTING = ("count", "distinct", "sum")


# --- filters and aggregation ------------------------------------------------------------

def _number(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return None


def _compare(op, actual, wanted):
    a, w = _number(actual), _number(wanted)
    if a is None or w is None:
        a, w = str(actual), str(wanted)
    if op == "eq":
        return a == w
    if op == "ne":
        return a != w
    if op == "gt":
        return a > w
    if op == "ge":
        return a >= w
    if op == "lt":
        return a < w
    if op == "le":
        return a <= w
    raise ValueError(op)


def matches(fields, filters):
    """True when ``fields`` meets every filter (field op value)."""
    for f in filters:
        v = fields.get(f.field)
        if f.op == "empty":
            ok = v is None or v == "" or v == []
        elif f.op == "not_empty":
            ok = not (v is None or v == "" or v == [])
        elif v is None:
            ok = f.op == "ne"
        elif f.op == "in":
            options = [o.strip() for o in f.value.split(",")]
            ok = any(_compare("eq", v, o) for o in options)
        elif f.op == "contains":
            ok = f.value.lower() in str(v).lower()
        else:
            ok = _compare(f.op, v, f.value)
        if not ok:
            return False
    return True


def aggregate(aggregation, field, rows):
    """(value, flag) of ``rows`` (already filtered). Counting aggregations of no rows give 0;
    average, minimum and maximum of no rows give None. A result that is not a finite number
    (an overflowing sum, a field holding "inf") is no value with a note."""
    try:
        value, flag = _aggregate(aggregation, field, rows)
    except (OverflowError, ValueError):
        # fsum raises on an intermediate overflow or on inf + -inf.
        return None, formulas.NOT_FINITE
    return finite(value, flag)


def finite(value, flag=None):
    """(value, flag), or (None, a note) when ``value`` is infinite or NaN: neither can be
    stored meaningfully nor written as JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None, formulas.NOT_FINITE
    return value, flag


def _aggregate(aggregation, field, rows):
    if aggregation == "count":
        return float(len(rows)), None
    values = [r.fields.get(field) for r in rows] if field else []
    if aggregation == "distinct":
        return float(len({str(v) for v in values if v not in (None, "")})), None
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    if aggregation == "sum":
        # fsum is exact whatever the order, so database and memory rows sum identically.
        return math.fsum(numbers), None
    if not numbers:
        return None, ("no rows" if not rows else f"no numbers in {field}")
    if aggregation == "avg":
        return math.fsum(numbers) / len(numbers), None
    if aggregation == "min":
        return min(numbers), None
    if aggregation == "max":
        return max(numbers), None
    return None, f"unknown aggregation {aggregation}"


# --- windows ------------------------------------------------------------------------------

def window(metric, period):
    """The days [start, end] (inclusive) of rows that go into ``period``'s value."""
    if metric.window == "rolling" and metric.rolling_days:
        return period.end - timedelta(days=metric.rolling_days - 1), period.end
    if metric.window == "to_date":
        return date(period.start.year, 1, 1), period.end
    return period.start, period.end


class Calendar:
    """Stored periods by kind, in order."""

    def __init__(self):
        self.by_kind = defaultdict(list)
        self.by_id = {}
        for p in Period.select().order_by(Period.start):
            self.by_kind[p.kind].append(p)
            self.by_id[p.id] = p
        self.position = {}
        self._touching = {}
        for kind, items in self.by_kind.items():
            for i, p in enumerate(items):
                self.position[p.id] = i

    def touching(self, kind, day, leaf):
        """Periods of ``kind`` whose window (the leaf metric's) holds ``day``."""
        memo_key = (kind, day, leaf.window, leaf.rolling_days)
        if memo_key in self._touching:
            return self._touching[memo_key]
        out = []
        for p in self.by_kind.get(kind, ()):
            if p.start > day + timedelta(days=400):
                break
            start, end = window(leaf, p)
            if start <= day <= end:
                out.append(p)
        self._touching[memo_key] = out
        return out

    def previous(self, period, n):
        """Up to ``n`` periods of the same kind before ``period``, oldest first."""
        items = self.by_kind[period.kind]
        i = self.position[period.id]
        return items[max(0, i - n):i]

    def following(self, period, n):
        items = self.by_kind[period.kind]
        i = self.position[period.id]
        return items[i + 1:i + 1 + n]


class OrgIndex:
    """Who belongs to which unit, and the unit tree, for rolling values up."""

    def __init__(self):
        self.units = {u.id: u.path for u in Unit.select(Unit.id, Unit.path)}
        people = list(Person.select(Person.id, Person.unit, Person.active, Role.scope)
                      .join(Role, on=(Person.role == Role.id)))
        self.unit_of = {p.id: p.unit_id for p in people}
        # Measured at zero: active people whose role sees its own data, the individual
        # contributors (reps). Someone who left shows no new values, and a manager, HR or an
        # executive, who by design records no deals, is not shown red every week; their own
        # rows, when they have any, still give them values.
        self.active = {p.id for p in people if p.active and p.role.scope == "own"}
        self._members = {}

    def ancestors(self, unit_id):
        path = self.units.get(unit_id)
        if not path:
            return []
        return [int(x) for x in path.strip("/").split("/") if x]

    def subjects(self, owner_id, types):
        out = []
        if "person" in types:
            out.append(("person", owner_id))
        if "unit" in types:
            out.extend(("unit", u) for u in self.ancestors(self.unit_of.get(owner_id)))
        return out

    def people(self, subject_type, subject_id):
        if subject_type == "person":
            return [subject_id]
        if subject_id not in self._members:
            prefix = self.units.get(subject_id)
            if prefix is None:
                self._members[subject_id] = []
            else:
                inside = {u for u, path in self.units.items() if path.startswith(prefix)}
                self._members[subject_id] = sorted(
                    p for p, u in self.unit_of.items() if u in inside)
        return self._members[subject_id]


# --- the engine ---------------------------------------------------------------------------

class State:
    """Everything stored for one key."""

    __slots__ = ("value", "n", "flag", "target", "expected", "pace", "colour")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}


class Engine:
    """Metric definitions, targets, calendar and org loaded once; values computed on demand
    (memoised) from a row provider (``sources.DatabaseRows`` or ``sources.MemoryRows``)."""

    def __init__(self, rows, day=None, preload_targets=False):
        self.rows = rows
        self.day = day or pace.as_of()
        # Rows dated after this day do not count (None: all rows count); see pace.cutoff.
        self.cutoff = pace.cutoff(self.day)
        self.calendar = Calendar()
        self.org = OrgIndex()
        self.metrics = {m.id: m for m in Metric.select()}
        self.by_key = {m.key: m for m in self.metrics.values()}
        self.filters = defaultdict(list)
        for f in MetricFilter.select().order_by(MetricFilter.id):
            self.filters[f.metric_id].append(f)
        self.parts = defaultdict(list)
        for p in CompositePart.select().order_by(CompositePart.id):
            self.parts[p.metric_id].append(p)
        # The rebuild needs every target; an incremental update only the few it touches.
        self.targets = {}
        self._all_targets = preload_targets
        self._loaded_subjects = set()
        if preload_targets:
            for t in Target.select():
                self.targets[(t.metric_id, t.subject_type, t.subject_id, t.period_id)] = t
        self.curves = {}
        self.rules = {}
        bands = defaultdict(list)
        for b in ColourBand.select().order_by(ColourBand.id):
            bands[b.rule_id].append(b)
        for r in ColourRule.select():
            self.rules[r.metric_id] = (r, bands[r.id])
        self._memo = {}
        self._match_memo = {}
        self._earliest = {}

    # dependencies

    def inputs(self, metric):
        """Metrics this one is computed from (formula names, ratio terms, composite parts)."""
        if metric.kind == "formula":
            try:
                names, _ = formulas.names_and_calls(metric.formula or "")
            except formulas.FormulaError:
                return []
            return [self.by_key[n] for n in sorted(names) if n in self.by_key]
        if metric.kind == "composite":
            return [self.metrics[p.part_id] for p in self.parts[metric.id]
                    if p.part_id in self.metrics]
        if metric.aggregation == "ratio":
            return [self.metrics[i] for i in (metric.numerator_id, metric.denominator_id)
                    if i in self.metrics]
        return []

    def leaves(self, metric, _seen=None):
        """The row-reading (aggregate, non-ratio) metrics under ``metric``."""
        seen = _seen if _seen is not None else set()
        if metric.id in seen:
            return []
        seen.add(metric.id)
        if metric.kind == "aggregate" and metric.aggregation != "ratio":
            return [metric]
        out = []
        for m in self.inputs(metric):
            out.extend(self.leaves(m, seen))
        return out

    # values

    def compute(self, metric, subject_type, subject_id, period, _stack=()):
        """(value, n, flag) for one key; memoised; never raises for bad data."""
        key = (metric.id, subject_type, subject_id, period.id)
        if key in self._memo:
            return self._memo[key]
        if metric.id in _stack:
            return (None, 0, "cycle between metrics")
        stack = _stack + (metric.id,)
        if metric.kind == "aggregate" and metric.aggregation != "ratio":
            start, end = window(metric, period)
            if self.cutoff is not None:
                end = min(end, self.cutoff)
            people = self.org.people(subject_type, subject_id)
            rows = [r for r in self.rows.fetch(metric, people, start, end)
                    if self._matches(metric, r)]
            value, flag = aggregate(metric.aggregation, metric.field, rows)
            result = (value, len(rows), flag)
        elif metric.kind == "aggregate":
            num = self._input(metric.numerator_id, subject_type, subject_id, period, stack)
            den = self._input(metric.denominator_id, subject_type, subject_id, period, stack)
            n = num[1] + den[1]
            if num[0] is None or den[0] is None:
                result = (None, n, "no value for a term of the ratio")
            elif den[0] == 0:
                result = (None, n, "division by zero")
            else:
                result = (num[0] / den[0], n, None)
        elif metric.kind == "formula":
            names, n = {}, 0
            for m in self.inputs(metric):
                value, count, _ = self.compute(m, subject_type, subject_id, period, stack)
                names[m.key] = value
                n += count
            ev = formulas.evaluate(metric.formula or "", names)
            result = (ev.value, n, ev.flag)
        elif metric.kind == "composite":
            total, n, missing = 0.0, 0, []
            for part in self.parts[metric.id]:
                m = self.metrics.get(part.part_id)
                value, count, _ = self.compute(m, subject_type, subject_id, period, stack)
                n += count
                if value is None:
                    missing.append(m.key)
                else:
                    total += part.weight / 100.0 * value
            result = ((None, n, f"no value for {', '.join(missing)}") if missing
                      else (total, n, None))
        else:
            result = (None, 0, f"unknown kind {metric.kind}")
        # A ratio or composite of huge finite inputs may still overflow.
        value, flag = finite(result[0], result[2])
        result = (value, result[1], flag)
        self._memo[key] = result
        return result

    def _matches(self, metric, row):
        # Rows live as long as the engine, so their id is a stable memo key: a row is
        # checked once per metric however many periods and subjects it counts in.
        key = (metric.id, id(row))
        hit = self._match_memo.get(key)
        if hit is None:
            hit = self._match_memo[key] = matches(row.fields, self.filters[metric.id])
        return hit

    def _input(self, metric_id, subject_type, subject_id, period, stack):
        m = self.metrics.get(metric_id)
        if m is None:
            return (None, 0, "missing metric")
        return self.compute(m, subject_type, subject_id, period, stack)

    def plan(self, metric, subject_type, subject_id, period):
        """(target, expected) for one key at the engine's day."""
        key = (metric.id, subject_type, subject_id, period.id)
        if not self._all_targets and key[:3] not in self._loaded_subjects:
            # One query per metric and subject, for all its periods.
            self._loaded_subjects.add(key[:3])
            for t in Target.select().where(
                    (Target.metric == metric.id) & (Target.subject_type == subject_type)
                    & (Target.subject_id == subject_id)):
                self.targets[(t.metric_id, t.subject_type, t.subject_id, t.period_id)] = t
        t = self.targets.get(key)
        if t is None:
            return None, None
        curve = None
        if t.curve_id:
            if t.curve_id not in self.curves:
                from .models import SeasonalityCurve
                c = SeasonalityCurve.get_or_none(SeasonalityCurve.id == t.curve_id)
                self.curves[t.curve_id] = c.values if c else None
            curve = self.curves[t.curve_id]
        return t.value, pace.expected(t.value, period, self.day, curve)

    def _basis(self, metric, rule, subject_type, subject_id, period):
        value = self.compute(metric, subject_type, subject_id, period)[0]
        target, expected = self.plan(metric, subject_type, subject_id, period)
        return colours.basis_value(rule, value, target, expected)

    # zeros

    def counts_from_zero(self, metric):
        """Whether ``metric``'s value over no rows is 0: an aggregate that counts or sums.
        An average, minimum, maximum or ratio of nothing has no value."""
        return metric.kind == "aggregate" and metric.aggregation in COUNTING

    def earliest(self, metric):
        """The day of the earliest row of ``metric``'s source (filters aside), or None when
        the source has no row; one query per source for the life of the engine."""
        from .sources import earliest_day, signature

        sig = signature(metric)
        if sig not in self._earliest:
            self._earliest[sig] = earliest_day(sig)
        return self._earliest[sig]

    def zero_period(self, metric, period):
        """Whether ``period`` is one ``metric`` shows zeros in: of one of its period kinds,
        started on the engine's day and not over before the metric's data begins (a
        database holding periods of 2010 gets no zeros for the years before its rows)."""
        if period.kind not in metric.kinds or period.start > self.day:
            return False
        first = self.earliest(metric)
        return first is not None and period.end >= first

    def zero_ok(self, metric, subject_type, subject_id, period):
        """Whether a key with no rows still has a value, 0: a counting metric, a subject
        it groups by that is measured (an active person whose role's scope is "own", or a
        unit that exists), and
        a period of ``zero_period``. The single definition both update paths rely on."""
        if not self.counts_from_zero(metric) or subject_type not in metric.subject_types:
            return False
        if subject_type == "person":
            if subject_id not in self.org.active:
                return False
        elif subject_id not in self.org.units:
            return False
        return self.zero_period(metric, period)

    def subject_keys(self, metric, periods, everyone=False):
        """Keys of ``metric`` for every subject it groups by in ``periods``: the people
        measured at zero (everyone, with ``everyone``) and all units."""
        subjects = []
        if "person" in metric.subject_types:
            people = self.org.unit_of if everyone else self.org.active
            subjects.extend(("person", p) for p in sorted(people))
        if "unit" in metric.subject_types:
            subjects.extend(("unit", u) for u in sorted(self.org.units))
        return {(metric.id, st, sid, p.id) for p in periods for st, sid in subjects}

    def zero_keys(self, metric, periods=None):
        """Every key of ``metric`` (in ``periods``, when given) that ``zero_ok`` holds for:
        the keys that have a value, 0 at least, whether or not any row touches them."""
        if not self.counts_from_zero(metric):
            return set()
        if periods is None:
            periods = [p for kind in metric.kinds for p in self.calendar.by_kind.get(kind, ())]
        return self.subject_keys(metric, [p for p in periods if self.zero_period(metric, p)])

    def boundary_keys(self, metric, before, after, exclude_id):
        """Keys whose zero could appear or vanish because one source row (id
        ``exclude_id``) went from the day ``before`` to ``after`` (either None when the row
        is not, or no longer, in the source): when it was or becomes the earliest row, the
        start of the metric's zeros moves, for every subject, not only the row's owner."""
        from .sources import earliest_day, signature
        if (not self.counts_from_zero(metric) or not metric.active
                or (before is None and after is None)):
            # Not a row of this metric's source (another record type): no query needed.
            return set()
        new = self.earliest(metric)
        if not any(d is not None and (new is None or d <= new) for d in (before, after)):
            # Later than the earliest row before and after: the start has not moved.
            return set()
        others = earliest_day(signature(metric), exclude_id)
        old = min((d for d in (others, before) if d is not None), default=None)
        if old == new:
            return set()
        low = min(d for d in (old, new) if d is not None)
        high = max(old, new) if old is not None and new is not None else None
        periods = [p for kind in metric.kinds for p in self.calendar.by_kind.get(kind, ())
                   if p.start <= self.day and p.end >= low and (high is None or p.end < high)]
        # Everyone: a zero stored for someone who has left since must go as well.
        return self.subject_keys(metric, periods, everyone=True)

    def state(self, metric, subject_type, subject_id, period):
        """The full ``State`` of a key, or None when nothing should be stored for it."""
        value, n, flag = self.compute(metric, subject_type, subject_id, period)
        target, expected = self.plan(metric, subject_type, subject_id, period)
        if n == 0 and target is None and not self.zero_ok(metric, subject_type, subject_id,
                                                          period):
            return None
        colour = None
        rule, bands = self.rules.get(metric.id, (None, []))
        if rule is not None and bands:
            longest = max(b.consecutive or 1 for b in bands)
            history = [self._basis(metric, rule, subject_type, subject_id, p)
                       for p in self.calendar.previous(period, longest - 1)]
            history.append(colours.basis_value(rule, value, target, expected))
            band = colours.pick(bands, history)
            colour = band.colour if band else None
        return State(value=value, n=n, flag=flag, target=target, expected=expected,
                     pace=pace.pace_ratio(value, expected), colour=colour)

    # keys

    def touched(self, metric, owner_id, day, source_sig=None):
        """Keys of ``metric`` a row of ``owner_id`` on ``day`` may change (from
        ``source_sig`` only, when given)."""
        from .sources import signature

        if owner_id is None or day is None or not metric.active:
            return set()
        leaves = [leaf for leaf in self.leaves(metric)
                  if source_sig is None or signature(leaf) == source_sig]
        if not leaves:
            return set()
        subjects = self.org.subjects(owner_id, metric.subject_types)
        periods = {}
        for kind in metric.kinds:
            for leaf in leaves:
                for p in self.calendar.touching(kind, day, leaf):
                    periods[p.id] = p
        longest = 1
        rule = self.rules.get(metric.id)
        if rule and rule[1]:
            longest = max(b.consecutive or 1 for b in rule[1])
        if longest > 1:
            # A streak rule colours later periods by this one's value as well.
            for p in list(periods.values()):
                for q in self.calendar.following(p, longest - 1):
                    periods[q.id] = q
        return {(metric.id, st, sid, pid) for st, sid in subjects for pid in periods}

    def target_keys(self, metric):
        """Keys of ``metric`` that have a target (needs ``preload_targets``)."""
        assert self._all_targets, "target_keys needs Engine(preload_targets=True)"
        return {k for k, t in self.targets.items() if k[0] == metric.id and t is not None}

    def period(self, period_id):
        return self.calendar.by_id[period_id]


def state_on(key, day, engines):
    """The ``State`` of ``key`` (metric_id, subject_type, subject_id, period_id) measured on
    ``day``: the value of the rows up to that day (``pace.cutoff``), with that day's plan,
    pace and colour, streaks included. ``engines`` caches one engine per day. None when the
    metric or period is gone.

    Stored values hold all this for the pace day only; this is what ``as_of`` shows.
    """
    from .sources import DatabaseRows

    if day not in engines:
        engines[day] = Engine(DatabaseRows(), day=day)
    engine = engines[day]
    metric = engine.metrics.get(key[0])
    period = engine.calendar.by_id.get(key[3])
    if metric is None or period is None:
        return None
    state = engine.state(metric, key[1], key[2], period)
    if state is None:
        # No row up to that day and no target: nothing would be stored, but the value of
        # no rows (0 for a count or sum) is still the answer for that day.
        value, n, flag = engine.compute(metric, key[1], key[2], period)
        state = State(value=value, n=n, flag=flag)
    return state
