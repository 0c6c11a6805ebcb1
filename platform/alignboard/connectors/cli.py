"""``alignboard connections`` and ``alignboard sync``: list connections, run a sync now."""
import click
from flask.cli import with_appcontext

from ..db import database
from .models import Connection, SyncRun


def find(ref):
    """A connection by id or name; ClickException when there is none."""
    q = Connection.select()
    connection = (q.where(Connection.id == int(ref)).first() if str(ref).isdigit()
                  else q.where(Connection.name == ref).first())
    if connection is None:
        raise click.ClickException(f"no connection {ref!r}: see 'alignboard connections'")
    return connection


def run_with_progress(connection, trigger="cli", full=False, echo=click.echo):
    """Run a sync showing a progress bar; return the run."""
    from . import sync

    bar, shown = None, [0]

    def progress(run):
        nonlocal bar
        if bar is None and run.total:
            bar = click.progressbar(length=run.total, label=f"syncing {connection.name}",
                                    show_pos=True, show_percent=True)
            bar.__enter__()
        if bar is not None:
            bar.update(run.processed - shown[0])
            shown[0] = run.processed

    try:
        result = sync.run(connection, trigger=trigger, full=full, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    echo(f"{connection.name}: {result.status}: {result.created} created, {result.updated} "
         f"updated, {result.unchanged} unchanged, {result.failed} failed"
         + (f" ({result.message})" if result.message else ""))
    return result


@click.command("sync")
@click.argument("connection")
@click.option("--full", is_flag=True, help="ignore the cursor and read the source from the start")
@with_appcontext
def sync_command(connection, full):
    """Sync CONNECTION (id or name) now, with a progress bar."""
    from .sync import SyncBusy

    database.connect(reuse_if_open=True)
    try:
        result = run_with_progress(find(connection), full=full)
    except SyncBusy as exc:
        # Another run of this connection is live (a worker, the admin, a second shell):
        # that is an expected refusal, so say it in one line instead of a traceback.
        raise click.ClickException(f"{exc}; wait for it to finish, or see "
                                   "'alignboard connections'") from None
    for failure in result.failures.limit(20):
        click.echo(f"  {failure.row_ref or '-'} {failure.external_id or ''}: {failure.reason}",
                   err=True)
    if result.failed > 20:
        click.echo(f"  ... {result.failed - 20} more failed row(s): see the admin", err=True)
    if result.status != "succeeded":
        raise SystemExit(1)


@click.command("connections")
@with_appcontext
def connections_command():
    """List connections with their last run."""
    database.connect(reuse_if_open=True)
    rows = list(Connection.select().order_by(Connection.id))
    if not rows:
        click.echo("no connections: create one in the admin (Data -> Connections)")
    for c in rows:
        last = c.runs.order_by(SyncRun.id.desc()).first()
        state = (f"last run {last.status} {last.started_at:%Y-%m-%d %H:%M} UTC "
                 f"({last.created}+{last.updated} stored, {last.failed} failed)"
                 if last else "never run")
        every = f"every {c.schedule_minutes} min" if c.schedule_minutes else "on demand"
        click.echo(f"{c.id:>4}  {c.name:<30} {c.connector:<12} {every:<16} "
                   f"{'enabled' if c.enabled else 'disabled':<9} {state}")


COMMANDS = [sync_command, connections_command]
