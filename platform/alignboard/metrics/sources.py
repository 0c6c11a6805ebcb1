"""Where a metric's rows come from: records of some types, or submissions of a form.

A row is ``(owner_id, day, fields)``. ``DatabaseRows`` queries per request (incremental
updates); ``MemoryRows`` loads every row of a source once and answers from memory (rebuild).
Both answer the same question the same way, which is what keeps the two paths identical.
"""
import bisect
import logging
from collections import defaultdict, namedtuple
from datetime import datetime, time

from ..records.models import Record

log = logging.getLogger(__name__)

Row = namedtuple("Row", "owner_id day fields")


def signature(metric):
    """What identifies a metric's source: ("records", types) or ("form", key)."""
    if metric.source == "form":
        return ("form", metric.form_key or "")
    return ("records", tuple(sorted(metric.types)))


def _start(day):
    return datetime.combine(day, time.min)


def _records_query(types):
    return (Record.select(Record.owner, Record.occurred_at, Record.fields)
            .where(Record.type.in_(list(types)) & Record.owner.is_null(False)
                   & Record.occurred_at.is_null(False)))


def _forms_query(form_key):
    # Imported here: the forms area is optional for metrics built on records only.
    from ..forms.models import Form, Submission

    return (Submission.select(Submission.person, Submission.submitted_at, Submission.data)
            .join(Form, on=(Submission.form == Form.id))
            .where((Form.key == form_key) & (Submission.status == "submitted")
                   & Submission.submitted_at.is_null(False)))


def _rows(query, sig):
    if sig[0] == "form":
        for s in query:
            yield Row(s.person_id, s.submitted_at.date(), s.data or {})
        return
    for r in query:
        yield Row(r.owner_id, r.occurred_at.date(), r.fields or {})


def _as_day(value):
    if value is None:
        return None
    if isinstance(value, str):
        # SQLite may hand an aggregate of a datetime column back as text.
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def earliest_day(sig, exclude_id=None):
    """The day of the earliest row of source ``sig`` (that of record or submission
    ``exclude_id`` left out, when given), or None when there is none. The same rows as
    ``DatabaseRows`` and ``MemoryRows`` read, so both update paths agree on it."""
    from peewee import fn

    if sig[0] == "form":
        if not forms_available():
            return None
        from ..forms.models import Submission
        query = _forms_query(sig[1]).select(fn.MIN(Submission.submitted_at))
        if exclude_id is not None:
            query = query.where(Submission.id != exclude_id)
    elif sig[1]:
        query = _records_query(sig[1]).select(fn.MIN(Record.occurred_at))
        if exclude_id is not None:
            query = query.where(Record.id != exclude_id)
    else:
        return None
    return _as_day(query.scalar())


def forms_available():
    try:
        import alignboard.forms.models  # noqa: F401
    except ImportError:
        return False
    return True


def _months(start, end):
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _month_bounds(y, m):
    lo = datetime(y, m, 1)
    hi = datetime(y + 1, 1, 1) if m == 12 else datetime(y, m + 1, 1)
    return lo, hi


class DatabaseRows:
    """Rows read from the database as they are asked for, a month of an owner at a time,
    and kept for the life of one update, so that the metrics and periods an event touches
    share their queries."""

    def __init__(self):
        self._cache = {}

    def _load(self, sig, owner_ids, y, m):
        missing = [o for o in owner_ids if (sig, o, y, m) not in self._cache]
        if not missing:
            return
        lo, hi = _month_bounds(y, m)
        if sig[0] == "form":
            if not forms_available():
                rows = []
            else:
                from ..forms.models import Submission
                rows = _rows(_forms_query(sig[1]).where(
                    Submission.person.in_(missing) & (Submission.submitted_at >= lo)
                    & (Submission.submitted_at < hi)), sig)
        elif sig[1]:
            rows = _rows(_records_query(sig[1]).where(
                Record.owner.in_(missing) & (Record.occurred_at >= lo)
                & (Record.occurred_at < hi)), sig)
        else:
            rows = []
        for o in missing:
            self._cache[(sig, o, y, m)] = []
        for row in rows:
            self._cache[(sig, row.owner_id, y, m)].append(row)

    def fetch(self, metric, owner_ids, start, end):
        if not owner_ids:
            return []
        sig = signature(metric)
        out = []
        for y, m in _months(start, end):
            self._load(sig, owner_ids, y, m)
            for o in owner_ids:
                out.extend(r for r in self._cache[(sig, o, y, m)] if start <= r.day <= end)
        return out


class MemoryRows:
    """Every row of each source, loaded once, indexed by owner and day."""

    def __init__(self):
        self._by_source = {}

    def all(self, metric):
        """Every row of the metric's source (loads it the first time)."""
        return self._load(signature(metric))[1]

    def _load(self, sig):
        if sig not in self._by_source:
            rows = []
            if sig[0] == "form":
                if forms_available():
                    rows = list(_rows(_forms_query(sig[1]), sig))
            elif sig[1]:
                rows = list(_rows(_records_query(sig[1]), sig))
            by_owner = defaultdict(list)
            for row in rows:
                by_owner[row.owner_id].append(row)
            index = {}
            for owner, items in by_owner.items():
                items.sort(key=lambda r: r.day)
                index[owner] = ([r.day for r in items], items)
            self._by_source[sig] = (index, rows)
        return self._by_source[sig]

    def fetch(self, metric, owner_ids, start, end):
        index = self._load(signature(metric))[0]
        out = []
        for owner in owner_ids:
            if owner not in index:
                continue
            days, items = index[owner]
            out.extend(items[bisect.bisect_left(days, start):bisect.bisect_right(days, end)])
        return out
