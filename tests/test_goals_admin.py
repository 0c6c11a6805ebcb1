"""Goals admin: objectives with key results as form rows, hygiene refused on save, the
cascade page with health, alignment and hygiene issues."""
from alignboard.goals.models import KeyResult, Objective
from alignboard.org.models import Period


def _form(token, period_id, **extra):
    data = {"csrf_token": token, "title": "Grow", "description": "", "period": str(period_id),
            "owner": "__None", "unit": "__None", "parent": "__None", "tags": "medical",
            "weight": "100", "health_mode": "weakest"}
    data.update(extra)
    return data


def _kr(i, title, weight):
    return {f"key_results-{i}-title": title, f"key_results-{i}-owner": "__None",
            f"key_results-{i}-criterion": "", f"key_results-{i}-deadline": "",
            f"key_results-{i}-start_value": "0", f"key_results-{i}-target_value": "10",
            f"key_results-{i}-unit_label": "", f"key_results-{i}-weight": str(weight),
            f"key_results-{i}-metric": "__None"}


def test_objective_with_key_results_and_the_cascade_page(client, app, crm_people,
                                                         admin_session):
    org = crm_people
    with app.app_context():
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1")).id
    token = admin_session(org.hr)
    response = client.post("/admin/objective/new/", data=_form(
        token, q1, unit=str(org.company.id), **_kr(0, "Win rate 30%", 60),
        **_kr(1, "Publish two case studies", 40)))
    assert response.status_code == 302, response.data.decode()[-3000:]
    with app.app_context():
        top = Objective.get(Objective.title == "Grow")
        assert KeyResult.select().where(KeyResult.objective == top).count() == 2
    client.post("/admin/objective/new/", data=_form(
        token, q1, title="South retail", unit=str(org.south.id), parent=str(top.id),
        tags="retail", **_kr(0, "Retail revenue 1M", 100)))
    page = client.get("/admin/goal_cascade/").data.decode()
    assert 'data-alignment="red"' in page and "does not match" in page
    assert 'data-check="activity_wording"' in page


def test_key_result_weights_not_adding_up_are_refused(client, app, crm_people, admin_session):
    org = crm_people
    with app.app_context():
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1")).id
    token = admin_session(org.hr)
    response = client.post("/admin/objective/new/", data=_form(
        token, q1, owner=str(org.rob.id), **_kr(0, "A", 60), **_kr(1, "B", 60)),
        follow_redirects=True)
    assert "120%" in response.data.decode()
    with app.app_context():
        assert Objective.select().count() == 0 and KeyResult.select().count() == 0


def test_objective_needs_exactly_one_owner(client, app, crm_people, admin_session):
    with app.app_context():
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1")).id
    token = admin_session(crm_people.hr)
    response = client.post("/admin/objective/new/", data=_form(token, q1),
                           follow_redirects=True)
    assert "belongs to a person or a unit" in response.data.decode()
