"""The one internal event bus.

``publish(name, **payload)`` records the event in the ``event`` outbox table (in the caller's
transaction, so an event exists exactly when the change that caused it was committed) and
calls the in-process subscribers. The rule worker reads the outbox; metrics subscribe in
process. Names in use: ``form.submitted``, ``record.created``, ``record.changed``,
``metric.colour_changed``.
"""
import logging
from collections import defaultdict

import peewee as pw

from .db import BaseModel, JSONField, utcnow

log = logging.getLogger(__name__)

_subscribers = defaultdict(list)


class Event(BaseModel):
    name = pw.CharField(max_length=100, index=True)
    payload = JSONField()
    created_at = pw.DateTimeField(default=utcnow, index=True)


def subscribe(name, fn=None):
    """Call ``fn(event)`` for every event named ``name`` ("*" for all). Usable as decorator."""
    def register(f):
        if f not in _subscribers[name]:
            _subscribers[name].append(f)
        return f
    return register(fn) if fn else register


def unsubscribe(name, fn):
    if fn in _subscribers.get(name, []):
        _subscribers[name].remove(fn)


def publish(name, **payload):
    """Store and dispatch an event; return the stored ``Event``.

    A subscriber that raises is logged and skipped: one broken listener must not undo the
    submission or sync that published the event.
    """
    event = Event.create(name=name, payload=payload)
    for fn in list(_subscribers.get(name, [])) + list(_subscribers.get("*", [])):
        try:
            fn(event)
        except Exception:
            log.exception("event subscriber %r failed on %s #%s", fn, name, event.id)
    return event


def since(last_id=0, names=None, limit=1000):
    """Events after ``last_id`` in order, for the worker that consumes the outbox."""
    q = Event.select().where(Event.id > last_id)
    if names:
        q = q.where(Event.name.in_(list(names)))
    return list(q.order_by(Event.id).limit(limit))
