"""The demo metrics on the CRM sample: "won value" and "collections" per rep, team, office and
company, per week and quarter; quarterly and weekly targets for each rep, team, office and the
company; colour rules.

``install()`` is called by ``alignboard demo`` once the deals are loaded through the csv
connector, and by ``alignboard metrics demo`` to refresh it (for instance with another
collection amount).
"""
import logging
import math
from collections import defaultdict
from datetime import datetime

from ..db import database
from ..org.models import Period, Person, Role, Unit
from ..records.models import Record
from . import definitions
from .models import Metric, Target
from .rebuild import rebuild

log = logging.getLogger(__name__)

COLLECTION_AMOUNT = 5000.0
WON = [{"field": "stage", "op": "eq", "value": "won"}]
PACE_STREAK_BANDS = [
    dict(colour="green", lower=100, upper=None, consecutive=1, label="on or ahead of plan"),
    dict(colour="amber", lower=None, upper=100, consecutive=1, label="behind plan"),
    dict(colour="red", lower=None, upper=85, consecutive=2,
         label="more than 15% behind plan two periods in a row"),
]
COLLECTION_BANDS = [
    dict(colour="green", lower=3, upper=None, label="3 or more"),
    dict(colour="amber", lower=1, upper=3, label="1 or 2"),
    dict(colour="red", lower=None, upper=1, label="none"),
]


class DemoError(RuntimeError):
    """The database is not ready for the demo metrics; the message says what to run."""


def _save(data, filters, bands, basis):
    existing = Metric.get_or_none(Metric.key == data["key"])
    return definitions.save(data, filters, metric=existing,
                            colour_rule={"basis": basis, "bands": bands})


def install(collection_amount=COLLECTION_AMOUNT, echo=print):
    """Create (or refresh) the demo metrics, targets and colour rules; return a summary."""
    if not Person.select().join(Role).where(Role.key == "rep").exists():
        raise DemoError("no reps: run 'alignboard demo' first")
    if not Period.select().where(Period.kind == "quarter").exists():
        raise DemoError("no periods: run 'alignboard periods 2016 2017' first")
    if not Record.select().where(Record.type.in_(["deal", "collection"])).exists():
        raise DemoError("no deals: run 'alignboard demo' first (it loads the CRM sample "
                        "through the csv connector)")
    with database.atomic():
        won = _save(dict(key="won_value", name="Won value", kind="aggregate", source="records",
                         record_types="deal,collection", aggregation="sum", field="amount",
                         window="period", period_kinds="week,quarter", by_person=True,
                         by_unit=True, unit_label="USD",
                         description="Sum of the amounts of won deals"),
                    WON, PACE_STREAK_BANDS, "pace")
        collections = _save(dict(
            key="collections", name="Collections", kind="aggregate", source="records",
            record_types="deal,collection", aggregation="count", window="period",
            period_kinds="week,quarter", by_person=True, by_unit=True, unit_label="deals",
            description=f"Won deals above {collection_amount:,.0f}"),
            WON + [{"field": "amount", "op": "gt", "value": f"{collection_amount:g}"}],
            COLLECTION_BANDS, "value")
        targets = _targets(won)
    summary = rebuild({won.key, collections.key}, publish=False)
    echo(f"metrics: won_value, collections; {targets} target(s); "
         f"{summary['values']} value(s) computed in {summary['seconds']:.1f}s")
    return {"metrics": 2, "targets": targets, "values": summary["values"]}


def _targets(won):
    """Quarterly targets: each rep 110% of their average won value per quarter of 2017
    (rounded up to 1,000); each team, office and the company the sum of their reps'.
    Weekly targets: a thirteenth."""
    quarters = list(Period.select().where((Period.kind == "quarter")
                                          & (Period.start.year == 2017)).order_by(Period.start))
    if not quarters:
        return 0
    won_by_rep = defaultdict(float)
    for r in Record.select(Record.owner, Record.fields).where(
            Record.type.in_(["deal", "collection"]) & Record.owner.is_null(False)
            & (Record.occurred_at >= datetime(2017, 1, 1))
            & (Record.occurred_at < datetime(2018, 1, 1))):
        if (r.fields or {}).get("stage") == "won":
            won_by_rep[r.owner_id] += r.fields.get("amount") or 0
    reps = list(Person.select().join(Role).where(Role.key == "rep"))
    units = {u.id: u for u in Unit.select()}
    unit_total = defaultdict(float)
    rows = 0
    weeks = list(Period.select().where((Period.kind == "week") & (Period.start.year == 2017)))
    Target.delete().where(Target.metric == won).execute()
    for rep in reps:
        per_quarter = won_by_rep.get(rep.id, 0) / len(quarters)
        target = max(1000.0, math.ceil(per_quarter * 1.1 / 1000) * 1000)
        for q in quarters:
            Target.create(metric=won, subject_type="person", subject_id=rep.id, period=q,
                          value=target)
            rows += 1
        for w in weeks:
            Target.create(metric=won, subject_type="person", subject_id=rep.id, period=w,
                          value=round(target / 13, 2))
            rows += 1
        # The rep's team, office and the company each add the rep's target to theirs.
        for unit_id in _ancestors(rep.unit_id, units):
            unit_total[unit_id] += target
    for unit_id, total in unit_total.items():
        for q in quarters:
            Target.create(metric=won, subject_type="unit", subject_id=unit_id, period=q,
                          value=total, derivation="the sum of its reps' quarterly targets")
            rows += 1
        for w in weeks:
            Target.create(metric=won, subject_type="unit", subject_id=unit_id, period=w,
                          value=round(total / 13, 2))
            rows += 1
    return rows


def _ancestors(unit_id, units):
    out = []
    unit = units.get(unit_id)
    while unit is not None:
        out.append(unit.id)
        unit = units.get(unit.parent_id)
    return out
