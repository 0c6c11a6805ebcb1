"""The worker: outbox events claimed in the database, so two workers (threads or real
processes) never process the same event; publishing never runs a rule."""
import os
import subprocess
import sys
import threading
from pathlib import Path

from alignboard import events
from alignboard.db import database
from alignboard.notify.models import Delivery
from alignboard.rules import worker
from alignboard.rules.models import RuleEventClaim, RuleFiring

EVERY_SUBMISSION = {"key": "thanks", "name": "Thanks",
                    "trigger": {"type": "event", "event": "form.submitted"},
                    "actions": [{"channel": "inbox", "to": ["subject"], "title": "Thanks"}]}


def publish_submissions(person, n):
    with database.atomic():
        for sid in range(1, n + 1):
            events.publish("form.submitted", submission_id=sid, form_key="visit_log",
                           version=1, person_id=person.id, period_id=None, data={},
                           submitted_at="2017-03-01T10:00:00")


def assert_each_event_processed_once(n):
    claims = [c.event_id for c in RuleEventClaim.select()]
    assert len(claims) == len(set(claims)) == n
    firings = [f.subject_key for f in RuleFiring.select()]
    assert len(firings) == len(set(firings)) == n
    assert Delivery.select().count() == n


def test_publishing_only_writes_the_outbox(app, org, make_rule):
    make_rule(EVERY_SUBMISSION)
    with app.app_context():
        publish_submissions(org.rob, 3)
        assert RuleFiring.select().count() == 0
        assert len(worker.unclaimed_events()) == 3
        assert worker.process_events() == 3 and worker.unclaimed_events() == []


def test_two_worker_threads_never_process_the_same_event(app, org, make_rule):
    make_rule(EVERY_SUBMISSION)
    with app.app_context():
        publish_submissions(org.rob, 150)
    done, errors = {}, []

    def run(name):
        try:
            with app.app_context():
                database.connect(reuse_if_open=True)
                total = 0
                while True:
                    n = worker.process_events(limit=20, name=name)
                    total += n
                    if not n and not worker.unclaimed_events(1):
                        break
                done[name] = total
                database.close()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(done.values()) == 150
    with app.app_context():
        assert_each_event_processed_once(150)


def test_two_worker_processes_never_process_the_same_event(app, org, make_rule, tmp_path):
    make_rule(EVERY_SUBMISSION)
    with app.app_context():
        publish_submissions(org.rob, 300)
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], SECRET_KEY="test",
               ALIGNBOARD_INSTANCE_PATH=str(tmp_path / "worker"),
               ALIGNBOARD_LOAD_ENTRY_POINT_PLUGINS="false", ALIGNBOARD_LOG_LEVEL="WARNING")
    command = [str(Path(sys.executable).parent / "alignboard"), "rules", "worker", "--once"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    # A third pass takes whatever a busy SQLite lock left unclaimed.
    with app.app_context():
        worker.process_events(limit=1000)
        assert_each_event_processed_once(300)
