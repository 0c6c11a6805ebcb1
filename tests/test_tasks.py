"""The task queue: named tasks, enqueue, schedules in the platform's time zone, backends."""
from datetime import datetime

import pytest

from alignboard import tasks


@pytest.fixture(autouse=True)
def _registry(app, monkeypatch):
    # Tasks registered by a test must not outlive it.
    monkeypatch.setattr(tasks, "_tasks", dict(tasks._tasks))
    monkeypatch.setattr(tasks, "_schedules", dict(tasks._schedules))


def test_enqueued_task_runs_in_immediate_mode_with_the_app(app):
    seen = []
    tasks.task("test.echo")(lambda value: seen.append(value) or value)
    app.config["HUEY_BACKEND"] = "immediate"
    with app.app_context():
        result = tasks.enqueue("test.echo", value=42)
    assert seen == [42] and result() == 42


def test_unknown_task_name_is_refused(app):
    with app.app_context(), pytest.raises(KeyError, match="no task named 'nope'"):
        tasks.enqueue("nope")


def test_schedule_is_evaluated_in_the_platform_time_zone(app):
    tasks.schedule("test.friday_report", day_of_week="5", hour="14", minute="0")(lambda: None)
    app.config["TIMEZONE"] = "Asia/Shanghai"
    with app.app_context():
        # 06:00 UTC on Friday 2026-11-27 is 14:00 in Beijing.
        assert "test.friday_report" in tasks.due(datetime(2026, 11, 27, 6, 0))
        assert "test.friday_report" not in tasks.due(datetime(2026, 11, 27, 14, 0))
        assert "connectors.due" in tasks.due(datetime(2026, 11, 27, 14, 0))


def test_backend_follows_the_settings(app, tmp_path):
    from huey import RedisHuey, SqliteHuey

    app.config.update(HUEY_BACKEND="", HUEY_SQLITE_PATH=str(tmp_path / "q.db"))
    assert isinstance(tasks.huey_for(app), SqliteHuey)
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/15")
    assert isinstance(tasks.huey_for(app), RedisHuey)
    app.config.update(HUEY_BACKEND="redis", REDIS_URL=None)
    with pytest.raises(ValueError, match="needs ALIGNBOARD_REDIS_URL"):
        tasks.huey_for(app)


def test_queued_sync_runs_when_a_sqlite_worker_executes_it(app, org, csv_connection, tmp_path):
    """The task goes through a real SqliteHuey queue and is executed as a worker would."""
    from alignboard.connectors.models import SyncRun

    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=str(tmp_path / "q.db"))
    with app.app_context():
        tasks.enqueue("connectors.sync", connection_id=csv_connection.id, trigger="api")
        huey = tasks.huey_for(app)
        assert huey.pending_count() == 1
        queued = huey.dequeue()
        huey.execute(queued)
        run = SyncRun.get()
    assert (run.trigger, run.status, run.created) == ("api", "succeeded", 4)


def test_due_schedule_queues_a_sync_per_due_connection(app, org, csv_connection):
    from alignboard.connectors import jobs
    from alignboard.connectors.models import Connection, SyncRun

    app.config["HUEY_BACKEND"] = "immediate"
    with app.app_context():
        Connection.update(schedule_minutes=5).execute()
        assert jobs.enqueue_due() == ["deals"]
        assert SyncRun.get().trigger == "schedule"
        assert jobs.enqueue_due() == []  # it just ran: not due for 5 minutes


def test_redis_backend_carries_a_queued_sync(app, org, csv_connection):
    """Against the Redis server CI runs; a queue name of its own keeps other runs apart."""
    import uuid

    from alignboard.connectors.models import SyncRun

    app.config.update(HUEY_BACKEND="redis", REDIS_URL="redis://127.0.0.1:6379/0",
                      HUEY_NAME=f"alignboard-test-{uuid.uuid4().hex[:8]}")
    with app.app_context():
        huey = tasks.huey_for(app)
        try:
            tasks.enqueue("connectors.sync", connection_id=csv_connection.id, trigger="api")
            assert huey.pending_count() == 1
            huey.execute(huey.dequeue())
            assert SyncRun.get().created == 4
        finally:
            huey.storage.flush_all()


def test_alignboard_worker_process_runs_a_queued_sync(app, org, csv_connection, database_url,
                                                      tmp_path):
    """A real `alignboard worker` process takes the task from the SQLite queue."""
    import json
    import os
    import subprocess
    import sys

    from fixtures.processes import stop

    from alignboard.connectors.models import SyncRun

    queue = str(tmp_path / "queue.db")
    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=queue)
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="test-secret",
               ALIGNBOARD_INSTANCE_PATH=str(tmp_path / "instance"),
               ALIGNBOARD_HUEY_BACKEND="sqlite", ALIGNBOARD_HUEY_SQLITE_PATH=queue,
               ALIGNBOARD_CONNECTOR_FILE_ROOTS=json.dumps([str(tmp_path)]))
    worker = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "alignboard"),
                               "worker", "--workers", "1", "--no-periodic"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with app.app_context():
            result = tasks.enqueue("connectors.sync", connection_id=csv_connection.id,
                                   trigger="api")
            # Blocks until the worker has run the task (the timeout only guards a hang).
            run_id = result.get(blocking=True, timeout=60)
            run = SyncRun.get_by_id(run_id)
        assert (run.trigger, run.status, run.created) == ("api", "succeeded", 4)
    finally:
        stop(worker)
