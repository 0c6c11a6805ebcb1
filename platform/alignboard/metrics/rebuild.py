"""Recomputing every metric value from scratch (``alignboard metrics rebuild``).

Loads each source's rows once into memory, finds every key any row or target touches (and
every key a counting metric shows 0 in), and writes them through the same ``store.write`` the incremental path uses; rows no key produces
any more are removed.
"""
import logging
import time

from ..db import database
from .engine import Engine
from .models import MetricValue
from .sources import MemoryRows
from .store import write

log = logging.getLogger(__name__)


def keys_for(engine, metric):
    """Every key of ``metric`` that any row or target touches, and every key it shows 0 in
    (``Engine.zero_ok``: a counting metric's active subjects with no row in a period)."""
    keys = set(engine.target_keys(metric))
    if not metric.active:
        return keys
    keys |= engine.zero_keys(metric)
    for leaf in engine.leaves(metric):
        for row in engine.rows.all(leaf):
            keys |= engine.touched(metric, row.owner_id, row.day)
    return keys


def rebuild(metric_keys=None, publish=True, day=None):
    """Recompute every value (of ``metric_keys`` only, when given); return a summary dict."""
    started = time.perf_counter()
    engine = Engine(MemoryRows(), day=day, preload_targets=True)
    metrics = [m for m in engine.metrics.values()
               if metric_keys is None or m.key in metric_keys]
    total = 0
    changed = 0
    with database.atomic():
        for metric in sorted(metrics, key=lambda m: m.key):
            keys = keys_for(engine, metric)
            stale = [v.id for v in MetricValue.select(
                MetricValue.id, MetricValue.subject_type, MetricValue.subject_id,
                MetricValue.period, MetricValue.metric).where(MetricValue.metric == metric.id)
                if (v.metric_id, v.subject_type, v.subject_id, v.period_id) not in keys]
            if stale:
                # Keys nothing touches any more (a definition or an org change): recompute
                # them too, so that their removal is announced like any other change.
                for v in MetricValue.select().where(MetricValue.id.in_(stale)):
                    keys.add((v.metric_id, v.subject_type, v.subject_id, v.period_id))
            changed += write(engine, keys, publish=publish)
            total += len(keys)
    seconds = time.perf_counter() - started
    log.info("rebuilt %d metric(s): %d keys, %d changed, %.2fs", len(metrics), total,
             changed, seconds)
    return {"metrics": len(metrics), "keys": total, "changed": changed,
            "values": MetricValue.select().count(), "seconds": round(seconds, 3)}
