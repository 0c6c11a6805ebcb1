"""/api/v1/goals: objectives with KR-points, the cascade, check-ins, hygiene, plans."""
import pytest

from alignboard.goals.models import KeyResult, Objective
from alignboard.org.models import Period


@pytest.fixture
def q1(app, crm_people):
    with app.app_context():
        return Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1")).id


def _objective(client, auth, who, **body):
    return client.post("/api/v1/goals/objectives", json=body, headers=auth(who))


def _kr(title="Raise win rate to 30%", weight=100, **kw):
    return dict(title=title, weight=weight, **kw)


def test_cascade_from_company_to_rep_with_alignment(client, app, q1, crm_people, auth):
    org = crm_people
    top = _objective(client, auth, org.hr, title="Grow medical", period_id=q1,
                     unit_id=org.company.id, tags="medical",
                     key_results=[_kr("Won value 1M", target_value=10 ** 6)])
    assert top.status_code == 201, top.get_json()
    top_id = top.get_json()["id"]
    region = _objective(client, auth, org.hr, title="North retail", period_id=q1,
                        unit_id=org.north.id, parent_id=top_id, tags="retail",
                        key_results=[_kr()]).get_json()
    assert region["alignment"]["colour"] == "red"
    assert "does not match" in region["alignment"]["reason_en"]
    assert [i["check"] for i in region["issues"]] == ["alignment"]
    mine = _objective(client, auth, org.rob, title="My medical deals", period_id=q1,
                      owner_id=org.rob.id, parent_id=top_id, tags="medical",
                      key_results=[_kr("Won value 100k", owner_id=org.rob.id,
                                       target_value=100000, criterion="signed contracts",
                                       deadline="2017-03-31", unit_label="USD")])
    assert mine.status_code == 201, mine.get_json()
    kr = mine.get_json()["key_results"][0]
    assert kr["criterion"] == "signed contracts" and kr["deadline"] == "2017-03-31"
    tree = client.get(f"/api/v1/goals/tree?period_id={q1}", headers=auth(org.exec)).get_json()
    assert [n["title"] for n in tree] == ["Grow medical"]
    assert {c["title"] for c in tree[0]["children"]} == {"North retail", "My medical deals"}
    assert "health" in tree[0] and tree[0]["key_results"][0]["title"] == "Won value 1M"


def test_rep_sees_strategy_and_own_objectives_but_not_a_colleagues(client, app, q1,
                                                                   crm_people, auth):
    org = crm_people
    _objective(client, auth, org.hr, title="Company", period_id=q1, unit_id=org.company.id,
               key_results=[_kr()])
    _objective(client, auth, org.hr, title="Rae's", period_id=q1, owner_id=org.rae.id,
               key_results=[_kr()])
    rae_id = None
    with app.app_context():
        rae_id = Objective.get(Objective.title == "Rae's").id
    _objective(client, auth, org.rob, title="Rob's", period_id=q1, owner_id=org.rob.id,
               key_results=[_kr()])
    titles = {o["title"] for o in client.get("/api/v1/goals/objectives",
                                              headers=auth(org.rob)).get_json()}
    assert titles == {"Company", "Rob's"}
    assert client.get(f"/api/v1/goals/objectives/{rae_id}",
                      headers=auth(org.rob)).status_code == 404
    assert client.get(f"/api/v1/goals/objectives/{rae_id}",
                      headers=auth(org.mia)).status_code == 200
    # And a rep cannot create objectives for someone else.
    assert _objective(client, auth, org.rob, title="For Rae", period_id=q1,
                      owner_id=org.rae.id, key_results=[_kr()]).status_code == 403


def test_weights_not_adding_up_to_100_are_refused(client, app, q1, crm_people, auth):
    response = _objective(client, auth, crm_people.rob, title="Mine", period_id=q1,
                          owner_id=crm_people.rob.id,
                          key_results=[_kr(weight=50), _kr("Won value 1M", weight=30)])
    assert response.status_code == 422
    assert "80%" in response.get_json()["errors"]["key_results"][0]
    with app.app_context():
        assert Objective.select().count() == 0 and KeyResult.select().count() == 0


def test_a_fourth_objective_is_refused(client, app, q1, crm_people, auth):
    for i in range(3):
        assert _objective(client, auth, crm_people.rob, title=f"O{i}", period_id=q1,
                          owner_id=crm_people.rob.id, weight=33,
                          key_results=[_kr()]).status_code == 201
    response = _objective(client, auth, crm_people.rob, title="O4", period_id=q1,
                          owner_id=crm_people.rob.id, key_results=[_kr()])
    assert response.status_code == 422 and "at most 3" in response.get_json()["errors"][
        "owner_id"][0]


BAD_OBJECTIVES = [
    ({"title": "x"}, "period_id"),
    ({"title": "x", "period_id": 99999, "owner_id": None, "unit_id": 1}, "period_id"),
    ({"title": "x", "period_id": "Q", "unit_id": 1}, "period_id"),
    ({"title": "x", "unit_id": 1, "parent_id": 99999}, "parent_id"),
    ({"title": "x"}, "owner_id"),
    ({"title": "x", "unit_id": 1, "key_results": [{"title": "k", "metric": "nope",
                                                    "weight": 100}]}, "key_results.0.metric"),
    ({"title": "x", "unit_id": 1, "key_results": [{"title": "k", "weight": 300}]},
     "key_results"),
]


def test_bad_objectives_answer_422_naming_the_field(client, app, q1, crm_people, auth):
    headers = auth(crm_people.hr)
    for body, field in BAD_OBJECTIVES:
        if "period_id" not in body and field != "period_id":
            body = dict(body, period_id=q1)
        response = client.post("/api/v1/goals/objectives", json=body, headers=headers)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["errors"], (body, response.get_json())
    with app.app_context():
        assert Objective.select().count() == 0


def test_three_field_check_in_by_the_owner_only(client, app, q1, crm_people, auth):
    org = crm_people
    created = _objective(client, auth, org.rob, title="Visits", period_id=q1,
                         owner_id=org.rob.id,
                         key_results=[_kr("Customer visits reach 10", owner_id=org.rob.id,
                                          target_value=10)]).get_json()
    kr_id = created["key_results"][0]["id"]
    response = client.post(f"/api/v1/goals/key-results/{kr_id}/check-ins",
                           json={"progress": 4, "blocker": "no car"}, headers=auth(org.rob))
    assert response.status_code == 201 and response.get_json()["blocker"] == "no car"
    assert client.post(f"/api/v1/goals/key-results/{kr_id}/check-ins", json={"progress": 9},
                       headers=auth(org.rae)).status_code == 404
    assert client.post(f"/api/v1/goals/key-results/{kr_id}/check-ins", json={"progress": 9},
                       headers=auth(org.mia)).status_code == 403
    assert client.post(f"/api/v1/goals/key-results/{kr_id}/check-ins", json={"blocker": "x"},
                       headers=auth(org.rob)).status_code == 422
    card = client.get(f"/api/v1/goals/objectives/{created['id']}",
                      headers=auth(org.rob)).get_json()
    assert card["key_results"][0]["current_value"] == 4
    assert card["key_results"][0]["source"] == "check-in"


def test_hygiene_report_in_both_languages(client, app, q1, crm_people, auth):
    _objective(client, auth, crm_people.rob, title="Mine", period_id=q1,
               owner_id=crm_people.rob.id, key_results=[_kr("完成10次客户拜访")])
    issues = client.get(f"/api/v1/goals/hygiene?period_id={q1}",
                        headers=auth(crm_people.rob)).get_json()
    assert [i["check"] for i in issues] == ["activity_wording"]
    assert issues[0]["message_zh"].startswith("“完成10次客户拜访”描述的是活动")


def test_applying_a_plan_through_the_api_shows_the_derivation(client, app, won_value,
                                                              crm_people, auth):
    from alignboard.goals.models import LocalFactor, TargetPlan

    with app.app_context():
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))
        plan = TargetPlan.create(name="Regions", metric=won_value, period=q1,
                                 parent_unit=crm_people.company.id, total=100,
                                 inherit_pct=70, factor_keys="density")
        LocalFactor.create(unit=crm_people.north.id, key="density", value=3)
        plan_id = plan.id
    response = client.post(f"/api/v1/goals/plans/{plan_id}/apply", headers=auth(crm_people.hr))
    assert response.status_code == 422
    assert "South: density" in response.get_json()["errors"]["factor_keys"][0]
    with app.app_context():
        LocalFactor.create(unit=crm_people.south.id, key="density", value=1)
    response = client.post(f"/api/v1/goals/plans/{plan_id}/apply", headers=auth(crm_people.hr))
    assert response.status_code == 200
    values = {t["unit"]: t["value"] for t in response.get_json()["targets"]}
    assert values == {"North": 57.5, "South": 42.5}
    targets = client.get("/api/v1/metrics/targets?subject_type=unit",
                         headers=auth(crm_people.exec)).get_json()
    assert all("× (70% ×" in t["derivation"] for t in targets)
    assert client.post(f"/api/v1/goals/plans/{plan_id}/apply",
                       headers=auth(crm_people.mia)).status_code == 403


def test_a_key_result_on_a_metric_never_computed_for_it_is_refused(client, app, q1,
                                                                   crm_people, won_value,
                                                                   auth):
    """Re-audit of issue 5, gap 2: a person's key result on a metric computed per unit only
    (or a month objective's on one computed per week and quarter) could never be measured."""
    from alignboard.metrics import definitions
    from fixtures.metrics import WON, won_value_definition

    org = crm_people
    with app.app_context():
        definitions.save(won_value_definition(key="team_won", name="Team won",
                                              by_person=False), filters=WON)
        march = Period.get((Period.kind == "month") & (Period.name == "2017-03")).id
    response = _objective(client, auth, org.hr, title="Mine", period_id=q1,
                          owner_id=org.rob.id,
                          key_results=[_kr("Team won 20k", metric="team_won")])
    assert response.status_code == 422
    assert response.get_json()["errors"]["key_results.0.metric"] == [
        "Team won is not computed per person, so it can never measure this key result: "
        "choose another metric or change the metric's period kinds or grouping"]
    response = _objective(client, auth, org.hr, title="March", period_id=march,
                          unit_id=org.team_a.id,
                          key_results=[_kr("Won 20k", metric="won_value")])
    assert response.status_code == 422
    assert "not computed per month" in response.get_json()["errors"]["key_results.0.metric"][0]
    with app.app_context():
        assert Objective.select().count() == 0
    # The team's quarter objective is measured by it.
    response = _objective(client, auth, org.hr, title="Team", period_id=q1,
                          unit_id=org.team_a.id,
                          key_results=[_kr("Team won 20k", metric="team_won")])
    assert response.status_code == 201, response.get_json()
