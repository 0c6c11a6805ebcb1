"""``alignboard forms ...``: export, import and the shipped templates."""
import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..db import database
from .definition import DefinitionError

forms_cli = AppGroup("forms", help="Form definitions: export, import, load the templates.")


def templates_dir():
    """The repository's top-level ``forms/`` folder (found relative to the source
    checkout: platform/alignboard/forms -> ../../../forms)."""
    return Path(__file__).resolve().parents[3] / "forms"


def _connect():
    from ..migrations import is_current

    database.connect(reuse_if_open=True)
    if not is_current(database.obj):
        raise click.ClickException("the database is not initialised or not up to date: run "
                                   "'alignboard init'")


def _report_error(exc, source):
    click.echo(f"{source}: the definition is not valid; nothing was stored", err=True)
    for where, messages in exc.errors.items():
        for m in messages:
            click.echo(f"  {where}: {m}", err=True)


@forms_cli.command("list")
def list_forms():
    """List the forms with their current version."""
    from .models import Form

    _connect()
    for form in Form.select().order_by(Form.key):
        v = form.current_version
        click.echo(f"{form.key}\tv{v.version if v else '-'}\t{form.title}")


@forms_cli.command("export")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="write to this file instead of standard output")
def export_form(key, fmt, output):
    """Print the current definition of form KEY as YAML or JSON."""
    from . import store
    from .models import Form

    _connect()
    form = Form.get_or_none(Form.key == key)
    if form is None:
        raise click.ClickException(f"no form {key!r}; 'alignboard forms list' shows them")
    text = store.dumps(form.definition, fmt)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@forms_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True,
                                                                   dir_okay=False))
def import_forms(paths):
    """Create or update forms from YAML/JSON definition files (all or nothing per file)."""
    failed = _import_files([Path(p) for p in paths])
    if failed:
        sys.exit(1)


@forms_cli.command("load-templates")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False),
              help="a folder of *.yaml definitions (default: the repository's forms/)")
def load_templates(directory):
    """Load every YAML template of the repository's forms/ folder."""
    folder = Path(directory) if directory else templates_dir()
    if not folder.is_dir():
        raise click.ClickException(f"no templates folder at {folder}: pass --dir")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise click.ClickException(f"no *.yaml files in {folder}")
    if _import_files(files):
        sys.exit(1)


def _import_files(files):
    from . import store

    _connect()
    failed = 0
    for path in files:
        try:
            form, version, created = store.import_text(path.read_bytes(), path.name)
        except DefinitionError as exc:
            _report_error(exc, os.fspath(path))
            failed += 1
            continue
        verb = "created" if created else "updated"
        click.echo(f"{form.key}: {verb} (version {version.version}) from {path.name}")
    return failed
