"""``alignboard rules ...``: load, export, backtest, worker."""
import json
import sys
from datetime import date

import click
from flask.cli import AppGroup

from ..db import database

rules_cli = AppGroup("rules", help="Trigger rules: load, export, backtest, run the worker.")


def _connect():
    from ..migrations import is_current

    database.connect(reuse_if_open=True)
    if not is_current(database.obj):
        raise click.ClickException("the database is not initialised: run 'alignboard init'")


def _date(value, name):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2017-03-31", param_hint=name)


def _load(path):
    from .yamlio import RuleFileError, load

    _connect()
    try:
        rules = load(path)
    except RuleFileError as exc:
        for source, message in exc.errors.items():
            click.echo(f"{source}: {message}", err=True)
        click.echo("nothing was stored", err=True)
        sys.exit(1)
    for rule in rules:
        click.echo(f"{rule.key} v{rule.version} ({'enabled' if rule.enabled else 'disabled'})")


@rules_cli.command("load")
@click.argument("path", type=click.Path(exists=True))
def load_cmd(path):
    """Load rules from a YAML file or a directory of them (all or nothing)."""
    _load(path)


@rules_cli.command("load-templates")
def load_templates():
    """Load the seed rules shipped in the top-level rules/ folder."""
    from .yamlio import templates_dir

    _load(templates_dir())


@rules_cli.command("export")
@click.option("--out", type=click.Path(file_okay=False), help="write one file per rule here")
@click.argument("keys", nargs=-1)
def export_cmd(out, keys):
    """Print the rules (or KEYS) as YAML, or write them into --out."""
    from .models import Rule
    from .yamlio import dump, export_dir

    _connect()
    q = Rule.select().order_by(Rule.key)
    if keys:
        q = q.where(Rule.key.in_(keys))
    rules = list(q)
    if out:
        for path in export_dir(rules, out):
            click.echo(str(path))
    else:
        click.echo(dump(rules), nl=False)


@rules_cli.command("backtest")
@click.argument("rule")
@click.option("--from", "start", required=True, help="first day, YYYY-MM-DD")
@click.option("--to", "end", required=True, help="last day, YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line per firing")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="print at most this many firings (default 1000; 0: all)")
def backtest_cmd(rule, start, end, as_json, limit):
    """Replay history through RULE and print what would have fired; sends nothing."""
    from .backtest import DEFAULT_LIMIT, backtest
    from .models import Rule

    _connect()
    found = Rule.get_or_none(Rule.key == rule)
    if found is None:
        raise click.ClickException(f"no rule {rule!r}")
    start_d, end_d = _date(start, "--from"), _date(end, "--to")
    if end_d < start_d:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    result = backtest(found, start_d, end_d,
                      limit=DEFAULT_LIMIT if limit is None else (limit or None))
    firings, problems = result
    for f in firings:
        if as_json:
            click.echo(json.dumps({k: f[k] for k in ("rule", "subject", "at", "recipients",
                                                      "facts", "actions")},
                                  ensure_ascii=False, sort_keys=True))
        else:
            click.echo(f"{f['at']}  {f['subject']}  -> {', '.join(f['recipients']) or '-'}")
    for p in problems:
        click.echo(f"problem: {p}", err=True)
    if not as_json:
        click.echo(f"{len(firings)} firing(s)")
    if result.truncated:
        # On stderr: with --json, stdout stays one JSON object per line.
        hint = "--limit 0 prints them all" if result.complete else "replay a shorter range"
        click.echo(f"{result.summary()}; {hint}", err=True)


@rules_cli.command("worker")
@click.option("--once", is_flag=True, help="one pass (events, schedules, deliveries), then exit")
@click.option("--interval", default=1.0, show_default=True, help="seconds to wait when idle")
def worker_cmd(once, interval):
    """Run the rule worker: outbox events, schedules and absence windows, deliveries."""
    from . import worker

    _connect()
    if once:
        stats = worker.run_once()
        click.echo(json.dumps(stats, sort_keys=True))
        return
    worker.run_forever(interval)
