"""The ``alignboard`` command: ``init``, ``demo``, ``token``, ``serve``, imports, periods.

It is a Flask CLI group, so ``alignboard run``, ``alignboard shell`` and ``alignboard
routes`` work too. The database is the one ``DATABASE_URL`` names, as for the web app.
"""
import secrets
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .db import database


def _create_app():
    from .app import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """Alignboard: sales and HR goal alignment."""


def init_app(app):
    """Put the core commands on ``app.cli``; areas add their own groups the same way."""
    for command in (init, demo, token, serve, import_people, import_units, periods):
        app.cli.add_command(command)


def _connect():
    database.connect(reuse_if_open=True)


@click.command()
@click.option("--admin-login", default="admin", show_default=True)
@click.option("--admin-password", help="default: generated and printed once")
@click.option("--no-admin", is_flag=True, help="only create or migrate the database")
@with_appcontext
def init(admin_login, admin_password, no_admin):
    """Create the database or migrate it to this version; create an admin."""
    from .migrations import upgrade
    from .org.models import Person, Role

    _connect()
    done = upgrade(database.obj)
    click.echo(f"database: {current_app.config['DATABASE_URL'].split('@')[-1]} "
               f"({len(done)} migration(s) applied)")
    if no_admin:
        return
    if Person.select().join(Role).where(Role.key == "admin").exists():
        click.echo("an admin exists already")
        return
    password = admin_password or secrets.token_urlsafe(12)
    admin = Person(login=admin_login, name="Administrator", role=Role.get(Role.key == "admin"))
    admin.set_password(password)
    admin.save()
    click.echo(f"admin created: login {admin_login!r}, password {password!r}")


@click.command()
@click.option("--password", default=None, help="password for every demo user")
@with_appcontext
def demo(password):
    """Load the demo company (the CRM sample) with its users."""
    from . import demo as demo_data
    from .migrations import is_current

    _connect()
    if not is_current(database.obj):
        raise click.ClickException("the database is not initialised: run 'alignboard init'")
    from .connectors.cli import run_with_progress

    password = password or demo_data.DEMO_PASSWORD
    try:
        demo_data.load(password, echo=click.echo,
                       runner=lambda c: run_with_progress(c, trigger="demo"))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("")
    click.echo("Demo logins (password for all: %s):" % password)
    click.echo("  hr, exec, admin; managers such as dustin.brinkmann; reps such as "
               "anna.snelling")


@click.command()
@click.argument("login")
@click.option("--name", default="cli", help="a label to recognise the token by")
@with_appcontext
def token(login, name):
    """Print a new API token for LOGIN (and nothing else on stdout)."""
    from .auth.models import ApiToken
    from .org.models import Person

    _connect()
    person = Person.get_or_none(Person.login == login)
    if person is None or not person.active:
        raise click.ClickException(f"no active person with login {login!r}")
    _, secret = ApiToken.issue(person, name)
    click.echo(secret)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
# A port outside 1..65535 is a usage error: the socket layer would otherwise take it
# modulo 65536 and quietly listen somewhere else (99999 -> 34463).
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def serve(host, port):
    """Serve the app (development server; use gunicorn wsgi:app in production)."""
    from werkzeug.serving import run_simple

    from .app import create_app

    # Flask ignores app.run() inside its own CLI, so the server is started directly.
    run_simple(host, port, create_app(), threaded=True, use_reloader=False)


def _import(kind, path, dry_run):
    from .org import importer

    _connect()
    fn = importer.import_people if kind == "people" else importer.import_units
    with open(path, "rb") as f:
        report = fn(f.read(), path, dry_run=dry_run)
    for e in report.errors:
        where = f"row {e['row']}" if e["row"] else "file"
        col = f", column {e['column']}" if e["column"] else ""
        click.echo(f"{where}{col}: {e['message']}", err=True)
    if not report.ok:
        click.echo("nothing was written", err=True)
        sys.exit(1)
    verb = "would create" if dry_run else "created"
    click.echo(f"{kind}: {verb} {len(report.created)}, "
               f"{'would update' if dry_run else 'updated'} {len(report.updated)}")
    if dry_run and report.sample:
        # The names as read, to spot a file in an encoding that read as nonsense.
        click.echo("first rows as read:")
        for key, name in report.sample:
            click.echo(f"  {key}: {name}")


@click.command("import-people")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check and report; write nothing")
@with_appcontext
def import_people(path, dry_run):
    """Import people from CSV/XLSX (login,name,email,unit,manager,role,...)."""
    _import("people", path, dry_run)


@click.command("import-units")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="check and report; write nothing")
@with_appcontext
def import_units(path, dry_run):
    """Import units from CSV/XLSX (code,name,kind,parent,leader)."""
    _import("units", path, dry_run)


@click.command()
# The calendar (datetime) ends in 9999 and a year's ISO weeks reach into the next one;
# years before 1900 are surely a typo. A year outside is a usage error, not a traceback.
@click.argument("years", nargs=-1, type=click.IntRange(1900, 9998), required=True)
@with_appcontext
def periods(years):
    """Create the years, quarters, months and ISO weeks of YEARS (1900 to 9998)."""
    from .org import periods as p

    _connect()
    for year in years:
        skipped = []
        click.echo(f"{year}: {p.generate(year, skipped)} period(s) created")
        for name, clash in skipped:
            click.echo(f"  {name} skipped: it overlaps {clash.kind} {clash.name} "
                       f"({clash.start} to {clash.end})")


@main.command("plugins")
@with_appcontext
def plugins_command():
    """List plugins: name, version, hooks, status (and why a failed one failed)."""
    from . import plugins

    rows = plugins.current().list()
    width = max([len(p.name) + (11 if p.builtin else 0) for p in rows] + [4]) + 2
    click.echo(f"{'name':<{width}} {'version':<9} {'status':<9} hooks")
    for p in rows:
        name = p.name + (" (built in)" if p.builtin else "")
        click.echo(f"{name:<{width}} {p.version or '-':<9} {p.status:<9} {', '.join(p.hooks)}")
        if p.error:
            click.echo(f"    {p.error.splitlines()[0]}", err=True)


@main.command()
@click.option("--workers", default=2, show_default=True, help="worker threads")
@click.option("--no-periodic", is_flag=True,
              help="do not run the scheduler (run it in exactly one worker)")
@with_appcontext
def worker(workers, no_periodic):
    """Run the task queue worker: queued syncs, schedules and the rules (huey consumer)."""
    from . import tasks

    try:
        tasks.run_worker(current_app._get_current_object(), workers=workers,
                         periodic=not no_periodic)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
