"""/goals: the cascade in the portal for everyone signed in, scoped like the API."""
import pytest

from alignboard.org.models import Period


@pytest.fixture
def q1(app, crm_people):
    with app.app_context():
        return Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1")).id


def _objective(client, auth, who, **body):
    body.setdefault("key_results", [{"title": "Won value 100k", "weight": 100,
                                     "target_value": 100000}])
    r = client.post("/api/v1/goals/objectives", json=body, headers=auth(who))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_rep_sees_the_strategy_above_and_own_objectives_but_not_a_colleagues(
        client, q1, crm_people, auth, login):
    org = crm_people
    top = _objective(client, auth, org.hr, title="Grow <b>medical</b>", period_id=q1,
                     unit_id=org.company.id, tags="medical")
    _objective(client, auth, org.rob, title="Rob's medical deals", period_id=q1,
               owner_id=org.rob.id, parent_id=top, tags="medical")
    _objective(client, auth, org.hr, title="Rae's deals", period_id=q1,
               owner_id=org.rae.id, parent_id=top)
    login(org.rob)
    page = client.get(f"/goals?period_id={q1}")
    assert page.status_code == 200
    html = page.data.decode()
    assert "Grow &lt;b&gt;medical&lt;/b&gt;" in html and "Rob&#39;s medical deals" in html
    assert "Rae&#39;s deals" not in html
    assert 'id="cascade"' in html and "Legend" in html


def test_manager_sees_the_team_under_the_company_objective(client, q1, crm_people, auth,
                                                            login):
    org = crm_people
    top = _objective(client, auth, org.hr, title="Company goal", period_id=q1,
                     unit_id=org.company.id)
    _objective(client, auth, org.hr, title="Rae's deals", period_id=q1,
               owner_id=org.rae.id, parent_id=top)
    _objective(client, auth, org.hr, title="Ray's deals", period_id=q1,
               owner_id=org.ray.id, parent_id=top)
    login(org.mia)
    html = client.get("/goals").data.decode()
    assert "Company goal" in html and "Rae&#39;s deals" in html
    assert "Ray&#39;s deals" not in html  # team B is max's


def test_page_without_objectives_says_so_and_needs_a_login(client, org, login):
    assert client.get("/goals").status_code == 302
    login(org.rob)
    html = client.get("/goals").data.decode()
    assert "No objectives you may see yet." in html
