"""The delivery queue: every rule action is a ``Delivery`` row the worker sends.

Rows are written in the same transaction as the firing that made them, so an action exists
exactly when its firing does. The worker claims a due row by moving it to ``sending`` with a
conditional UPDATE (two workers never send the same row), calls the channel, and records the
outcome: ``sent``, or ``failed`` with the next attempt after a growing delay, or ``dead``
after the last retry. Every failure keeps its reason in ``last_error`` for the admin.
"""
import logging
from datetime import timedelta

from flask import current_app

from ..db import utcnow
from ..org.models import Person
from . import channels as channel_registry
from .models import Delivery

log = logging.getLogger(__name__)

# Seconds to wait before retry 1, 2, 3, 4; after that the delivery is dead.
RETRY_DELAYS = [60, 300, 1800, 7200]
# A row left in "sending" this long belongs to a worker that died: take it back.
STALE_SENDING = timedelta(minutes=10)


def retry_delays():
    return current_app.config.get("NOTIFY_RETRY_DELAYS", RETRY_DELAYS)


def enqueue(channel, settings, message, recipient_ids, firing_id=None, action_index=0):
    return Delivery.create(channel=channel, settings=settings, message=message,
                           recipient_ids=recipient_ids, firing_id=firing_id,
                           action_index=action_index)


def _claim(delivery_id, now):
    return (Delivery.update(status="sending", updated_at=now)
            .where((Delivery.id == delivery_id) &
                   (Delivery.status.in_(["pending", "failed"]) |
                    ((Delivery.status == "sending") &
                     (Delivery.updated_at <= now - STALE_SENDING))))
            .execute()) == 1


def send_one(delivery, now=None):
    """Attempt one delivery now and record the outcome; return the new status."""
    now = now or utcnow()
    channel = channel_registry.available().get(delivery.channel)
    recipients = list(Person.select().where(Person.id.in_(delivery.recipient_ids or [])))
    recipients.sort(key=lambda p: (delivery.recipient_ids or []).index(p.id))
    delivery.attempts += 1
    try:
        if channel is None:
            raise RuntimeError(f"channel {delivery.channel!r} is not installed")
        result = channel.send(delivery.message, recipients, delivery.settings or {})
    except Exception as exc:
        delays = retry_delays()
        delivery.last_error = f"attempt {delivery.attempts}: {exc}"[:2000]
        if delivery.attempts > len(delays):
            delivery.status = "dead"
            log.error("delivery %s (%s) gave up: %s", delivery.id, delivery.channel, exc)
        else:
            delivery.status = "failed"
            delivery.next_attempt_at = now + timedelta(seconds=delays[delivery.attempts - 1])
            log.warning("delivery %s (%s) failed, retry at %s: %s", delivery.id,
                        delivery.channel, delivery.next_attempt_at, exc)
    else:
        delivery.status, delivery.sent_at = "sent", now
        delivery.result = str(result or "")[:2000]
    delivery.updated_at = now
    delivery.save()
    return delivery.status


def deliver_due(now=None, limit=100):
    """Send every due delivery (pending, or failed with its retry time reached); return a
    dict of counts by resulting status."""
    now = now or utcnow()
    due = (Delivery.select(Delivery.id)
           .where((Delivery.status.in_(["pending", "failed"]) &
                   (Delivery.next_attempt_at <= now)) |
                  ((Delivery.status == "sending") &
                   (Delivery.updated_at <= now - STALE_SENDING)))
           .order_by(Delivery.id).limit(limit))
    counts = {}
    for row in list(due):
        if not _claim(row.id, now):
            continue  # another worker took it
        delivery = Delivery.get_by_id(row.id)
        status = send_one(delivery, now)
        counts[status] = counts.get(status, 0) + 1
    return counts


def retry_now(delivery_ids):
    """Make failed or dead deliveries due again at once (the admin's "retry" action)."""
    return (Delivery.update(status="pending", next_attempt_at=utcnow(), attempts=0)
            .where(Delivery.id.in_(list(delivery_ids)) &
                   Delivery.status.in_(["failed", "dead"])).execute())
