"""A count or sum of no rows is 0: an active subject with nothing in a started period shows 0,
coloured like any value, on both update paths (issue 5, round 3)."""
from datetime import date, datetime

from alignboard import events
from alignboard.metrics import definitions, jobs
from alignboard.metrics.demo import COLLECTION_BANDS
from alignboard.metrics.models import MetricValue
from alignboard.metrics.rebuild import rebuild
from alignboard.org.models import Period
from alignboard.records import store

from fixtures.metrics import WON, won_value_definition

COLUMNS = ("value", "n", "flag", "target", "expected", "pace", "colour")


def _collections():
    """The demo's collections metric: won deals above 5,000, red below 1."""
    return definitions.save(
        won_value_definition(key="collections", name="Collections", aggregation="count",
                             field=None),
        filters=WON + [{"field": "amount", "op": "gt", "value": "5000"}],
        colour_rule={"basis": "value", "bands": COLLECTION_BANDS})


def _period(kind, day):
    return Period.get((Period.kind == kind) & (Period.start <= day) & (Period.end >= day))


def _value(metric, person, period):
    return MetricValue.get_or_none(
        (MetricValue.metric == metric) & (MetricValue.subject_type == "person")
        & (MetricValue.subject_id == person.id) & (MetricValue.period == period))


def _deal(external_id, person, day, amount=6000.0, stage="won"):
    store.upsert(1, external_id, "deal", {"stage": stage, "amount": amount}, owner=person,
                 occurred_at=datetime.combine(day, datetime.min.time()))


def snapshot():
    return {(v.metric_id, v.subject_type, v.subject_id, v.period_id):
            tuple(getattr(v, c) for c in COLUMNS) for v in MetricValue.select()}


def test_the_only_collection_of_a_week_turning_lost_leaves_0_and_red(app, crm_people):
    org = crm_people
    seen = []
    with app.app_context():
        metric = _collections()
        _deal("C1", org.rob, date(2017, 1, 3))
        week = _period("week", date(2017, 1, 3))
        assert (_value(metric, org.rob, week).value, _value(metric, org.rob, week).colour) \
            == (1.0, "amber")
        events.subscribe("metric.colour_changed", seen.append)
        try:
            _deal("C1", org.rob, date(2017, 1, 3), stage="lost")
        finally:
            events.unsubscribe("metric.colour_changed", seen.append)
        row = _value(metric, org.rob, week)
        assert (row.value, row.n, row.colour) == (0.0, 0, "red")
        mine = [e.payload for e in seen if e.payload["subject_type"] == "person"
                and e.payload["subject_id"] == org.rob.id and e.payload["period_id"] == week.id]
        assert [(p["old"], p["new"], p["value"]) for p in mine] == [("amber", "red", 0.0)]
        # The incremental path and the rebuild agree.
        before = snapshot()
        assert rebuild()["changed"] == 0
        assert snapshot() == before


def test_a_rep_with_no_collection_at_all_shows_0_after_a_rebuild_and_the_daily_job(
        app, crm_people):
    org = crm_people
    with app.app_context():
        metric = _collections()
        _deal("C1", org.rob, date(2017, 1, 3))
        week1 = _period("week", date(2017, 1, 3))
        MetricValue.delete().execute()
        rebuild(publish=False)
        row = _value(metric, org.rae, week1)
        assert (row.value, row.n, row.colour) == (0.0, 0, "red")
        quarter = _period("quarter", date(2017, 1, 3))
        assert _value(metric, org.rae, quarter).value == 0.0

        # A new week starts and nobody records anything: the daily job stores its zeros.
        MetricValue.delete().where(MetricValue.subject_id == org.rae.id).execute()
        app.config["METRICS_AS_OF"] = "2017-01-10"
        week2 = _period("week", date(2017, 1, 10))
        seen = []
        events.subscribe("metric.colour_changed", seen.append)
        try:
            jobs.recolour()
        finally:
            events.unsubscribe("metric.colour_changed", seen.append)
        row = _value(metric, org.rae, week2)
        assert (row.value, row.n, row.colour) == (0.0, 0, "red")
        assert ("person", org.rae.id, week2.id, None, "red") in {
            (e.payload["subject_type"], e.payload["subject_id"], e.payload["period_id"],
             e.payload["old"], e.payload["new"]) for e in seen}
        # Only current periods: last week is left to the rebuild.
        assert _value(metric, org.rae, week1) is None


def test_an_average_of_no_rows_stores_nothing(app, crm_people):
    org = crm_people
    with app.app_context():
        metric = definitions.save(won_value_definition(key="avg_won", aggregation="avg"),
                                  filters=WON)
        _deal("A1", org.rob, date(2017, 1, 3))
        rebuild(publish=False)
        week = _period("week", date(2017, 1, 3))
        assert _value(metric, org.rob, week).value == 6000.0
        assert _value(metric, org.rae, week) is None
        assert MetricValue.select().where(MetricValue.metric == metric).count() == len(
            {(v.subject_type, v.subject_id, v.period_id) for v in MetricValue.select()
             .where((MetricValue.metric == metric) & (MetricValue.n > 0))})


def test_managers_hr_and_executives_get_no_zeros_but_their_own_rows_count(app, crm_people):
    """Zeros are for individual contributors (a role that sees its own data): a manager,
    HR or an executive is not shown red every week for deals they never make."""
    org = crm_people
    with app.app_context():
        metric = _collections()
        _deal("C1", org.rob, date(2017, 1, 3))
        rebuild(publish=False)
        people = {v.subject_id for v in MetricValue.select().where(
            (MetricValue.metric == metric) & (MetricValue.subject_type == "person"))}
        assert {org.rob.id, org.rae.id, org.ray.id} <= people
        assert not people & {org.mia.id, org.max.id, org.hr.id, org.exec.id, org.admin.id}
        _deal("C2", org.mia, date(2017, 1, 4))
        rebuild(publish=False)
        week = _period("week", date(2017, 1, 3))
        assert MetricValue.get((MetricValue.metric == metric)
                               & (MetricValue.subject_type == "person")
                               & (MetricValue.subject_id == org.mia.id)
                               & (MetricValue.period == week)).value == 1.0


def test_an_inactive_person_gets_no_zeros(app, crm_people):
    org = crm_people
    with app.app_context():
        org.rae.active = False
        org.rae.save()
        metric = _collections()
        _deal("C1", org.rob, date(2017, 1, 3))
        rebuild(publish=False)
        assert not MetricValue.select().where(
            (MetricValue.metric == metric) & (MetricValue.subject_type == "person")
            & (MetricValue.subject_id == org.rae.id)).exists()
        # Units are measured at zero all the same.
        week = _period("week", date(2017, 1, 3))
        assert MetricValue.get((MetricValue.metric == metric)
                               & (MetricValue.subject_type == "unit")
                               & (MetricValue.subject_id == org.team_b.id)
                               & (MetricValue.period == week)).value == 0.0


def test_no_zeros_before_the_earliest_row_nor_without_any_row(app, crm_people):
    org = crm_people
    with app.app_context():
        metric = _collections()
        assert MetricValue.select().where(MetricValue.metric == metric).count() == 0
        _deal("C1", org.rob, date(2017, 1, 3))
        rebuild(publish=False)
        periods = {v.period for v in MetricValue.select().where(MetricValue.metric == metric)}
        # The periods of 2016 are in the database, but the data begins on 2017-01-03.
        assert min(p.end for p in periods) >= date(2017, 1, 3)
        assert _period("week", date(2017, 1, 3)) in periods
        assert _value(metric, org.rae, _period("week", date(2016, 12, 28))) is None


def test_an_earlier_row_moves_where_the_zeros_begin_on_both_paths(app, crm_people):
    org = crm_people
    with app.app_context():
        metric = _collections()
        _deal("C1", org.rob, date(2017, 1, 3))
        old_week = _period("week", date(2016, 12, 20))
        # A record older than any other: everyone's zeros now begin in its week.
        _deal("OLD", org.ray, date(2016, 12, 20), amount=100.0)
        assert _value(metric, org.rae, old_week).value == 0.0
        incremental = snapshot()
        assert rebuild()["changed"] == 0
        assert snapshot() == incremental
        # And moved into 2017 again: those zeros go, on both paths.
        _deal("OLD", org.ray, date(2017, 2, 1), amount=100.0)
        assert _value(metric, org.rae, old_week) is None
        incremental = snapshot()
        assert rebuild()["changed"] == 0
        assert snapshot() == incremental
