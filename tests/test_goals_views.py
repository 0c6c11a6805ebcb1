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


def _legend_setup(app, crm_people, won_value, q1):
    """Won value coloured by HR's bands (green from 120% of pace): Rob's objective with a
    key result on it and a manual one."""
    from alignboard.goals.models import KeyResult, Objective
    from alignboard.metrics import colours

    with app.app_context():
        colours.save_rule(won_value, "pace", [
            dict(colour="green", lower=120, upper=None),
            dict(colour="amber", lower=90, upper=120),
            dict(colour="red", lower=None, upper=90, label="far behind")])
        o = Objective.create(title="Win", period=q1, owner=crm_people.rob)
        on_metric = KeyResult.create(objective=o, title="Won value 100k", owner=crm_people.rob,
                                     metric=won_value, target_value=100000, weight=50)
        manual = KeyResult.create(objective=o, title="Visits reach 10", target_value=10,
                                  weight=50)
        return on_metric.id, manual.id


def _kr_line(html, kr_id):
    start = html.index(f'data-kr="{kr_id}"')
    return html[start:html.index("</li>", start)]


def _check_legends(html, on_metric, manual):
    # The default legend for manual key results, and the metric's own bands next to it.
    assert 'data-legend="default"' in html and "up to 15% behind pace" in html
    legend = html[html.index('data-legend="won_value"'):]
    legend = legend[:legend.index("</div>")]
    assert "Bands of Won value" in legend and "120% or more of pace" in legend
    assert "below 90% of pace (far behind)" in legend
    # Each key result says which bands coloured it.
    assert 'data-bands="won_value"' in _kr_line(html, on_metric)
    assert "bands of Won value" in _kr_line(html, on_metric)
    assert "data-bands" not in _kr_line(html, manual)


def test_cascade_pages_and_home_card_show_the_bands_colouring_each_key_result(
        client, app, q1, crm_people, won_value, login, admin_session):
    """Issue 5, C2: the fixed "up to 15% behind pace" legend alone contradicted the metric's
    bands, which colour a key result measured by it: every goals view shows both, and
    which key result uses which."""
    on_metric, manual = _legend_setup(app, crm_people, won_value, q1)
    login(crm_people.rob)
    _check_legends(client.get(f"/goals?period_id={q1}").data.decode(), on_metric, manual)
    home = client.get("/").data.decode()
    card = home[home.index('id="my-objectives"'):]
    _check_legends(card, on_metric, manual)
    client.get("/logout")
    admin_session(crm_people.hr)
    _check_legends(client.get(f"/admin/goal_cascade/?period_id={q1}").data.decode(),
                   on_metric, manual)


def test_colour_words_are_translated_on_chinese_goal_pages(client, app, q1, crm_people,
                                                         won_value, login):
    from alignboard.org.models import Person

    on_metric, _ = _legend_setup(app, crm_people, won_value, q1)
    with app.app_context():
        Person.update(locale="zh_CN").where(Person.id == crm_people.rob.id).execute()
    login(crm_people.rob)
    for html in (client.get("/goals").data.decode(), client.get("/").data.decode()):
        badge = _kr_line(html, on_metric)
        assert 'data-colour="red"' in badge and ">红色</span>" in badge
        assert ">red</span>" not in html and ">green</span>" not in html
        assert "Won value的颜色区间" in html


def test_health_explanations_follow_the_readers_language_and_the_api_stays_english(
        client, app, q1, crm_people, auth, login):
    """How an objective got its colour and why a key result is grey or red are sentences a
    person reads: Chinese on a Chinese page, English in the API."""
    from datetime import date

    from alignboard.goals.models import CheckIn, KeyResult, Objective
    from alignboard.org.models import Person

    with app.app_context():
        o = Objective.create(title="Visits", period=q1, owner=crm_people.rob)
        late = KeyResult.create(objective=o, title="Ten pilots", target_value=10, weight=50,
                                deadline=date(2017, 2, 1))
        CheckIn.create(key_result=late, person=crm_people.rob, progress=5)
        KeyResult.create(objective=o, title="No target yet", weight=50)
        Person.update(locale="zh_CN").where(Person.id == crm_people.rob.id).execute()
    login(crm_people.rob)
    html = client.get(f"/goals?period_id={q1}").data.decode()
    assert "最弱的关键结果：Ten pilots" in html and "已过截止日期且未达成" in html
    assert "没有目标值或尚无数值" in html
    assert "weakest key result" not in html and "past the deadline" not in html
    body = client.get(f"/api/v1/goals/objectives/{o.id}", headers=auth(crm_people.rob))
    data = body.get_json()
    assert data["health"]["how"] == "weakest key result: Ten pilots"
    assert {kr["reason"] for kr in data["key_results"]} == {
        "past the deadline and not reached", "no target value or no value yet"}
