"""Incremental updates and the full rebuild give identical results on the same data."""
from alignboard.metrics import definitions
from alignboard.metrics.api import set_target
from alignboard.metrics.models import MetricValue
from alignboard.metrics.rebuild import rebuild
from alignboard.org.models import Period

from fixtures.metrics import WON, crm_rows, load_deals, won_value_definition

COLUMNS = ("value", "n", "flag", "target", "expected", "pace", "colour")


def snapshot():
    return {(v.metric_id, v.subject_type, v.subject_id, v.period_id):
            tuple(getattr(v, c) for c in COLUMNS) for v in MetricValue.select()}


def _define_everything(org):
    definitions.save(won_value_definition(), filters=WON, colour_rule={
        "basis": "pace", "bands": [
            {"colour": "green", "lower": 100}, {"colour": "amber", "upper": 100},
            {"colour": "red", "upper": 85, "consecutive": 2}]})
    definitions.save(won_value_definition(key="won_deals", aggregation="count", field=None),
                     filters=WON)
    definitions.save(won_value_definition(key="closed", aggregation="count", field=None,
                                          period_kinds="month,quarter"),
                     filters=[{"field": "stage", "op": "in", "value": "won,lost"}])
    definitions.save(won_value_definition(key="won_30d", window="rolling", rolling_days=30,
                                          period_kinds="month"), filters=WON)
    definitions.save(won_value_definition(key="won_ytd", window="to_date",
                                          period_kinds="month"), filters=WON)
    definitions.save(dict(key="win_rate", name="Win rate", aggregation="ratio",
                          numerator_key="won_deals", denominator_key="closed",
                          period_kinds="quarter"))
    definitions.save(dict(key="bonus", name="Bonus", kind="formula",
                          formula="if(won_deals >= 5, won_value / won_deals, 0)",
                          period_kinds="week,quarter"))
    q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))
    for person in (org.rob, org.rae, org.ray):
        set_target("won_value", "person", person.id, q1.id, 40000)
    set_target("won_value", "unit", org.team_a.id, q1.id, 80000)
    for w in Period.select().where((Period.kind == "week") & (Period.name.startswith("2017-W0"))):
        set_target("won_value", "person", org.rob.id, w.id, 3000)


def test_incremental_and_rebuild_give_identical_values(app, crm_people):
    org = crm_people
    with app.app_context():
        _define_everything(org)
        # Incremental: every deal arrives as an event after the metrics exist.
        load_deals(crm_rows())
        # Changes and moves: a won deal becomes lost, another moves to another quarter.
        rows = list(crm_rows())
        won = [r for r in rows if r["deal_stage"] == "Won"]
        changed = dict(won[0], deal_stage="Lost", close_value="0")
        moved = dict(won[1], close_date="2017-04-03")
        load_deals([changed, moved])
        incremental = snapshot()
        assert len(incremental) > 100
        assert any(v[6] == "red" for v in incremental.values())
        summary = rebuild()
        assert snapshot() == incremental
        assert summary["changed"] == 0
        # And from nothing: values wiped, rebuilt, same again.
        MetricValue.delete().execute()
        rebuild(publish=False)
        assert snapshot() == incremental


def test_rebuild_removes_values_no_row_supports_any_more(app, deals):
    # An average of no rows has no value, so nothing stays stored. (A sum would keep a 0 for
    # every active subject: see the next test.)
    with app.app_context():
        metric = definitions.save(won_value_definition(aggregation="avg"), filters=WON)
        assert MetricValue.select().where(MetricValue.metric == metric).count() > 0
        definitions.save(won_value_definition(aggregation="avg"), metric=metric,
                         filters=[{"field": "stage", "op": "eq", "value": "nothing"}])
        assert MetricValue.select().where(MetricValue.metric == metric).count() == 0


def test_rebuild_turns_a_sum_no_row_supports_any_more_into_zeros(app, deals):
    with app.app_context():
        metric = definitions.save(won_value_definition(), filters=WON)
        before = MetricValue.select().where(MetricValue.metric == metric).count()
        definitions.save(won_value_definition(), metric=metric,
                         filters=[{"field": "stage", "op": "eq", "value": "nothing"}])
        values = [(v.value, v.n) for v in
                  MetricValue.select().where(MetricValue.metric == metric)]
        assert len(values) >= before
        assert set(values) == {(0.0, 0)}
