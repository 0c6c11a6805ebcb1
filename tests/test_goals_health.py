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
    org = deals.org
    won = sum(float(r["close_value"]) for r in crm_rows({"Anna Snelling"})
              if r["deal_stage"] == "Won")
    with app.app_context():
        o = Objective.create(title="Win", period=q1, owner=org.rob)
        kr = KeyResult.create(objective=o, title="Won value", owner=org.rob, metric=won_value,
                              target_value=won * 2, weight=100)
        card = health.key_result_card(kr, o, day=date(2017, 2, 14))
        assert card["current_value"] == won and card["source"] == "metric"
        assert card["progress"] == pytest.approx(0.5)
        assert card["expected_share"] == pytest.approx(45 / 90)
        assert card["colour"] == "green"
        late = health.key_result_card(kr, o, day=date(2017, 3, 31))
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
    assert card["colour"] == "green" and card["how"] == "weighted pace 104%"


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
