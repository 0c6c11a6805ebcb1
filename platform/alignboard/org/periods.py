"""Calendar periods: years, quarters, months and ISO weeks (weeks start on Monday).

"Today" is the date in the configured time zone (``ALIGNBOARD_TIMEZONE``, default
Asia/Shanghai), since a Friday-afternoon rule in Beijing is still Friday morning in UTC.
"""
import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

from .models import Period

DEFAULT_TIMEZONE = "Asia/Shanghai"


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


def generate(year):
    """Create every period of ``year`` that does not exist yet; return how many were made.

    Weeks are ISO weeks: a week belongs to the year of its Thursday, so 2016-W52 may end in
    January 2017 and is made with 2016.
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
    existing = {(p.kind, p.start) for p in Period.select(Period.kind, Period.start)
                .where(Period.start.between(date(year - 1, 12, 20), date(year, 12, 31)))}
    rows = [dict(kind=k, start=s, end=e, name=n) for (k, s), (e, n) in sorted(wanted.items())
            if (k, s) not in existing]
    if rows:
        Period.insert_many(rows).execute()
    return len(rows)


def containing(kind, day):
    """The stored period of ``kind`` holding ``day``, or None."""
    return Period.get_or_none((Period.kind == kind) & (Period.start <= day) & (Period.end >= day))
