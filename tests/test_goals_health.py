"""Health cards per key result and objective: pace of progress, weakest or weighted."""
from datetime import date

import pytest

from alignboard.goals import health
from alignboard.goals.models import CheckIn, KeyResult, Objective
from alignboard.org.models import Period

from fixtures.metrics import crm_rows


@pytest.fixture
def q1(app, crm_people):
    with app.app_context():
        return Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))


def test_key_result_measured_by_a_metric_follows_its_value(app, q1, deals, won_value):
    """On a day of its own the card counts the rows up to that day, as its plan does
    (re-audit of issue 5, gap 3): Anna's won deals of the sample close in March, so on
    14 February she has won nothing yet, whatever the quarter brings later."""
    org = deals.org

    def won_by(end):
        return sum(float(r["close_value"]) for r in crm_rows({"Anna Snelling"}, end=end)
                   if r["deal_stage"] == "Won")

    won, by_mid_march = won_by(date(2017, 3, 31)), won_by(date(2017, 3, 16))
    assert 0 < by_mid_march < won
    with app.app_context():
        o = Objective.create(title="Win", period=q1, owner=org.rob)
        kr = KeyResult.create(objective=o, title="Won value", owner=org.rob, metric=won_value,
                              target_value=won, weight=100)
        card = health.key_result_card(kr, o, day=date(2017, 2, 14))
        assert card["current_value"] == 0 and card["source"] == "metric"
        assert card["expected_share"] == pytest.approx(45 / 90)
        assert card["colour"] == "red"     # the whole quarter counted made it 200%, green
        card = health.key_result_card(kr, o, day=date(2017, 3, 16))
        assert card["current_value"] == by_mid_march
        assert card["progress"] == pytest.approx(by_mid_march / won)
        assert card["pace_pct"] == pytest.approx(by_mid_march / won / (75 / 90) * 100)
        assert card["colour"] == "red"     # 57% of pace
        assert health.key_result_card(kr, o, day=date(2017, 3, 31))["colour"] == "green"
        kr.target_value = won * 2
        kr.save()
        late = health.key_result_card(kr, o, day=date(2017, 3, 31))
        assert late["current_value"] == won
        assert late["colour"] == "red"   # half of the target at the end of the quarter


def test_key_result_card_follows_its_metrics_colour_rule(app, q1, deals, won_value):
    """HR moved the won-value bands (green from 120% of pace, amber from 90%): a key result
    measured by that metric is coloured by those bands, not by the default 100/85."""
    from alignboard.metrics import colours

    org = deals.org
    won = sum(float(r["close_value"]) for r in crm_rows({"Anna Snelling"})
              if r["deal_stage"] == "Won")
    with app.app_context():
        colours.save_rule(won_value, "pace", [
            dict(colour="blue", lower=120, upper=None),
            dict(colour="green", lower=100, upper=120),
            dict(colour="amber", lower=90, upper=100),
            dict(colour="red", lower=None, upper=90)])
        o = Objective.create(title="Win", period=q1, owner=org.rob)
        kr = KeyResult.create(objective=o, title="Won value", owner=org.rob, metric=won_value,
                              target_value=won / 0.88, weight=100)
        # 88% of the target at the end of the quarter: 88% of pace, amber by default bands,
        # red by the metric's.
        card = health.key_result_card(kr, o, day=date(2017, 3, 31))
        assert card["pace_pct"] == pytest.approx(88)
        assert card["colour"] == "red" and card["bands"] == "metric colour rule (pace)"
        kr.target_value = won / 1.5      # 150% of pace at the end: the metric's blue band
        kr.save()
        assert health.key_result_card(kr, o, day=date(2017, 3, 31))["colour"] == "blue"
        assert health.objective_card(o, date(2017, 3, 31))["colour"] == "blue"
        colours.save_rule(won_value, "target", [
            dict(colour="green", lower=50, upper=None),
            dict(colour="red", lower=None, upper=50)])
        kr.target_value = won * 2        # half the target reached: green on "% of target"
        kr.save()
        card = health.key_result_card(kr, o, day=date(2017, 3, 31))
        assert card["colour"] == "green" and card["bands"] == "metric colour rule (target)"


def test_manual_key_results_use_the_latest_check_in(app, q1, crm_people):
    with app.app_context():
        o = Objective.create(title="Visits", period=q1, owner=crm_people.rob)
        kr = KeyResult.create(objective=o, title="Customer visits reach 10", target_value=10,
                              weight=100)
        assert health.key_result_card(kr, o, day=date(2017, 2, 14))["colour"] == "grey"
        CheckIn.create(key_result=kr, person=crm_people.rob, progress=3, blocker="no car")
        CheckIn.create(key_result=kr, person=crm_people.rob, progress=4.5, blocker="")
        card = health.key_result_card(kr, o, day=date(2017, 2, 14))
    assert card["current_value"] == 4.5 and card["source"] == "check-in"
    assert card["colour"] == "amber"    # 45% done at 50% of the quarter: 90% of pace


def test_objective_health_is_its_weakest_key_result_or_weighted(app, q1, crm_people):
    with app.app_context():
        o = Objective.create(title="Mixed", period=q1, owner=crm_people.rob)
        strong = KeyResult.create(objective=o, title="A", target_value=10, weight=80)
        weak = KeyResult.create(objective=o, title="B", target_value=10, weight=20)
        CheckIn.create(key_result=strong, progress=6)    # 120% of pace at mid-quarter
        CheckIn.create(key_result=weak, progress=2)      # 40% of pace
        day = date(2017, 2, 14)
        card = health.objective_card(o, day)
        assert card["colour"] == "red" and card["how"] == "weakest key result: B"
        o.health_mode = "weighted"
        o.save()
        card = health.objective_card(o, day)
    assert card["colour"] == "green" and card["how"] == "weighted pace 104%, default bands"


def test_unfinished_key_result_past_its_deadline_is_red(app, q1, crm_people):
    with app.app_context():
        o = Objective.create(title="Launch", period=q1, owner=crm_people.rob)
        kr = KeyResult.create(objective=o, title="Ten pilots signed", target_value=10,
                              weight=100, deadline=date(2017, 2, 1))
        CheckIn.create(key_result=kr, progress=9)
        card = health.key_result_card(kr, o, day=date(2017, 2, 2))
    assert card["colour"] == "red" and card["reason"] == "past the deadline and not reached"


def test_rep_home_page_shows_own_objectives_with_health(client, app, q1, crm_people,
                                                        admin_session):
    with app.app_context():
        top = Objective.create(title="Company goal", period=q1, unit=crm_people.company)
        mine = Objective.create(title="My goal", period=q1, owner=crm_people.rob, parent=top)
        KeyResult.create(objective=mine, title="Visits reach 10", target_value=10, weight=100)
        Objective.create(title="Rae's goal", period=q1, owner=crm_people.rae)
    admin_session(crm_people.rob)
    page = client.get("/").data.decode()
    assert 'id="my-objectives"' in page and "My goal" in page
    assert "serves: Company goal" in page and "Rae&#39;s goal" not in page


def test_objective_list_in_the_admin_shows_health(client, app, q1, crm_people, admin_session):
    with app.app_context():
        top = Objective.create(title="Company goal", period=q1, unit=crm_people.company,
                               tags="medical")
        Objective.create(title="Retail", period=q1, unit=crm_people.north, parent=top,
                         tags="retail")
    admin_session(crm_people.hr)
    page = client.get("/admin/objective/").data.decode()
    assert "not aligned" in page and ">grey</span>" in page


def _week(day):
    return Period.get((Period.kind == "week") & (Period.start <= day) & (Period.end >= day))


def test_key_result_on_the_metrics_own_target_shows_the_tables_streak_colour(app, crm_people):
    """The audit's repro (issue 5, C4b): the metric table is red (behind two weeks running)
    and a key result on the same metric, owner, period and target must be red too, not the
    amber its single week alone would give."""
    from datetime import datetime

    from alignboard.metrics import definitions
    from alignboard.metrics.api import set_target
    from alignboard.metrics.models import MetricValue
    from alignboard.records import store
    from fixtures.metrics import WON, won_value_definition

    org = crm_people
    with app.app_context():
        app.config["METRICS_AS_OF"] = "2017-01-15"      # the end of the second week
        metric = definitions.save(won_value_definition(period_kinds="week"), filters=WON,
                                  colour_rule={"basis": "pace", "bands": [
                                      dict(colour="green", lower=100, upper=None),
                                      dict(colour="amber", lower=None, upper=100),
                                      dict(colour="red", lower=None, upper=85,
                                           consecutive=2)]})
        w1, w2 = _week(date(2017, 1, 2)), _week(date(2017, 1, 9))
        for w in (w1, w2):
            set_target("won_value", "person", org.rob.id, w.id, 1000)
        store.upsert(1, "A", "deal", {"stage": "won", "amount": 500.0}, owner=org.rob,
                     occurred_at=datetime(2017, 1, 3))
        store.upsert(1, "B", "deal", {"stage": "won", "amount": 500.0}, owner=org.rob,
                     occurred_at=datetime(2017, 1, 10))
        row = MetricValue.get((MetricValue.metric == metric) & (MetricValue.period == w2)
                              & (MetricValue.subject_type == "person")
                              & (MetricValue.subject_id == org.rob.id))
        assert row.colour == "red" and row.pace == pytest.approx(0.5)
        o = Objective.create(title="Week 2", period=w2, owner=org.rob)
        kr = KeyResult.create(objective=o, title="Won value", owner=org.rob, metric=metric,
                              target_value=1000, weight=100)
        card = health.key_result_card(kr, o)
        assert card["colour"] == "red" and card["pace_pct"] == pytest.approx(50)
        assert card["colour_from"] == "metric value"
        assert card["colour_rule"]["metric"] == "won_value"
        # No target of its own: the metric's target is the key result's.
        kr.target_value = None
        kr.save()
        card = health.key_result_card(kr, o)
        assert card["colour"] == "red" and card["target_value"] == 1000
        # Asked for another day, the streak is measured on that day as the metrics API
        # does with as_of: on Thursday 500 of 571 expected (week 1 at 50%) is ahead.
        assert health.key_result_card(kr, o, day=date(2017, 1, 11))["colour"] == "green"
        # A target of its own: its own pace (50% of 2000 is 25%) on the single-week bands,
        # as the streak belongs to the metric's target.
        kr.target_value = 2000
        kr.save()
        card = health.key_result_card(kr, o)
        assert card["colour"] == "amber" and card["pace_pct"] == pytest.approx(25)
        assert card["colour_from"] == "key result"
        assert card["bands"] == "metric colour rule (pace)"


def test_key_result_pace_follows_the_targets_seasonality_curve(app, q1, deals, won_value):
    """Issue 5, P4b: the metric target's curve shapes the expected share of a key result,
    so its pace is the table's pace, not the linear one."""
    from alignboard.metrics.api import set_target
    from alignboard.metrics.models import MetricValue, SeasonalityCurve

    org = deals.org
    day = date(2017, 3, 10)
    # The value on the pinned day: Anna's won deals up to that day.
    won = sum(float(r["close_value"]) for r in crm_rows({"Anna Snelling"}, end=day)
              if r["deal_stage"] == "Won")
    with app.app_context():
        app.config["METRICS_AS_OF"] = day.isoformat()
        SeasonalityCurve.create(name="backloaded", weights="1,1,3")
        set_target("won_value", "person", org.rob.id, q1.id, won, curve="backloaded")
        row = MetricValue.get((MetricValue.metric == won_value) & (MetricValue.period == q1)
                              & (MetricValue.subject_type == "person")
                              & (MetricValue.subject_id == org.rob.id))
        o = Objective.create(title="Win", period=q1, owner=org.rob)
        kr = KeyResult.create(objective=o, title="Won value", owner=org.rob, metric=won_value,
                              target_value=won, weight=100)
        card = health.key_result_card(kr, o)
        assert card["pace_pct"] == pytest.approx(row.pace * 100)
        assert card["colour"] == row.colour
        curved = (1 + 1 + 3 * 0.3) / 5    # 69 of 90 days: 2.3 slices of 1+1+3
        assert card["expected_share"] == pytest.approx(curved)
        # Its own target (twice the plan): the same curve gives the expected share.
        kr.target_value = won * 2
        kr.save()
        card = health.key_result_card(kr, o)
        assert card["colour_from"] == "key result"
        assert card["expected_share"] == pytest.approx(curved)
        assert card["pace_pct"] == pytest.approx(50 / curved)
        # Due on 20 March: the curve's share on 10 March over its share by the deadline
        # (79 of 90 days), not the curve stretched over the days to the deadline.
        kr.deadline = date(2017, 3, 20)
        kr.save()
        card = health.key_result_card(kr, o)
        by_deadline = (1 + 1 + 3 * (79 / 90 * 3 - 2)) / 5   # 2.63 slices
        assert card["expected_share"] == pytest.approx(curved / by_deadline)


def test_weighted_objective_uses_the_bands_its_key_results_share(app, q1, deals, won_value):
    """Issue 5, C4a: a weighted objective whose key results all follow one colour rule on
    % of pace is coloured by that rule's bands; otherwise by the default, and it says so."""
    from alignboard.metrics import colours

    org = deals.org
    won = sum(float(r["close_value"]) for r in crm_rows({"Anna Snelling"})
              if r["deal_stage"] == "Won")
    end = date(2017, 3, 31)
    with app.app_context():
        colours.save_rule(won_value, "pace", [
            dict(colour="green", lower=120, upper=None),
            dict(colour="amber", lower=90, upper=120),
            dict(colour="red", lower=None, upper=90)])
        o = Objective.create(title="Win", period=q1, owner=org.rob, health_mode="weighted")
        for title in ("Won value", "Won value again"):
            KeyResult.create(objective=o, title=title, owner=org.rob, metric=won_value,
                             target_value=won / 1.05, weight=50)   # 105% of pace
        card = health.objective_card(o, end)
        assert card["colour"] == "amber"           # default bands would say green
        assert card["how"] == "weighted pace 105%, bands of Won value"
        manual = KeyResult.create(objective=o, title="Visits reach 10", target_value=10,
                                  weight=0)
        CheckIn.create(key_result=manual, progress=10.5)
        card = health.objective_card(o, end)
        assert card["colour"] == "green"
        assert card["how"] == ("weighted pace 105%, default bands: the key results have no "
                               "common colour rule")


def test_a_key_result_on_a_metric_never_computed_for_it_is_grey_with_the_reason(
        app, q1, deals, won_value):
    """Re-audit of issue 5, gap 2: won value is computed per week and quarter, so a month
    objective's key result on it has no value at all; a metric computed per unit only has
    none for a person. Such a card showed 0 and a colour (amber or red)."""
    from alignboard.metrics import definitions
    from fixtures.metrics import WON, won_value_definition

    org = deals.org
    with app.app_context():
        march = Period.get((Period.kind == "month") & (Period.start == date(2017, 3, 1)))
        o = Objective.create(title="Win March", period=march, owner=org.rob)
        kr = KeyResult.create(objective=o, title="Won value", owner=org.rob, metric=won_value,
                              target_value=20000, weight=100)
        card = health.key_result_card(kr, o)
        assert card["colour"] == "grey" and card["reason"] == "Won value is not computed per month"
        assert card["current_value"] is None and card["pace_pct"] is None
        assert card["colour_rule"] is None
        assert health.key_result_card(kr, o, day=date(2017, 3, 20))["colour"] == "grey"
        assert health.objective_card(o)["colour"] == "grey"
        with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
            assert card["reason"].translated() == "Won value 未按月计算"

        teams = definitions.save(won_value_definition(key="team_won", name="Team won",
                                                      by_person=False), filters=WON)
        o = Objective.create(title="Win Q1", period=q1, owner=org.rob)
        kr = KeyResult.create(objective=o, title="Team won", owner=org.rob, metric=teams,
                              target_value=20000, weight=100)
        card = health.key_result_card(kr, o)
        assert card["colour"] == "grey" and card["reason"] == "Team won is not computed per person"
        # The same metric on the team's objective is measured.
        team = Objective.create(title="Team Q1", period=q1, unit=org.team_a)
        kr = KeyResult.create(objective=team, title="Team won", metric=teams,
                              target_value=20000, weight=100)
        card = health.key_result_card(kr, team)
        assert card["colour"] != "grey" and card["current_value"] > 0
