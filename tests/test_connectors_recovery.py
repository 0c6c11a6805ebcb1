"""Syncs lost with their worker: the every-minute tick marks a run whose heartbeat stopped as
interrupted and queues a run that resumes from its cursor (at most 3 attempts per chain), and
queues again a run no worker ever started."""
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from alignboard import tasks
from alignboard.connectors import jobs, service, sync
from alignboard.connectors.models import Connection, SyncRun
from alignboard.db import utcnow
from alignboard.records.models import Record


class Killed(BaseException):
    """Stands for SIGKILL inside the test process: sync.run catches neither it nor its
    cleanup, so the run stays "running" and the open batch is rolled back."""


def _age(run_id, minutes=20):
    """Make a run's heartbeat look ``minutes`` old, as after a worker died that long ago."""
    SyncRun.update(heartbeat_at=utcnow() - timedelta(minutes=minutes)).where(
        SyncRun.id == run_id).execute()


def _kill_in_second_batch(app, connection_id, monkeypatch, trigger="admin"):
    from alignboard.records import store

    real, calls = store.upsert, []

    def upsert(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the first row of the second batch (batches of 2)
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "upsert", upsert)
    with app.app_context(), pytest.raises(Killed):
        sync.run(Connection.get_by_id(connection_id), trigger=trigger)
    monkeypatch.setattr(store, "upsert", real)
    with app.app_context():
        run = SyncRun.get()
        assert (run.status, run.created) == ("running", 2)
        return run.id


def test_stale_run_is_marked_interrupted_and_resumed_from_its_cursor(
        app, client, org, login, csv_connection, monkeypatch):
    app.config["HUEY_BACKEND"] = "immediate"  # the queued resume runs inside the tick
    lost = _kill_in_second_batch(app, csv_connection.id, monkeypatch)
    with app.app_context():
        assert jobs.enqueue_due() == []  # only due schedules are named; this is on demand
        assert SyncRun.get_by_id(lost).status == "running"  # its heartbeat is still fresh
        _age(lost)
        jobs.enqueue_due()
        old, resume = SyncRun.select().order_by(SyncRun.id)
        assert old.status == "interrupted" and old.finished_at is not None
        assert "stopped without finishing (worker killed?): no heartbeat for 600 s" \
            in old.message
        assert f"resumed from the last stored batch by run {resume.id} (attempt 2 of 3)" \
            in old.message
        assert (resume.trigger, resume.resume_of, resume.attempt) == ("admin", lost, 2)
        # It read the rows after the last stored batch only: nothing lost, nothing doubled.
        assert (resume.status, resume.created, resume.processed) == ("succeeded", 2, 2)
        assert sorted(r.external_id for r in Record.select()) == ["D1", "D2", "D3", "D4"]
        jobs.enqueue_due()  # a second tick finds nothing left to recover
        assert SyncRun.select().count() == 2
    login(org.admin)
    page = client.get(f"/admin/connections/{csv_connection.id}/runs").get_data(as_text=True)
    assert f'resumes run <a href="/admin/connections/runs/{lost}">{lost}</a>' in page
    assert "worker killed?" in page


def test_a_chain_is_resumed_at_most_three_times(app, org, csv_connection, monkeypatch):
    app.config["HUEY_BACKEND"] = "immediate"
    lost = _kill_in_second_batch(app, csv_connection.id, monkeypatch)
    with app.app_context():
        SyncRun.update(attempt=3, resume_of=lost - 1).where(SyncRun.id == lost).execute()
        _age(lost)
        jobs.enqueue_due()
        assert SyncRun.select().count() == 1  # no fourth attempt
        run = SyncRun.get()
        assert run.status == "interrupted"
        assert "not resumed: this was attempt 3 of 3. Start a sync by hand" in run.message
        assert Record.select().count() == 2
        # By hand it resumes from the cursor as ever.
        again = sync.run(Connection.get_by_id(csv_connection.id), trigger="admin")
        assert (again.status, again.created) == ("succeeded", 2)


def test_a_live_run_and_a_fresh_queued_run_are_left_alone(app, org, csv_connection):
    with app.app_context():
        c = Connection.get_by_id(csv_connection.id)
        queued = sync.create_queued(c, "admin")
        running = SyncRun.create(connection=c, trigger="schedule")
        assert sync.recover() == []
        assert [(r.id, r.status) for r in SyncRun.select().order_by(SyncRun.id)] == [
            (queued.id, "queued"), (running.id, "running")]


def test_a_queued_run_no_worker_started_is_queued_again_then_given_up(
        app, org, csv_connection, tmp_path):
    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=str(tmp_path / "q.db"))
    with app.app_context():
        huey = tasks.huey_for()
        queued = jobs.queue(Connection.get_by_id(csv_connection.id), "api", full=True)
        assert queued.status == "queued" and len(_syncs(huey)) == 1
        huey.storage.flush_all()  # the task is lost, as with a worker killed holding it
        _age(queued.id)
        jobs.enqueue_due()
        run = SyncRun.get_by_id(queued.id)
        assert (run.status, run.attempt) == ("queued", 2)
        assert "no worker started it within 600 s; queued again (attempt 2 of 3)" \
            in run.message
        assert utcnow() - run.heartbeat_at < timedelta(minutes=1)
        assert len(_syncs(huey)) == 1
        jobs.enqueue_due()
        assert len(_syncs(huey)) == 1  # not again at the next tick: it waited afresh
        task = huey.dequeue()
        assert task.args[1] == {"connection_id": csv_connection.id, "full": True,
                                "trigger": "api", "run_id": queued.id}
        huey.execute(task)
        run = SyncRun.get_by_id(queued.id)
        assert (run.status, run.created, run.attempt) == ("succeeded", 4, 2)
        assert SyncRun.select().count() == 1
        # A duplicate of that task (the first copy turning up late) does nothing.
        assert jobs.sync_connection(csv_connection.id, trigger="api", run_id=queued.id) \
            is None
        assert SyncRun.select().count() == 1

        waiting = sync.create_queued(Connection.get_by_id(csv_connection.id), "admin")
        SyncRun.update(attempt=3).where(SyncRun.id == waiting.id).execute()
        _age(waiting.id)
        jobs.enqueue_due()
        waiting = SyncRun.get_by_id(waiting.id)
        assert waiting.status == "interrupted", [t.args for t in huey.pending()]
        assert _syncs(huey) == []
        assert "no worker started it in 3 tries of 600 s each; is 'alignboard worker' " \
               "running?" in waiting.message
        huey.storage.flush_all()


def test_a_queued_run_behind_a_busy_worker_waits_and_is_run_when_its_turn_comes(
        app, org, csv_connection, tmp_path):
    """The audit's busy.py: every worker thread is busy with long syncs for more than three
    stale limits, so the task of a "Sync now" stays in the queue. The ticks must neither
    give the run up (its task would then do nothing when the worker reached it) nor stack
    copies of its task behind it."""
    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=str(tmp_path / "q.db"))
    with app.app_context():
        huey = tasks.huey_for()
        queued = jobs.queue(Connection.get_by_id(csv_connection.id), "admin")
        for _ in range(4):  # four ticks, each after another stale limit of waiting
            SyncRun.update(heartbeat_at=utcnow() - timedelta(seconds=601)).where(
                SyncRun.id == queued.id).execute()
            jobs.enqueue_due()
            run = SyncRun.get_by_id(queued.id)
            assert (run.status, run.attempt) == ("queued", 1)
            assert run.message == "waiting behind other tasks (the worker is busy; its " \
                                  "task is still in the queue)"
            assert utcnow() - run.heartbeat_at < timedelta(minutes=1)
            assert len(_syncs(huey)) == 1
        # The worker is free at last and reaches the task.
        huey.execute(_syncs(huey)[0])
        run = SyncRun.get_by_id(queued.id)
        assert (run.status, run.created) == ("succeeded", 4)
        assert "waiting" not in run.message
        assert SyncRun.select().count() == 1
        huey.storage.flush_all()


def test_a_late_task_of_a_run_the_recovery_gave_up_still_starts_it(
        app, org, csv_connection, tmp_path):
    """Belt and braces: a task that reaches the worker after the recovery gave its run up
    (read from the queue a moment before the recovery looked, say) starts the run, unless
    another run of the connection has come since."""
    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=str(tmp_path / "q.db"))
    with app.app_context():
        huey = tasks.huey_for()
        c = Connection.get_by_id(csv_connection.id)
        queued = jobs.queue(c, "admin")
        task = huey.dequeue()  # taken off the queue by a worker that is not yet running it
        assert task.args[1]["run_id"] == queued.id
        SyncRun.update(attempt=3).where(SyncRun.id == queued.id).execute()
        _age(queued.id)
        jobs.enqueue_due()
        assert SyncRun.get_by_id(queued.id).status == "interrupted"
        huey.execute(task)
        run = SyncRun.get_by_id(queued.id)
        assert (run.status, run.created, run.finished_at is not None) == ("succeeded", 4, True)
        assert run.message.startswith("started late: the recovery had given it up, but its "
                                      "task reached the worker after all")
        assert jobs.sync_connection(c.id, trigger="admin", run_id=queued.id) is None

        # Given up, then a later sync of the connection ran: the late task has nothing to do.
        gone = sync.create_queued(c, "admin")
        SyncRun.update(attempt=3).where(SyncRun.id == gone.id).execute()
        _age(gone.id)
        jobs.enqueue_due()
        assert SyncRun.get_by_id(gone.id).status == "interrupted"
        later = sync.run(Connection.get_by_id(c.id), trigger="manual")
        assert jobs.sync_connection(c.id, trigger="admin", run_id=gone.id) is None
        assert SyncRun.get_by_id(gone.id).status == "interrupted"
        assert SyncRun.select().count() == 3 and later.status == "succeeded"
        huey.storage.flush_all()


def _rest_connection(app, source, items, on_page=None):
    """A rest connection reading ``items`` two by two from the loopback source;
    ``on_page(n)`` runs in the source's thread before page n is answered."""
    def deals(req):
        page = int(req.query["page"])
        if on_page:
            on_page(page)
        return 200, {"data": items[(page - 1) * 2:page * 2]}

    source.route("GET", "/deals", deals)
    with app.app_context():
        return service.create("api", "rest", {"url": source.url + "/deals",
                                              "records_path": "data", "pagination": "page",
                                              "page_size": 2},
                              {"external_id": "id", "type": "deal",
                               "fields": [{"source": "amount", "target": "amount",
                                           "convert": "number"}]})


def test_a_live_run_taken_for_dead_stops_instead_of_coming_back_as_running(
        app, org, shipped, source):
    """A page slower than the stale limit: while the run waits for page 2, the tick (here in
    the source's thread, on its own database connection) takes it for dead, marks it
    interrupted and queues a resume. The live run must not write "running" back over that
    (nor store page 2 beside its resume): it stops at that batch, rolled back, and says so."""
    items = [{"id": f"R{i}", "amount": str(i)} for i in range(6)]
    resumes = []

    def tick_during(page):
        if page == 2 and not resumes:  # once: the resume's own page 2 is left alone
            with app.app_context():
                running = SyncRun.get(SyncRun.status == "running")
                _age(running.id)
                resumes.extend(sync.recover())
                assert SyncRun.get_by_id(running.id).status == "interrupted"

    c = _rest_connection(app, source, items, tick_during)
    with app.app_context():
        slow = sync.run(Connection.get_by_id(c.id), trigger="admin")
        [resume] = resumes
        stored = SyncRun.get_by_id(slow.id)
        assert (slow.status, stored.status) == ("interrupted", "interrupted")
        assert f"resumed from the last stored batch by run {resume.id}" in stored.message
        assert stored.message.endswith(
            "; it was still going (one batch took longer than the stale limit, 600 s) and "
            "stopped at its next batch without storing it")
        assert stored.processed == stored.created == 2  # page 2 was rolled back
        assert sorted(r.external_id for r in Record.select()) == ["R0", "R1"]
        assert Connection.get_by_id(c.id).cursor["position"] == 2
        done = jobs.sync_connection(c.id, trigger="admin", run_id=resume.id)
        done = SyncRun.get_by_id(done)
        assert (done.status, done.created) == ("succeeded", 4)
        assert SyncRun.get_by_id(slow.id).status == "interrupted"
        ids = [r.external_id for r in Record.select()]
        assert sorted(ids) == [f"R{i}" for i in range(6)] and len(ids) == len(set(ids))


@pytest.mark.skipif(os.environ.get("ALIGNBOARD_TEST_DB", "sqlite") != "postgres",
                    reason="SQLite serialises writers (BEGIN IMMEDIATE): no row locks to order")
def test_the_recovery_waits_for_an_open_batch_and_then_sees_its_heartbeat(
        app, org, csv_connection, monkeypatch):
    """PostgreSQL lock order. A batch must take the connection's row lock before it touches
    its run's row, as recover() does; a batch that locked the run first and the connection
    last could deadlock with a recovery that has the connection and wants the run. Here the
    recovery starts in the middle of a batch (with the run's heartbeat aged, as if that batch
    were slow): it must wait for the batch's lock, and once the batch commits it finds a
    fresh heartbeat and leaves the live run alone."""
    import threading

    from alignboard.db import database
    from alignboard.records import store

    real, calls, recovery = store.upsert, [], {}

    def recover_elsewhere(run_id):
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                recovery["pid"] = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
                _age(run_id)
                recovery["result"] = [r.id for r in sync.recover()]
            finally:
                database.close()

    def upsert(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # inside the second batch's transaction
            run_id = SyncRun.get(SyncRun.status == "running").id
            other = threading.Thread(target=recover_elsewhere, args=(run_id,))
            other.start()
            recovery["thread"] = other
            # Go on once the recovery is stuck behind this batch's locks (or done, which
            # is the failure this test is about).
            deadline = time.monotonic() + 30
            while other.is_alive() and time.monotonic() < deadline:
                if "pid" in recovery and database.execute_sql(
                        "SELECT cardinality(pg_blocking_pids(%s))",
                        (recovery["pid"],)).fetchone()[0]:
                    break
                time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "upsert", upsert)
    with app.app_context():
        run = sync.run(Connection.get_by_id(csv_connection.id), trigger="admin")
    recovery["thread"].join(30)
    assert recovery["result"] == []  # it waited, then saw the batch's fresh heartbeat
    with app.app_context():
        assert (run.status, run.created) == ("succeeded", 4)
        assert [(r.id, r.status) for r in SyncRun.select()] == [(run.id, "succeeded")]


def _syncs(huey):
    """The queued sync tasks (storing records also queues tasks of other areas)."""
    return [t for t in huey.pending() if t.args[0] == "connectors.sync"]


def _wait_for(predicate, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_sync_whose_worker_is_killed_is_resumed_by_the_next_worker(
        app, org, shipped, source, database_url, tmp_path):
    """A real `alignboard worker` is killed (SIGKILL) halfway through a queued sync of a
    slow loopback source; the tick marks the run interrupted and queues a resume, and a
    second worker reads the remaining pages only."""
    from fixtures.processes import stop

    items = [{"id": f"R{i}", "amount": str(i)} for i in range(20)]

    def deals(req):
        time.sleep(0.3)  # a slow source: the kill lands in the middle of the pull
        page = int(req.query["page"])
        return 200, {"data": items[(page - 1) * 2:page * 2]}

    source.route("GET", "/deals", deals)
    queue = str(tmp_path / "queue.db")
    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=queue)
    with app.app_context():
        c = service.create("api", "rest", {"url": source.url + "/deals",
                                           "records_path": "data", "pagination": "page",
                                           "page_size": 2},
                           {"external_id": "id", "type": "deal",
                            "fields": [{"source": "amount", "target": "amount",
                                        "convert": "number"}]})
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="test-secret",
               ALIGNBOARD_INSTANCE_PATH=str(tmp_path / "instance"),
               ALIGNBOARD_HUEY_BACKEND="sqlite", ALIGNBOARD_HUEY_SQLITE_PATH=queue,
               ALIGNBOARD_CONNECTOR_HTTP_BACKOFF="0",
               ALIGNBOARD_CONNECTOR_FILE_ROOTS=json.dumps([str(tmp_path)]))
    command = [os.path.join(os.path.dirname(sys.executable), "alignboard"), "worker",
               "--workers", "1", "--no-periodic"]

    def run_of(run_id):
        with app.app_context():
            return SyncRun.get_by_id(run_id)

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        with app.app_context():
            lost = jobs.queue(Connection.get_by_id(c.id), "admin").id
        _wait_for(lambda: run_of(lost).processed >= 6, what="the first worker to store "
                                                            "3 pages")
        first.kill()
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    killed = run_of(lost)
    assert killed.status == "running" and killed.processed < 20
    with app.app_context():
        pages_read = Connection.get_by_id(c.id).cursor["position"] - 1
        assert Record.select().count() == killed.processed == 2 * pages_read
        _age(lost)  # ten minutes on, the scheduler's tick:
        jobs.enqueue_due()
        resume = SyncRun.get(SyncRun.resume_of == lost)
        assert run_of(lost).status == "interrupted" and resume.status == "queued"
    hits_before = len(source.hits("/deals"))
    second = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        done = _wait_for(lambda: run_of(resume.id).status not in ("queued", "running")
                         and run_of(resume.id), what="the second worker to finish")
    finally:
        stop(second)
    assert (done.status, done.attempt, done.trigger) == ("succeeded", 2, "admin")
    assert done.created == 20 - killed.processed and done.updated == 0
    # The resume started at the page after the last stored one.
    first_page = int(source.hits("/deals")[hits_before].query["page"])
    assert first_page == pages_read + 1
    with app.app_context():
        ids = [r.external_id for r in Record.select()]
        assert len(ids) == len(set(ids)) == 20
