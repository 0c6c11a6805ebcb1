"""The rules on the task queue: ``alignboard worker`` runs them, no second process needed.

Two tasks, both thin wrappers around ``worker.run_once`` (so the claims, clocks and
retries of ``rules/worker.py`` keep every guarantee when several workers run):

- ``rules.run``, scheduled every minute: outbox events, due schedules and absence windows,
  due deliveries. This alone is enough; it is also the safety net for the nudge below.
- ``rules.events``, a nudge: publishing an event the rules listen to queues this task a
  second later (at most one nudge per process per second), so an alert follows its record
  in seconds rather than at the next minute. The delay lets the publisher's transaction
  commit first; an event committed later is taken by the next pass.

The nudge is skipped when the queue is ``immediate``: that mode runs tasks in the caller,
and the web process must never wait for a rule. Such installations run
``alignboard rules worker`` (or rely on nothing firing until one runs).
"""
import logging
import threading
import time

from flask import has_app_context

from .. import events, tasks

log = logging.getLogger(__name__)

NUDGE_DELAY = 1.0      # seconds between publishing and the queued pass
NUDGE_INTERVAL = 1.0   # at most one nudge per process per this many seconds

_last_nudge = 0.0
_nudge_lock = threading.Lock()


@tasks.schedule("rules.run", minute="*")
def run():
    """Every minute: one full rule-worker pass; returns its counts."""
    from . import worker

    return _until_idle(worker.run_once())


@tasks.task("rules.events")
def process():
    """Queued by a nudge: take the outbox events waiting, then send due deliveries."""
    from . import worker

    return _until_idle(worker.run_once())


def _until_idle(stats):
    """Keep taking events while a pass found some (a pass takes at most 200)."""
    from . import worker

    total = dict(stats)
    while stats["events"]:
        stats = worker.run_once()
        total["events"] += stats["events"]
        total["fired"] += stats["fired"]
    return total


def nudge(event):
    """Event subscriber: queue ``rules.events`` for events a rule may trigger on."""
    global _last_nudge
    from . import vocabulary

    if event.name not in vocabulary.EVENTS or not has_app_context():
        return False
    huey = tasks.huey_for()
    if huey.immediate:
        return False
    with _nudge_lock:
        now = time.monotonic()
        if now - _last_nudge < NUDGE_INTERVAL:
            return False
        _last_nudge = now
    tasks.enqueue_in(NUDGE_DELAY, "rules.events")
    return True


def subscribe():
    """Wire the nudge to the event bus (idempotent)."""
    events.subscribe("*", nudge)
