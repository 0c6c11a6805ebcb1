"""Writing computed values, and announcing colour changes.

Both update paths end here: ``write(engine, keys)`` recomputes each key, stores or removes
its ``MetricValue`` and publishes ``metric.colour_changed`` when the colour moved.
"""
import logging

from .. import events
from ..db import database, utcnow
from .models import MetricValue

log = logging.getLogger(__name__)

COLUMNS = ("value", "n", "flag", "target", "expected", "pace", "colour")


def colour_event(metric, key, old, new, state):
    """Publish ``metric.colour_changed`` for one key."""
    _, subject_type, subject_id, period_id = key
    events.publish("metric.colour_changed", metric=metric.key, metric_id=metric.id,
                   subject_type=subject_type, subject_id=subject_id, period_id=period_id,
                   old=old, new=new,
                   value=state.value if state else None,
                   pace_ratio=state.pace if state else None)


def write(engine, keys, publish=True):
    """Recompute and store ``keys`` ((metric_id, subject_type, subject_id, period_id)).

    Returns the number of keys whose stored row changed. Runs in one transaction.
    """
    if not keys:
        return 0
    changed = 0
    with database.atomic():
        existing = {}
        by_metric = {}
        for k in keys:
            by_metric.setdefault(k[0], []).append(k)
        for metric_id, ks in by_metric.items():
            subjects = {(k[1], k[2]) for k in ks}
            periods = {k[3] for k in ks}
            q = MetricValue.select().where(
                (MetricValue.metric == metric_id)
                & MetricValue.period.in_(list(periods))
                & MetricValue.subject_id.in_(list({s[1] for s in subjects})))
            for row in q:
                existing[(row.metric_id, row.subject_type, row.subject_id, row.period_id)] = row
        for key in sorted(keys):
            metric = engine.metrics[key[0]]
            state = engine.state(metric, key[1], key[2], engine.period(key[3]))
            old = existing.get(key)
            if state is None:
                if old is not None:
                    old.delete_instance()
                    changed += 1
                    if publish and old.colour is not None:
                        colour_event(metric, key, old.colour, None, None)
                continue
            values = state.as_dict()
            if old is None:
                # Another process may have stored the key since it was read (two records
                # of one team arriving together): insert or update, never fail.
                now = utcnow()
                MetricValue.insert(metric=key[0], subject_type=key[1], subject_id=key[2],
                                   period=key[3], updated_at=now, **values).on_conflict(
                    conflict_target=[MetricValue.metric, MetricValue.subject_type,
                                     MetricValue.subject_id, MetricValue.period],
                    update={**{getattr(MetricValue, c): values[c] for c in COLUMNS},
                            MetricValue.updated_at: now}).execute()
                changed += 1
                if publish and state.colour is not None:
                    colour_event(metric, key, None, state.colour, state)
                continue
            if any(getattr(old, c) != values[c] for c in COLUMNS):
                old_colour = old.colour
                MetricValue.update(updated_at=utcnow(), **values).where(
                    MetricValue.id == old.id).execute()
                changed += 1
                if publish and old_colour != state.colour:
                    colour_event(metric, key, old_colour, state.colour, state)
    return changed
