"""The task queue: background jobs and schedules, run by ``alignboard worker``.

Built on huey. The backend comes from the settings:

- ``ALIGNBOARD_HUEY_BACKEND=sqlite`` (default): ``SqliteHuey`` in ``<instance>/huey.db``,
  enough for one machine;
- ``redis`` (or just set ``ALIGNBOARD_REDIS_URL``): ``RedisHuey`` for workers on several
  machines;
- ``immediate``: tasks run at once in the caller (tests, tiny installs without a worker).

A small API keeps huey out of the areas' code::

    from alignboard import tasks

    @tasks.task("connectors.sync")
    def sync_connection(connection_id, full=False): ...

    tasks.enqueue("connectors.sync", connection_id=3)

    @tasks.schedule("rules.weekly_reports", day_of_week="5", hour="14", minute="0")
    def weekly_reports(): ...

Tasks are looked up by name when they run, so a queued task survives a code reload, and
arguments must be JSON-like values (ids, not model objects). Each task runs inside an app
context with its own database connection.

Schedules use crontab fields (huey's syntax) evaluated in the platform's time zone
(``ALIGNBOARD_TIMEZONE``, default Asia/Shanghai), decided here once: huey's own crontab
would read UTC, so "hour=14" would be 22:00 in Beijing. One huey periodic task fires every
minute and enqueues the schedules due in that minute; run the scheduler in one worker only
(``alignboard worker --no-periodic`` for the others).
"""
import logging
import os
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

log = logging.getLogger(__name__)

_tasks = {}       # name -> function
_schedules = {}   # name -> (crontab test, function)
_instances = {}   # (backend, location) -> Huey
_lock = threading.Lock()
_worker_app = None


def task(name):
    """Register ``fn`` as the task ``name`` (a decorator). Returns ``fn`` unchanged."""
    def register(fn):
        _tasks[name] = fn
        return fn
    return register


def schedule(name, minute="*", hour="*", day="*", month="*", day_of_week="*"):
    """Register ``fn`` to run when the crontab fields match, in the platform's time zone.

    ``day_of_week``: 0 = Sunday ... 6 = Saturday. ``minute="*/5"`` runs every 5 minutes.
    """
    from huey import crontab

    test = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)

    def register(fn):
        _tasks[name] = fn
        _schedules[name] = (test, fn)
        return fn
    return register


def registered():
    """Names of registered tasks and of the scheduled ones."""
    return sorted(_tasks), sorted(_schedules)


def _settings(app):
    backend = (app.config.get("HUEY_BACKEND") or "").lower()
    redis_url = app.config.get("REDIS_URL")
    if not backend:
        backend = "redis" if redis_url else "sqlite"
    if backend not in ("sqlite", "redis", "immediate"):
        raise ValueError(f"ALIGNBOARD_HUEY_BACKEND={backend!r}: use sqlite, redis or immediate")
    if backend == "redis" and not redis_url:
        raise ValueError("ALIGNBOARD_HUEY_BACKEND=redis needs ALIGNBOARD_REDIS_URL "
                         "(redis://host:6379/0)")
    location = redis_url if backend == "redis" else (
        app.config.get("HUEY_SQLITE_PATH") or os.path.join(app.instance_path, "huey.db"))
    return backend, location


def huey_for(app=None):
    """The huey instance the app's settings name (one per backend, location and name).

    ``ALIGNBOARD_HUEY_NAME`` (default "alignboard") names the queue, so several
    installations can share one Redis.
    """
    app = app or current_app._get_current_object()
    backend, location = _settings(app)
    name = app.config.get("HUEY_NAME") or "alignboard"
    with _lock:
        huey = _instances.get((backend, location, name))
        if huey is None:
            huey = _make(backend, location, name)
            _instances[(backend, location, name)] = huey
    return huey


def _make(backend, location, name="alignboard"):
    from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

    # utc=True: huey stores and compares times in UTC; our schedules convert to local time
    # themselves (see due()), so nothing depends on the server's TZ.
    if backend == "redis":
        huey = RedisHuey(name, url=location, utc=True)
    elif backend == "immediate":
        huey = MemoryHuey(name, immediate=True, utc=True)
    else:
        huey = SqliteHuey(name, filename=location, utc=True)

    @huey.task(name="alignboard.dispatch")
    def dispatch(name, kwargs):
        return _run(name, kwargs)

    @huey.periodic_task(crontab(minute="*"), name="alignboard.tick")
    def tick():
        return _run_due()

    huey.alignboard_dispatch = dispatch
    return huey


def enqueue(name, **kwargs):
    """Queue the task ``name`` with ``kwargs``; in immediate mode it runs now."""
    if name not in _tasks:
        raise KeyError(f"no task named {name!r}; registered: {', '.join(sorted(_tasks))}")
    return huey_for().alignboard_dispatch(name, kwargs)


def enqueue_in(seconds, name, **kwargs):
    """Queue the task ``name`` to run ``seconds`` from now (not before)."""
    if name not in _tasks:
        raise KeyError(f"no task named {name!r}; registered: {', '.join(sorted(_tasks))}")
    return huey_for().alignboard_dispatch.schedule(args=(name, kwargs), delay=seconds)


def _app():
    global _worker_app
    if has_app_context():
        return None
    if _worker_app is None:
        from .app import create_app
        _worker_app = create_app()
    return _worker_app


def _run(name, kwargs):
    fn = _tasks.get(name)
    if fn is None:
        log.error("task %r is not registered in this worker; dropped", name)
        return None
    app = _app()
    if app is None:
        return fn(**kwargs)
    from .db import database
    with app.app_context():
        database.connect(reuse_if_open=True)
        try:
            return fn(**kwargs)
        finally:
            if not database.is_closed():
                database.close()


def local_now(app=None, now=None):
    """Now (or ``now``, a naive UTC datetime) as naive local time of ALIGNBOARD_TIMEZONE."""
    app = app or _app() or current_app
    zone = ZoneInfo(app.config.get("TIMEZONE", "UTC"))
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    return now.replace(tzinfo=timezone.utc).astimezone(zone).replace(tzinfo=None)


def due(now=None, app=None):
    """Names of the schedules due at ``now`` (naive UTC; default: this minute)."""
    local = local_now(app, now)
    return [name for name, (test, _) in sorted(_schedules.items()) if test(local)]


def _run_due():
    names = due()
    for name in names:
        log.info("schedule %s is due", name)
        if (app := _app()) is not None:
            with app.app_context():
                enqueue(name)
        else:
            enqueue(name)
    return names


def run_worker(app, workers=2, periodic=True):
    """Run a huey consumer for ``app`` until interrupted (``alignboard worker``)."""
    global _worker_app
    _worker_app = app
    huey = huey_for(app)
    if huey.immediate:
        raise ValueError("ALIGNBOARD_HUEY_BACKEND=immediate runs tasks in the caller; a "
                         "worker has nothing to do")
    log.info("worker: %d thread(s), scheduler %s, tasks %s", workers,
             "on" if periodic else "off", ", ".join(sorted(_tasks)))
    consumer = huey.create_consumer(workers=workers, worker_type="thread",
                                    periodic=periodic, check_worker_health=True)
    consumer.run()
