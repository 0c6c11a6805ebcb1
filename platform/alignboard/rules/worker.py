"""The rule worker: consumes the event outbox, runs the scheduler, sends deliveries.

It needs no queue library to be correct. Each event is claimed by inserting its id into
``rule_event_claim`` (unique) in the same transaction that evaluates it, so two workers
never process the same event, and an event whose evaluation fails to commit is claimed by
nobody and taken again. Events are taken in outbox order. The web process only writes the
outbox (``events.publish``) and never waits for a rule.

Entry points: ``run_once()`` (one pass: events, ``scheduler.run_due``, deliveries) and
``run_forever()``; on the command line ``alignboard rules worker [--once]``. The task queue
calls ``run_once`` from its tasks (``rules/jobs.py``), so ``alignboard worker`` runs the rules
without this loop.
"""
import logging
import os
import socket
import threading
import time

import peewee as pw

from .. import events
from ..db import database
from ..notify import delivery
from . import evaluate, scheduler
from . import vocabulary as vocab
from .models import Rule, RuleEventClaim

log = logging.getLogger(__name__)


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def unclaimed_events(limit=200):
    """Outbox events no worker has taken yet, oldest first."""
    Event = events.Event
    return list(Event.select().join(
        RuleEventClaim, pw.JOIN.LEFT_OUTER, on=(RuleEventClaim.event_id == Event.id))
        .where(RuleEventClaim.id.is_null() & Event.name.in_(list(vocab.EVENTS)))
        .order_by(Event.id).limit(limit))


def process_events(limit=200, name=None):
    """Claim and evaluate up to ``limit`` events; return how many this worker processed."""
    name = name or worker_name()
    rules = list(Rule.select().where(Rule.enabled).order_by(Rule.id))
    sink = evaluate.LiveSink()
    done = 0
    for event in unclaimed_events(limit):
        try:
            with evaluate.write_transaction():
                # The claim comes first, so it takes the write lock before any read.
                RuleEventClaim.create(event_id=event.id, worker=name[:100])
                evaluate.on_event(sink, rules, event)
            done += 1
        except pw.IntegrityError:
            continue  # another worker has it
        except pw.OperationalError as exc:
            # SQLite busy beyond its timeout: the event stays unclaimed for the next pass.
            log.warning("event %s left for later: %s", event.id, exc)
    return done


def run_once(now=None, name=None):
    """One pass; returns {"events": n, "fired": n, "deliveries": {status: n}}."""
    database.connect(reuse_if_open=True)
    n = process_events(name=name)
    fired = scheduler.run_due(now)
    sent = delivery.deliver_due()
    return {"events": n, "fired": len(fired), "deliveries": sent}


def run_forever(interval=1.0, stop=None):
    """Loop until ``stop`` (a threading.Event) is set; sleeps only when idle."""
    log.info("rule worker %s started", worker_name())
    while not (stop and stop.is_set()):
        try:
            stats = run_once()
        except Exception:
            log.exception("rule worker pass failed; continuing")
            stats = {"events": 0}
        if not stats["events"]:
            if stop:
                stop.wait(interval)
            else:
                time.sleep(interval)
