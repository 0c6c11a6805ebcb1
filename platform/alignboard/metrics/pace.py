"""Plan and pace: how much of a target should be reached by a given day.

By default linearly over the period (half the days gone, half the target expected); with a
seasonality curve the period is cut into equal slices weighted by the curve, so a quarter
whose last month counts double expects less in its first weeks.
"""
import math
from datetime import date

from flask import current_app, has_app_context

from ..org import periods as org_periods


def pinned():
    """The day ``ALIGNBOARD_METRICS_AS_OF`` (YYYY-MM-DD) pins, or None."""
    day = current_app.config.get("METRICS_AS_OF") if has_app_context() else None
    if not day:
        return None
    return day if isinstance(day, date) else date.fromisoformat(str(day))


def as_of():
    """The day pace is measured on: today in the configured time zone, unless
    ``ALIGNBOARD_METRICS_AS_OF`` pins it, as a demo on old data does."""
    return pinned() or org_periods.today()


def cutoff(day):
    """The last day whose rows count in values measured on ``day``, or None for all rows.

    A value measured on a chosen day (pinned, or asked for with ``as_of``) is the value to
    that day, so that its pace compares like with like: a deal of 20 November is not part
    of the pace of 15 November. Measured on the real today, every row counts, dated ahead
    included, as stored values always have: no event would recompute them on the day such
    a row comes due.
    """
    if pinned() is None and day == org_periods.today():
        return None
    return day


def elapsed_share(start, end, day, curve=None):
    """The share (0..1) of a period [start, end] (inclusive) expected done at the end of
    ``day``: linear in days, or following ``curve`` (relative weights of equal slices)."""
    total_days = (end - start).days + 1
    if day < start:
        return 0.0
    if day >= end:
        return 1.0
    done_days = (day - start).days + 1
    linear = done_days / total_days
    weights = [w for w in (curve or []) if w >= 0]
    # A curve saved before weights were checked may hold inf or nan (or overflow when
    # summed): follow the line rather than expect NaN, which no JSON can carry.
    if not weights or not math.isfinite(sum(curve)) or sum(weights) <= 0:
        return linear
    # Position in slices, e.g. 1.5 slices done of 3: first slice whole, half the second.
    position = linear * len(weights)
    whole = int(position)
    share = sum(weights[:whole])
    if whole < len(weights):
        share += weights[whole] * (position - whole)
    return share / sum(weights)


def expected(target, period, day, curve=None):
    """The value the plan expects at the end of ``day`` for a ``target`` over ``period``."""
    if target is None:
        return None
    return target * elapsed_share(period.start, period.end, day, curve)


def pace_ratio(value, expected_value):
    """value / expected (1.0 = on plan; 0.85 = 15% behind), None when it cannot be told."""
    if value is None or expected_value is None or expected_value == 0:
        return None
    return value / expected_value


def deviation(value, expected_value):
    """Signed deviation from plan: -0.15 means "behind plan by 15%"."""
    ratio = pace_ratio(value, expected_value)
    return None if ratio is None else ratio - 1
