"""The rules on the task queue: a pass every minute, a nudge when a rule event is published,
a real `alignboard worker` process firing a rule, and no event processed twice when two
queue workers (Redis) take passes at once."""
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from alignboard import events, tasks
from alignboard.db import database
from alignboard.notify.models import Notification
from alignboard.rules import jobs
from alignboard.rules.models import RuleEventClaim, RuleFiring
from fixtures.processes import stop

THANKS = {"key": "thanks", "name": "Thanks",
          "trigger": {"type": "event", "event": "form.submitted"},
          "actions": [{"channel": "inbox", "to": ["subject"], "title": "Thanks"}]}


def submit(person, sid=1):
    with database.atomic():
        events.publish("form.submitted", submission_id=sid, form_key="visit_log", version=1,
                       person_id=person.id, period_id=None, data={},
                       submitted_at="2017-03-01T10:00:00")


@pytest.fixture
def queue(app, tmp_path, monkeypatch):
    """A real SQLite queue of the test's own; the nudge's rate limit starts afresh."""
    monkeypatch.setattr(jobs, "_last_nudge", 0.0)
    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=str(tmp_path / "queue.db"))
    with app.app_context():
        yield tasks.huey_for(app)


def test_rules_pass_is_scheduled_every_minute(app):
    with app.app_context():
        assert "rules.run" in tasks.due(datetime(2026, 11, 27, 3, 17))
        assert "rules.run" in tasks.due(datetime(2026, 11, 28, 23, 59))


def test_scheduled_pass_fires_rules_on_waiting_events(app, org, make_rule, queue):
    make_rule(THANKS)
    submit(org.rob)
    stats = jobs.run()
    assert stats["events"] == 1
    assert Notification.get().person_id == org.rob.id


def test_publishing_a_rule_event_queues_a_pass_a_second_later(app, org, make_rule, queue):
    make_rule(THANKS)
    submit(org.rob)
    # Nothing ran in the publisher: one pass waits in the queue, not before a second.
    assert RuleFiring.select().count() == 0
    assert queue.pending_count() == 1
    task = queue.dequeue()
    assert task.args[0] == "rules.events" and task.eta is not None
    queue.execute(task)  # too early: huey puts it on its schedule
    assert queue.scheduled_count() == 1 and RuleFiring.select().count() == 0
    queue.execute(task, timestamp=task.eta)
    assert Notification.get().title == "Thanks"


def test_nudges_are_rate_limited_per_process(app, org, queue):
    for sid in range(1, 6):
        submit(org.rob, sid)
    assert queue.pending_count() == 1


def test_events_no_rule_listens_to_queue_nothing(app, org, queue):
    with database.atomic():
        events.publish("something.else", value=1)
    assert queue.pending_count() == 0


def test_immediate_queue_never_runs_rules_in_the_publisher(app, org, make_rule, monkeypatch):
    monkeypatch.setattr(jobs, "_last_nudge", 0.0)
    app.config["HUEY_BACKEND"] = "immediate"
    make_rule(THANKS)
    with app.app_context():
        submit(org.rob)
        assert RuleFiring.select().count() == 0


def test_broken_queue_does_not_lose_the_event(app, org, make_rule, monkeypatch):
    """Redis down: the submission's event is stored all the same; a later pass fires it."""
    monkeypatch.setattr(jobs, "_last_nudge", 0.0)
    app.config.update(HUEY_BACKEND="redis", REDIS_URL="redis://127.0.0.1:1/0")
    make_rule(THANKS)
    with app.app_context():
        submit(org.rob)
        assert events.Event.select().count() == 1
        assert jobs.run()["events"] == 1
        assert Notification.select().count() == 1


def test_two_redis_queue_workers_never_process_an_event_twice(app, org, make_rule,
                                                             monkeypatch):
    """Two consumers' threads each execute a queued pass against the same Redis queue."""
    monkeypatch.setattr(jobs, "_last_nudge", 0.0)
    app.config.update(HUEY_BACKEND="redis",
                      REDIS_URL=os.environ.get("ALIGNBOARD_TEST_REDIS_URL",
                                               "redis://127.0.0.1:6379/15"),
                      HUEY_NAME=f"alignboard-test-{uuid.uuid4().hex[:8]}")
    make_rule(THANKS)
    with app.app_context():
        huey = tasks.huey_for(app)
        try:
            with database.atomic():
                for sid in range(1, 121):
                    events.publish("form.submitted", submission_id=sid, form_key="visit_log",
                                   version=1, person_id=org.rob.id, period_id=None, data={},
                                   submitted_at="2017-03-01T10:00:00")
            tasks.enqueue("rules.events")
            tasks.enqueue("rules.events")
            queued = [huey.dequeue(), huey.dequeue()]
            assert all(queued)
        finally:
            huey.storage.flush_all()
    errors = []

    def execute(task):
        try:
            with app.app_context():
                database.connect(reuse_if_open=True)
                huey.execute(task)
                database.close()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=execute, args=(t,)) for t in queued]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        claims = [c.event_id for c in RuleEventClaim.select()]
        assert len(claims) == len(set(claims)) == 120
        assert Notification.select().count() == 120


def test_alignboard_worker_process_fires_a_rule_within_seconds(app, org, make_rule, tmp_path,
                                                                monkeypatch):
    """The one `alignboard worker` (huey consumer) runs the rules: no second process."""
    monkeypatch.setattr(jobs, "_last_nudge", 0.0)
    queue = str(tmp_path / "queue.db")
    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=queue)
    make_rule(THANKS)
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], SECRET_KEY="test",
               ALIGNBOARD_INSTANCE_PATH=str(tmp_path / "worker"),
               ALIGNBOARD_HUEY_BACKEND="sqlite", ALIGNBOARD_HUEY_SQLITE_PATH=queue,
               ALIGNBOARD_LOAD_ENTRY_POINT_PLUGINS="false", ALIGNBOARD_LOG_LEVEL="WARNING")
    worker = subprocess.Popen([str(Path(sys.executable).parent / "alignboard"), "worker",
                               "--workers", "1", "--no-periodic"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with app.app_context():
            submit(org.rob)
            started = time.monotonic()
            # The timeout only guards a hang; the nudge runs about a second later.
            while time.monotonic() - started < 60:
                if Notification.select().exists():
                    break
                time.sleep(0.2)
            assert Notification.get().person_id == org.rob.id
    finally:
        stop(worker)
