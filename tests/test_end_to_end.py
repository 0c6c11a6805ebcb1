"""The whole data flow, one scenario at a time: connectors -> records -> metrics -> rules
-> actions -> what each person sees. Each area is tested on its own elsewhere; these tests
prove the pieces fit, through their real public paths and the shipped templates."""
from datetime import date, datetime
from pathlib import Path

from alignboard.metrics import definitions
from alignboard.metrics.api import set_target
from alignboard.metrics.models import MetricValue
from alignboard.notify.models import Notification, SubjectFlag
from alignboard.org.models import Period
from alignboard.records import store
from alignboard.rules import worker, yamlio
from alignboard.rules.models import RuleFiring
from fixtures.metrics import WON, won_value_definition

RULES = Path(__file__).parent.parent / "rules"


def _week(day):
    return Period.get((Period.kind == "week") & (Period.start <= day) & (Period.end >= day))


def _band(colour, lower, upper, consecutive=1):
    return dict(colour=colour, lower=lower, upper=upper, consecutive=consecutive, label="")


def test_unit_two_weeks_behind_plan_turns_red_and_its_leader_gets_the_action_pack(
        app, client, crm_people, auth):
    """Scenario 4: a deal arrives as a record; the team's won value stays below 85% of pace
    two weeks running; the metric turns the unit red; the shipped rule colours it, tells
    the team's leader and attaches the suggested action pack; nobody else is told."""
    org = crm_people
    with app.app_context():
        yamlio.load(RULES / "04-unit-behind-plan-red.yaml")
        definitions.save(won_value_definition(period_kinds="week"), filters=WON,
                         colour_rule={"basis": "pace", "bands": [
                             _band("green", 100, None), _band("amber", None, 100),
                             _band("red", None, 85, 2)]})
        w1, w2 = _week(date(2017, 1, 2)), _week(date(2017, 1, 9))
        for w in (w1, w2):
            set_target("won_value", "unit", org.team_a.id, w.id, 1000)
        store.upsert(1, "D-1", "deal", {"stage": "won", "amount": 500.0}, owner=org.rob,
                     occurred_at=datetime(2017, 1, 3))
        red = MetricValue.get((MetricValue.subject_type == "unit")
                              & (MetricValue.subject_id == org.team_a.id)
                              & (MetricValue.period == w2))
        assert red.colour == "red"

        result = worker.run_once()
        assert result["fired"] + result["events"] > 0
        firing = RuleFiring.get()
        assert firing.subject_type == "unit" and firing.subject_id == org.team_a.id
        assert SubjectFlag.get((SubjectFlag.subject_type == "unit")
                               & (SubjectFlag.subject_id == org.team_a.id)).value == "red"
        sent = [(n.person.login, n.kind) for n in Notification.select().order_by(Notification.id)]
        assert sent == [("mia", "alert"), ("mia", "action_pack")]
        assert Notification.get(Notification.kind == "action_pack").links

        # Running again processes nothing new: nobody is told twice.
        worker.run_once()
        assert Notification.select().count() == 2

    inbox = client.get("/api/v1/inbox/", headers=auth(org.mia)).get_json()
    assert inbox and "behind plan" in str(inbox)
    assert client.get("/api/v1/inbox/", headers=auth(org.rae)).get_json() == []


def test_a_unit_red_at_0_collections_is_not_behind_plan(app, crm_people):
    """A count with a value rule is red at 0 (the demo's collections, "none" below 1): the
    unit turns red, but the shipped "behind plan" rule is about pace, so it stays quiet."""
    org = crm_people
    with app.app_context():
        yamlio.load(RULES / "04-unit-behind-plan-red.yaml")
        definitions.save(won_value_definition(key="collections", aggregation="count",
                                              field=None, period_kinds="week"),
                         filters=WON + [{"field": "amount", "op": "gt", "value": "5000"}],
                         colour_rule={"basis": "value", "bands": [
                             _band("green", 3, None), _band("amber", 1, 3),
                             _band("red", None, 1)]})
        store.upsert(1, "D-1", "deal", {"stage": "won", "amount": 500.0}, owner=org.rob,
                     occurred_at=datetime(2017, 1, 3))
        red = MetricValue.get((MetricValue.subject_type == "unit")
                              & (MetricValue.subject_id == org.team_a.id)
                              & (MetricValue.period == _week(date(2017, 1, 3))))
        assert (red.value, red.colour) == (0.0, "red")
        # The first row starts everyone's zeros, one colour change each: work them all off.
        while worker.run_once()["events"]:
            pass
        assert RuleFiring.select().count() == 0
        assert Notification.select().count() == 0


def test_short_visit_sent_from_the_phone_form_is_marked_not_valid(app, client, forms, visit,
                                                                   org, auth):
    """Scenario 6: a rep sends the shipped visit-log form through the API; the form stores
    its own validity; the shipped rule flags the short visit and leaves the good one."""
    from alignboard.forms.models import Submission

    with app.app_context():
        yamlio.load(RULES / "06-visit-not-valid.yaml")
    url = "/api/v1/forms/visit_log/submissions/"
    good = client.post(url, json={"data": visit()}, headers=auth(org.rob))
    short = client.post(url, json={"data": visit(end_at="2026-11-20T10:20")},
                        headers=auth(org.rob))
    assert good.status_code == 201 and short.status_code == 201, short.get_json()
    with app.app_context():
        worker.run_once()
        flags = {f.subject_id: f.value for f in SubjectFlag.select()
                 if f.subject_type == "submission" and f.key == "valid"}
        short_id = short.get_json()["id"]
        assert flags == {short_id: "no"}
        assert Submission.get_by_id(short_id).data["valid"] is False
        assert Submission.get_by_id(good.get_json()["id"]).data["valid"] is True
