"""Computing values: aggregation, filters, windows, roll-up through units, derived metrics."""
from datetime import date

import pytest

from alignboard.metrics import definitions
from alignboard.metrics.engine import Engine
from alignboard.metrics.models import MetricValue
from alignboard.metrics.sources import DatabaseRows
from alignboard.org.models import Period

from fixtures.metrics import WON, crm_rows, won_value_definition


def _quarter():
    return Period.get((Period.kind == "quarter") & (Period.start == date(2017, 1, 1)))


def _expected_won(agents, start=date(2017, 1, 1), end=date(2017, 3, 31)):
    total = 0.0
    for row in crm_rows(agents, start, end):
        if row["deal_stage"] == "Won":
            total += float(row["close_value"])
    return total


def test_won_value_sums_won_amounts_per_rep_and_rolls_up_to_units(app, deals):
    org = deals.org
    with app.app_context():
        metric = definitions.save(won_value_definition(), filters=WON)
        q1 = _quarter()

        def value(subject_type, subject_id):
            return MetricValue.get((MetricValue.metric == metric) & (MetricValue.period == q1)
                                   & (MetricValue.subject_type == subject_type)
                                   & (MetricValue.subject_id == subject_id)).value

        assert value("person", org.rob.id) == _expected_won({"Anna Snelling"})
        assert value("unit", org.team_a.id) == _expected_won({"Anna Snelling", "Moses Frase"})
        assert value("unit", org.company.id) == _expected_won(
            {"Anna Snelling", "Moses Frase", "Kary Hendrixson"})
        assert value("unit", org.north.id) == value("unit", org.team_a.id)


def test_count_distinct_avg_min_max_over_the_same_rows(app, deals):
    org = deals.org
    with app.app_context():
        engine = Engine(DatabaseRows())
        q1 = _quarter()
        rows = [r for r in crm_rows({"Anna Snelling"}) if r["deal_stage"] == "Won"]
        amounts = [float(r["close_value"]) for r in rows]
        for agg, field, want in [("count", None, len(rows)),
                                 ("distinct", "product", len({r["product"] for r in rows})),
                                 ("avg", "amount", sum(amounts) / len(amounts)),
                                 ("min", "amount", min(amounts)),
                                 ("max", "amount", max(amounts))]:
            m = definitions.save(won_value_definition(key=f"m_{agg}", aggregation=agg,
                                                      field=field), filters=WON)
            engine = Engine(DatabaseRows())
            value, n, flag = engine.compute(engine.metrics[m.id], "person", org.rob.id, q1)
            assert value == pytest.approx(want) and n == len(rows) and flag is None, agg


def test_average_of_no_rows_is_flagged_not_zero(app, deals):
    org = deals.org
    with app.app_context():
        m = definitions.save(won_value_definition(key="avg_big", aggregation="avg"),
                             filters=WON + [{"field": "amount", "op": "gt", "value": "1e9"}])
        engine = Engine(DatabaseRows())
        value, n, flag = engine.compute(engine.metrics[m.id], "person", org.rob.id, _quarter())
        assert value is None and n == 0 and flag == "no rows"


def test_rolling_and_to_date_windows(app, deals):
    org = deals.org
    with app.app_context():
        rolling = definitions.save(won_value_definition(
            key="won_30d", window="rolling", rolling_days=30, period_kinds="month"), filters=WON)
        ytd = definitions.save(won_value_definition(key="won_ytd", window="to_date",
                                                    period_kinds="month"), filters=WON)
        engine = Engine(DatabaseRows())
        march = Period.get((Period.kind == "month") & (Period.start == date(2017, 3, 1)))
        got = engine.compute(engine.metrics[rolling.id], "person", org.rob.id, march)[0]
        assert got == _expected_won({"Anna Snelling"}, date(2017, 3, 2), date(2017, 3, 31))
        got = engine.compute(engine.metrics[ytd.id], "person", org.rob.id, march)[0]
        assert got == _expected_won({"Anna Snelling"})


def test_formula_ratio_and_composite_combine_other_metrics(app, deals):
    org = deals.org
    with app.app_context():
        definitions.save(won_value_definition(), filters=WON)
        definitions.save(won_value_definition(key="won_deals", aggregation="count", field=None),
                         filters=WON)
        definitions.save(won_value_definition(key="closed_deals", aggregation="count",
                                              field=None),
                         filters=[{"field": "stage", "op": "in", "value": "won,lost"}])
        rate = definitions.save(dict(key="win_rate", name="Win rate", kind="aggregate",
                                     aggregation="ratio", numerator_key="won_deals",
                                     denominator_key="closed_deals",
                                     period_kinds="quarter"))
        bonus = definitions.save(dict(key="bonus", name="Bonus", kind="formula",
                                      formula="if(won_deals >= 5, won_value * 0.01, 0)",
                                      period_kinds="quarter"))
        score = definitions.save(dict(key="score", name="Score", kind="composite",
                                      period_kinds="quarter"),
                                 parts=[{"part_key": "win_rate", "weight": 60},
                                        {"part_key": "won_deals", "weight": 40}])
        engine = Engine(DatabaseRows())
        q1 = _quarter()
        rows = list(crm_rows({"Anna Snelling"}))
        won = [r for r in rows if r["deal_stage"] == "Won"]
        closed = [r for r in rows if r["deal_stage"] in ("Won", "Lost")]
        want_rate = len(won) / len(closed)
        get = lambda m: engine.compute(engine.metrics[m.id], "person", org.rob.id, q1)[0]
        assert get(rate) == pytest.approx(want_rate)
        assert get(bonus) == pytest.approx(_expected_won({"Anna Snelling"}) * 0.01)
        assert get(score) == pytest.approx(0.6 * want_rate + 0.4 * len(won))


def test_division_by_zero_is_flagged_and_stored_without_a_crash(app, deals):
    org = deals.org
    with app.app_context():
        definitions.save(won_value_definition(key="won_deals", aggregation="count", field=None),
                         filters=WON)
        definitions.save(won_value_definition(key="nothing", aggregation="count", field=None),
                         filters=[{"field": "stage", "op": "eq", "value": "no-such-stage"}])
        m = definitions.save(dict(key="per_nothing", name="Per nothing", kind="formula",
                                  formula="won_deals / nothing", period_kinds="quarter"))
        row = MetricValue.get((MetricValue.metric == m) & (MetricValue.subject_type == "person")
                              & (MetricValue.subject_id == org.rob.id)
                              & (MetricValue.period == _quarter()))
        assert row.value is None and row.flag == "division by zero"


def test_a_new_deal_updates_the_rep_and_every_unit_above(app, deals, won_value):
    from datetime import datetime
    from alignboard.records import store

    org = deals.org
    with app.app_context():
        q1 = _quarter()
        key = lambda st, sid: ((MetricValue.metric == won_value) & (MetricValue.period == q1)
                               & (MetricValue.subject_type == st)
                               & (MetricValue.subject_id == sid))
        before = {s: MetricValue.get(key(*s)).value
                  for s in [("person", org.rob.id), ("unit", org.team_a.id),
                            ("unit", org.company.id), ("person", org.rae.id)]}
        store.upsert(1, "NEW-1", "deal", {"stage": "won", "amount": 1234.0}, owner=org.rob,
                     owner_ref="Anna Snelling", occurred_at=datetime(2017, 2, 3))
        assert MetricValue.get(key("person", org.rob.id)).value == before[("person", org.rob.id)] + 1234
        assert MetricValue.get(key("unit", org.team_a.id)).value == before[("unit", org.team_a.id)] + 1234
        assert MetricValue.get(key("unit", org.company.id)).value == before[("unit", org.company.id)] + 1234
        assert MetricValue.get(key("person", org.rae.id)).value == before[("person", org.rae.id)]
        # Moving the deal to lost takes it out again.
        store.upsert(1, "NEW-1", "deal", {"stage": "lost", "amount": 0.0}, owner=org.rob,
                     owner_ref="Anna Snelling", occurred_at=datetime(2017, 2, 3))
        assert MetricValue.get(key("person", org.rob.id)).value == before[("person", org.rob.id)]


def test_one_new_deal_rewrites_only_its_owners_values_and_a_rebuild_agrees(app, deals,
                                                                          won_value,
                                                                          monkeypatch):
    from datetime import datetime
    from alignboard import events
    from alignboard.metrics import updates
    from alignboard.metrics.rebuild import rebuild
    from alignboard.records import store

    org = deals.org

    def stored():
        return {(v.metric_id, v.subject_type, v.subject_id, v.period_id):
                (v.value, v.n, v.flag, v.target, v.expected, v.pace, v.colour, v.updated_at)
                for v in MetricValue.select()}

    with app.app_context():
        day = date(2017, 2, 3)
        periods = {p.id for p in Period.select().where(
            Period.kind.in_(["week", "quarter"]) & (Period.start <= day) & (Period.end >= day))}
        subjects = [("person", org.rob.id)] + [
            ("unit", u.id) for u in (org.team_a, org.north, org.company)]
        affected = {(won_value.id, st, sid, pid) for st, sid in subjects for pid in periods}
        assert len(affected) == 8  # rob, his team, region and company x week and quarter
        before = stored()
        recomputed = []
        real_write = updates.write

        def spy(engine, keys, publish=True):
            recomputed.append(set(keys))
            return real_write(engine, keys, publish)

        with monkeypatch.context() as patch:
            patch.setattr(updates, "write", spy)
            store.upsert(1, "NEW-1", "deal", {"stage": "won", "amount": 1234.0}, owner=org.rob,
                         owner_ref="Anna Snelling", occurred_at=datetime(2017, 2, 3))
        after = stored()
        # What the event makes the incremental path recompute: those keys and no others.
        event = events.since(0, names=["record.created"])[-1]
        assert updates.record_keys(Engine(DatabaseRows()), event.payload) == affected
        # ...and what on_record hands to store.write is that set, not more: store.write
        # leaves unchanged rows alone, so the check on written rows below would not notice
        # an update that recomputed every stored key.
        assert recomputed == [affected]
        # Every other row is left alone: not even its updated_at moves.
        written = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        assert written == affected
        for key in affected:
            assert after[key][0] == (before[key][0] if key in before else 0) + 1234
        summary = rebuild(publish=False)
        assert summary["changed"] == 0 and stored() == after


class _Row:
    def __init__(self, amount):
        self.fields = {"amount": amount}


@pytest.mark.parametrize("aggregation, amounts", [
    ("sum", [1e308, 1e308]),
    ("sum", ["inf", 1]),
    ("sum", ["inf", "-inf"]),
    ("avg", ["nan", 1]),
    ("max", ["inf", 1]),
])
def test_aggregates_that_are_not_finite_give_no_value_and_a_note(aggregation, amounts):
    from alignboard.metrics import formulas
    from alignboard.metrics.engine import aggregate

    rows = [_Row(a) for a in amounts]
    assert aggregate(aggregation, "amount", rows) == (None, formulas.NOT_FINITE)


def test_an_infinite_formula_is_stored_as_no_value_and_the_api_stays_json(app, client, deals,
                                                                        won_value, auth):
    import json

    org = deals.org
    with app.app_context():
        m = definitions.save(dict(key="huge", name="Huge", kind="formula",
                                  formula="won_value * 1e308", period_kinds="quarter"))
        row = MetricValue.get((MetricValue.metric == m) & (MetricValue.subject_type == "person")
                              & (MetricValue.subject_id == org.rob.id)
                              & (MetricValue.period == _quarter()))
        assert row.value is None and row.flag.startswith("not a finite number")
    response = client.get("/api/v1/metrics/values?metric=huge&subject_type=person"
                          f"&subject_id={org.rob.id}", headers=auth(org.rob))
    text = response.data.decode()
    assert "Infinity" not in text
    assert json.loads(text)[0]["value"] is None


def test_a_value_measured_on_a_past_day_counts_the_rows_up_to_that_day_on_both_paths(
        app, deals, won_value):
    """Re-audit of issue 5, gap 3: measured on 16 March, a quarter's value is that of the
    deals up to 16 March, not the whole quarter's with the plan of 16 March."""
    from alignboard.metrics.sources import MemoryRows

    org = deals.org
    day = date(2017, 3, 16)
    with app.app_context():
        q1 = _quarter()
        engines = [Engine(DatabaseRows(), day=day), Engine(MemoryRows(), day=day)]
        got = [e.compute(e.metrics[won_value.id], "unit", org.team_a.id, q1) for e in engines]
        to_day = [r for r in crm_rows({"Anna Snelling", "Moses Frase"}, end=day)
                  if r["deal_stage"] == "Won"]
        assert 0 < len(to_day) < len([r for r in crm_rows({"Anna Snelling", "Moses Frase"})
                                      if r["deal_stage"] == "Won"])
        want = (_expected_won({"Anna Snelling", "Moses Frase"}, end=day), len(to_day), None)
        assert got == [want, want]


def test_stored_values_on_a_pinned_day_count_rows_up_to_it_and_a_rebuild_agrees(
        app, deals, won_value):
    """With ALIGNBOARD_METRICS_AS_OF the stored values are those of that day: a deal dated
    after it changes nothing, one before it counts, and the rebuild agrees."""
    from datetime import datetime

    from alignboard.metrics.api import set_target
    from alignboard.metrics.rebuild import rebuild
    from alignboard.records import store

    org = deals.org
    day = date(2017, 3, 16)
    with app.app_context():
        app.config["METRICS_AS_OF"] = day.isoformat()
        q1 = _quarter()
        rebuild(publish=False)
        set_target("won_value", "person", org.rob.id, q1.id, 30000)

        def rob_q1():
            return MetricValue.get((MetricValue.metric == won_value) & (MetricValue.period == q1)
                                   & (MetricValue.subject_type == "person")
                                   & (MetricValue.subject_id == org.rob.id))

        to_day = _expected_won({"Anna Snelling"}, end=day)
        row = rob_q1()
        assert row.value == to_day
        assert row.expected == pytest.approx(30000 * 75 / 90)
        assert row.pace == pytest.approx(to_day / (30000 * 75 / 90))
        store.upsert(1, "LATE", "deal", {"stage": "won", "amount": 1000.0}, owner=org.rob,
                     owner_ref="Anna Snelling", occurred_at=datetime(2017, 3, 20))
        assert rob_q1().value == to_day
        store.upsert(1, "EARLY", "deal", {"stage": "won", "amount": 1000.0}, owner=org.rob,
                     owner_ref="Anna Snelling", occurred_at=datetime(2017, 3, 10))
        assert rob_q1().value == to_day + 1000
        assert rebuild(publish=False)["changed"] == 0
