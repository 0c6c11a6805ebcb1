"""Background jobs of the connectors: a sync on demand, the per-connection schedule, and the
recovery of syncs lost with their worker."""
import logging

from .. import tasks

log = logging.getLogger(__name__)


def queue(connection, trigger, full=False):
    """Hand a sync of ``connection`` to the worker; return its run, in the state "queued".

    The run exists before the worker starts it, so the admin shows it at once and can
    follow it; the worker's task starts that very run. In immediate mode (tests, tiny
    installs without a worker) the task runs inside this call, so the run returned is
    already finished. SyncBusy when a run of the connection is live or already queued.
    """
    from . import sync
    from .models import SyncRun

    run = sync.create_queued(connection, trigger, full=full)
    try:
        send(run)
    except Exception as exc:
        # The queue itself is unreachable (Redis down...): say so on the run, which would
        # otherwise wait for a task that does not exist, and to the caller.
        log.exception("run %s of connection %s could not be queued", run.id,
                      run.connection_id)
        SyncRun.update(status="failed", finished_at=sync.utcnow(),
                       message=f"could not be queued: {exc}").where(
            (SyncRun.id == run.id) & (SyncRun.status == "queued")).execute()
        raise sync.ConnectorError(f"the sync could not be queued: {exc}") from None
    return SyncRun.get_by_id(run.id)


def send(run):
    """Put the task that starts the queued ``run`` on the queue."""
    tasks.enqueue("connectors.sync", connection_id=run.connection_id, full=run.full,
                  trigger=run.trigger, run_id=run.id)


@tasks.task("connectors.sync")
def sync_connection(connection_id, full=False, trigger="schedule", run_id=None):
    """Run one connection's sync; ``run_id`` is the queued run to start (tasks queued by an
    older version carry none and create their run). Returns the run's id."""
    from . import sync
    from .models import Connection, SyncRun

    connection = Connection.get_or_none(Connection.id == connection_id)
    if connection is None:
        log.warning("sync of connection %s skipped: it no longer exists", connection_id)
        return None
    try:
        run = sync.run(connection, trigger=trigger, full=full, run_id=run_id)
    except sync.NotQueued as exc:
        # A duplicate of a task already run (the recovery queues a run again when it waited
        # too long, and the first task may turn up after all): nothing to do.
        log.info("%s", exc)
        return None
    except sync.SyncBusy as exc:
        log.info("%s", exc)
        if run_id is not None:
            # Another run started in between (say `alignboard sync` in a shell): this one
            # stays queued and tries again in a minute. Its heartbeat moves so that the
            # recovery does not take it for lost while it waits.
            SyncRun.update(heartbeat_at=sync.utcnow()).where(
                (SyncRun.id == run_id) & (SyncRun.status == "queued")).execute()
            tasks.enqueue_in(60, "connectors.sync", connection_id=connection_id, full=full,
                             trigger=trigger, run_id=run_id)
        return None
    return run.id


@tasks.schedule("connectors.due", minute="*")
def enqueue_due():
    """Every minute: resume or queue again the runs lost with a worker, then queue a sync
    for each connection whose interval has passed. Returns the names of the latter."""
    from . import sync

    for run in sync.recover():
        try:
            send(run)
        except Exception:
            # It stays queued; the recovery sends it again when it has waited too long.
            log.exception("run %s could not be queued again", run.id)
    names = []
    for connection in sync.due():
        try:
            queue(connection, trigger="schedule")
        except sync.SyncBusy as exc:
            # Still syncing, or a run already waits for the worker: that one will do.
            log.info("scheduled sync skipped: %s", exc)
            continue
        names.append(connection.name)
    return names
