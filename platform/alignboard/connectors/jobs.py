"""Background jobs of the connectors: a sync on demand, and the per-connection schedule."""
import logging

from .. import tasks

log = logging.getLogger(__name__)


@tasks.task("connectors.sync")
def sync_connection(connection_id, full=False, trigger="schedule"):
    """Run one connection's sync; a run already in progress makes this one a no-op."""
    from . import sync
    from .models import Connection

    connection = Connection.get_or_none(Connection.id == connection_id)
    if connection is None:
        log.warning("sync of connection %s skipped: it no longer exists", connection_id)
        return None
    try:
        run = sync.run(connection, trigger=trigger, full=full)
    except sync.SyncBusy as exc:
        log.info("%s", exc)
        return None
    return run.id


@tasks.schedule("connectors.due", minute="*")
def enqueue_due():
    """Every minute: queue a sync for each connection whose interval has passed."""
    from . import sync

    names = []
    for connection in sync.due():
        tasks.enqueue("connectors.sync", connection_id=connection.id, trigger="schedule")
        names.append(connection.name)
    return names
