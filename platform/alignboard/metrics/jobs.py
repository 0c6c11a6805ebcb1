"""Background job of the metrics: the daily recolouring.

Values are recomputed when a record or form arrives, but pace moves with the calendar: a
person who records nothing falls behind plan without any event. Once a day this job
recomputes the stored values of current periods (open, or ended within the last day) through
``store.write``, so the new expected value, pace and colour are stored and every colour that
moved is announced as ``metric.colour_changed``. It also stores the zeros of periods that have
just started (``Engine.zero_keys``): a rep who records nothing this week shows 0, and the
colour of 0, without any event.
"""
import logging
from datetime import timedelta

from .. import tasks

log = logging.getLogger(__name__)


def current_keys(day, engine=None):
    """Keys (metric_id, subject_type, subject_id, period_id) of stored values and targets
    whose period is open on ``day`` or ended the day before; with ``engine``, also the keys
    of those periods that its active metrics show 0 in (``Engine.zero_keys``)."""
    from ..org.models import Period
    from .models import MetricValue, Target

    current = (Period.start <= day) & (Period.end >= day - timedelta(days=1))
    keys = set()
    for model in (MetricValue, Target):
        q = (model.select(model.metric, model.subject_type, model.subject_id, model.period)
             .join(Period, on=(model.period == Period.id)).where(current))
        keys |= {(r.metric_id, r.subject_type, r.subject_id, r.period_id) for r in q}
    if engine is not None:
        periods = [p for p in engine.calendar.by_id.values()
                   if p.start <= day and p.end >= day - timedelta(days=1)]
        for metric in engine.metrics.values():
            if metric.active:
                keys |= engine.zero_keys(metric, periods)
    return keys


def recolour(day=None):
    """Recompute expected value, pace and colour of current periods on ``day`` (the pace
    day by default); returns the number of stored values that changed."""
    from .engine import Engine
    from .sources import DatabaseRows
    from .store import write

    engine = Engine(DatabaseRows(), day=day)
    keys = {k for k in current_keys(engine.day, engine) if k[0] in engine.metrics}
    changed = write(engine, keys)
    log.info("recoloured %d current metric value(s) on %s: %d changed", len(keys),
             engine.day, changed)
    return changed


@tasks.schedule("metrics.recolour", minute="5", hour="0")
def recolour_daily():
    """Every day at 00:05: recolour current periods, as pace moves without any record."""
    return recolour()
