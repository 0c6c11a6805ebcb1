"""The daily recolouring: pace moves with the calendar even when no record arrives."""
from datetime import date, datetime

from alignboard import events, tasks
from alignboard.metrics import jobs
from alignboard.metrics.api import set_target
from alignboard.metrics.models import MetricValue
from alignboard.org.models import Period
from alignboard.records import store


def _q1():
    return Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))


def _rob_q1(metric, org, q1):
    return MetricValue.get((MetricValue.metric == metric) & (MetricValue.subject_type == "person")
                           & (MetricValue.subject_id == org.rob.id)
                           & (MetricValue.period == q1))


def _small_deal_against_a_big_target(app, org):
    """500 won on 2017-01-03 against a Q1 target of 10,000, with the pace day on that day."""
    app.config["METRICS_AS_OF"] = "2017-01-03"
    q1 = _q1()
    set_target("won_value", "person", org.rob.id, q1.id, 10000)
    store.upsert(1, "A", "deal", {"stage": "won", "amount": 500.0}, owner=org.rob,
                 occurred_at=datetime(2017, 1, 3))
    return q1


def test_the_daily_recolouring_is_a_registered_schedule(app):
    with app.app_context():
        assert "metrics.recolour" in tasks.registered()[1]


def test_a_rep_who_sells_nothing_more_turns_red_when_the_daily_job_runs(app, crm_people,
                                                                         won_value):
    org = crm_people
    seen = []
    with app.app_context():
        q1 = _small_deal_against_a_big_target(app, org)
        assert _rob_q1(won_value, org, q1).colour == "green"
        app.config["METRICS_AS_OF"] = "2017-03-20"
        events.subscribe("metric.colour_changed", seen.append)
        try:
            jobs.recolour_daily()
        finally:
            events.unsubscribe("metric.colour_changed", seen.append)
        value = _rob_q1(won_value, org, q1)
        assert value.colour == "red"
        assert value.expected == 10000 * 79 / 90
        assert [(e.payload["period_id"], e.payload["old"], e.payload["new"])
                for e in seen] == [(q1.id, "green", "red")]


def test_values_as_of_a_day_carry_the_colour_of_that_days_pace(app, client, crm_people,
                                                               won_value, auth):
    org = crm_people
    with app.app_context():
        q1 = _small_deal_against_a_big_target(app, org)
        app.config["METRICS_AS_OF"] = "2017-03-20"
        jobs.recolour()
        assert _rob_q1(won_value, org, q1).colour == "red"
    url = (f"/api/v1/metrics/values?metric=won_value&period_id={q1.id}"
           f"&subject_type=person&subject_id={org.rob.id}")
    early = client.get(url + "&as_of=2017-01-03", headers=auth(org.rob)).get_json()[0]
    assert early["pace"] == 500 / (10000 * 3 / 90)
    assert early["colour"] == "green"
    assert early["colour_label"] == "on or ahead of plan"
    assert client.get(url, headers=auth(org.rob)).get_json()[0]["colour"] == "red"
