"""``alignboard connections`` and ``alignboard sync``: list connections, run a sync now."""
import sys
import time

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


# Seconds between two count lines when the total is unknown and the output is not a
# terminal (a log file, cron mail): often enough to see the sync move, not one line a batch.
PROGRESS_EVERY = 2.0


def _is_terminal():
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def run_with_progress(connection, trigger="cli", full=False, echo=click.echo):
    """Run a sync showing its progress; return the run.

    With a total (csv, salesforce) a progress bar; without one (rest, dingtalk page until
    the source says there is no more) a running count of the rows read, rewritten in place
    on a terminal, or a line every PROGRESS_EVERY seconds otherwise.
    """
    from . import sync

    bar, shown = None, [0]
    tty = _is_terminal()
    counter = {"last": None, "open_line": False}

    def count(run):
        line = (f"syncing {connection.name}: {run.processed} rows read ({run.created} "
                f"created, {run.updated} updated, {run.unchanged} unchanged, {run.failed} "
                f"failed)")
        if tty:
            echo("\r" + line, nl=False)
            counter["open_line"] = True
            return
        now = time.monotonic()
        if counter["last"] is None or now - counter["last"] >= PROGRESS_EVERY:
            echo(line)
            counter["last"] = now

    def progress(run):
        nonlocal bar
        if bar is None and run.total:
            if counter["open_line"]:
                echo("")
                counter["open_line"] = False
            bar = click.progressbar(length=run.total, label=f"syncing {connection.name}",
                                    show_pos=True, show_percent=True)
            bar.__enter__()
        if bar is not None:
            bar.update(run.processed - shown[0])
            shown[0] = run.processed
        else:
            count(run)

    try:
        result = sync.run(connection, trigger=trigger, full=full, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        if counter["open_line"]:
            echo("")
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
