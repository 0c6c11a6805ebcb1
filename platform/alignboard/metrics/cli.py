"""``alignboard metrics rebuild`` and ``alignboard metrics demo``."""
import click
from flask.cli import with_appcontext

from ..db import database


@click.group()
def metrics():
    """Metric values: rebuild them, install the demo metrics."""


@metrics.command()
@click.option("--metric", "keys", multiple=True, help="only this metric key (repeatable)")
@click.option("--quiet-events", is_flag=True,
              help="do not publish metric.colour_changed for changes the rebuild finds")
@with_appcontext
def rebuild(keys, quiet_events):
    """Recompute every metric value from the records and submissions."""
    from .models import Metric
    from .rebuild import rebuild as run

    database.connect(reuse_if_open=True)
    unknown = [k for k in keys if not Metric.select().where(Metric.key == k).exists()]
    if unknown:
        raise click.ClickException(f"unknown metric {unknown[0]!r}")
    summary = run(set(keys) if keys else None, publish=not quiet_events)
    click.echo(f"{summary['metrics']} metric(s), {summary['keys']} key(s) computed, "
               f"{summary['changed']} changed, {summary['values']} value(s) stored, "
               f"{summary['seconds']:.2f}s")


@metrics.command()
@click.option("--collection-amount", default=5000.0, show_default=True, type=float,
              help="won deals above this amount count as collections")
@with_appcontext
def demo(collection_amount):
    """Install the demo metrics, targets and colour rules (after 'alignboard demo' and the
    CRM deals are loaded)."""
    from ..goals import demo as goals_demo
    from . import demo as metrics_demo

    database.connect(reuse_if_open=True)
    try:
        summary = metrics_demo.install(collection_amount=collection_amount, echo=click.echo)
        goals_demo.install(echo=click.echo)
    except metrics_demo.DemoError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"metrics demo installed: {summary}")
