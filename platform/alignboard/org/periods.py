"""Calendar periods: years, quarters, months and ISO weeks (weeks start on Monday).

"Today" is the date in the configured time zone (``ALIGNBOARD_TIMEZONE``, default
Asia/Shanghai), since a Friday-afternoon rule in Beijing is still Friday morning in UTC.
"""
import calendar
import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

from .models import Period

DEFAULT_TIMEZONE = "Asia/Shanghai"

log = logging.getLogger(__name__)


def timezone():
    name = current_app.config["TIMEZONE"] if has_app_context() else DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} in ALIGNBOARD_TIMEZONE") from exc


def now():
    return datetime.now(timezone())


def today():
    return now().date()


def bounds(kind, day):
    """(start, end, name) of the period of ``kind`` holding ``day``; end is inclusive."""
    if kind == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31), f"{day.year}"
    if kind == "quarter":
        q = (day.month - 1) // 3
        start = date(day.year, 3 * q + 1, 1)
        last_month = 3 * q + 3
        end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
        return start, end, f"{day.year}-Q{q + 1}"
    if kind == "month":
        end = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        return date(day.year, day.month, 1), end, f"{day.year}-{day.month:02d}"
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        iso_year, iso_week, _ = start.isocalendar()
        return start, start + timedelta(days=6), f"{iso_year}-W{iso_week:02d}"
    raise ValueError(f"unknown period kind {kind!r}; expected year, quarter, month or week")


def generate(year, skipped=None):
    """Create every period of ``year`` that does not exist yet; return how many were made.

    Weeks are ISO weeks: a week belongs to the year of its Thursday, so 2016-W52 may end in
    January 2017 and is made with 2016.

    A wanted period that shares a day with a stored period of the same kind (HR's custom
    month 2041-01-10..2041-02-09, say) is not made: two such periods would break the rule
    that a day lies in at most one period of each kind (``Period.problems``), and
    ``containing`` would pick either. Each one skipped is logged and, when ``skipped`` is a
    list, appended to it as ``(wanted name, stored Period)`` for the caller to show.
    """
    wanted = {}
    day = date(year, 1, 1)
    while day.year == year:
        for kind in ("year", "quarter", "month"):
            start, end, name = bounds(kind, day)
            wanted[(kind, start)] = (end, name)
        start, end, name = bounds("week", day)
        if (start + timedelta(days=3)).year == year:
            wanted[("week", start)] = (end, name)
        day += timedelta(days=1)
    first = min(start for _, start in wanted)
    last = max(end for end, _ in wanted.values())
    stored = list(Period.select().where((Period.start <= last) & (Period.end >= first))
                  .order_by(Period.start))
    rows = []
    for (kind, start), (end, name) in sorted(wanted.items()):
        clash = next((p for p in stored if p.kind == kind and p.start <= end
                      and p.end >= start), None)
        if clash is None:
            rows.append(dict(kind=kind, start=start, end=end, name=name))
        elif (clash.start, clash.end) != (start, end):
            # Made already (same days) is the normal, silent case; anything else is a
            # period HR defined by hand, which wins over the calendar one.
            log.warning("period %s (%s to %s) not created: it overlaps the stored %s %s "
                        "(%s to %s)", name, start, end, kind, clash.name, clash.start,
                        clash.end)
            if skipped is not None:
                skipped.append((name, clash))
    if rows:
        Period.insert_many(rows).execute()
    return len(rows)


def containing(kind, day):
    """The stored period of ``kind`` holding ``day``, or None."""
    return Period.get_or_none((Period.kind == kind) & (Period.start <= day) & (Period.end >= day))
