"""The org REST API: scoped reads, hr/admin writes, JSON errors."""


def test_rep_cannot_see_other_reps_through_people_api(client, org, auth):
    h = auth(org.rob)
    listed = client.get("/api/v1/people/", headers=h).get_json()
    assert [p["login"] for p in listed] == ["rob"]
    assert client.get(f"/api/v1/people/{org.rae.id}", headers=h).status_code == 404
    assert client.get(f"/api/v1/people/{org.rob.id}", headers=h).status_code == 200


def test_manager_sees_the_subtree_of_the_units_they_lead(client, org, auth):
    logins = {p["login"] for p in client.get("/api/v1/people/",
                                             headers=auth(org.mia)).get_json()}
    assert logins == {"mia", "rob", "rae"}
    assert client.get(f"/api/v1/people/{org.ray.id}", headers=auth(org.mia)).status_code == 404


def test_hr_sees_everyone(client, org, auth):
    people = client.get("/api/v1/people/", headers=auth(org.hr)).get_json()
    assert len(people) == 8


def test_api_without_token_answers_401_json(client, org):
    r = client.get("/api/v1/people/")
    assert r.status_code == 401
    assert r.get_json()["status"] == 401


def test_bad_token_answers_401(client, org):
    r = client.get("/api/v1/people/", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_hr_creates_a_person_and_rep_may_not(client, org, auth):
    body = {"login": "new.rep", "name": "New Rep", "unit_id": org.team_a.id,
            "manager_id": org.mia.id, "role": "rep"}
    assert client.post("/api/v1/people/", json=body, headers=auth(org.rob)).status_code == 403
    r = client.post("/api/v1/people/", json=body, headers=auth(org.hr))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["role"] == "rep"


def test_duplicate_login_answers_409(client, org, auth):
    r = client.post("/api/v1/people/", json={"login": "rob", "name": "Another Rob"},
                    headers=auth(org.hr))
    assert r.status_code == 409
    assert "login" in r.get_json()["errors"]


def test_invalid_fields_answer_422_with_per_field_messages(client, org, auth):
    r = client.post("/api/v1/people/", json={"login": "Bad Login!", "email": "nope"},
                    headers=auth(org.hr))
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert set(errors) >= {"login", "name", "email"}


def test_unknown_reference_answers_422(client, org, auth):
    r = client.post("/api/v1/people/", json={"login": "x", "name": "X", "unit_id": 9999},
                    headers=auth(org.hr))
    assert r.status_code == 422
    assert "unit_id" in r.get_json()["errors"]


def test_management_cycle_refused_through_api(client, org, auth):
    r = client.patch(f"/api/v1/people/{org.mia.id}", json={"manager_id": org.rob.id},
                     headers=auth(org.hr))
    assert r.status_code == 422


def test_unit_cycle_refused_through_api(client, org, auth):
    r = client.patch(f"/api/v1/units/{org.company.id}", json={"parent_id": org.team_a.id},
                     headers=auth(org.hr))
    assert r.status_code == 422


def test_units_scoped_by_role(client, org, auth):
    codes = [u["code"] for u in client.get("/api/v1/units/", headers=auth(org.rob)).get_json()]
    assert codes == ["team-a"]
    codes = {u["code"] for u in client.get("/api/v1/units/",
                                           headers=auth(org.exec)).get_json()}
    assert codes == {"co", "north", "south", "team-a", "team-b"}


def test_people_are_paginated(client, org, auth):
    r = client.get("/api/v1/people/?page=2&page_size=3", headers=auth(org.hr))
    assert r.status_code == 200
    assert len(r.get_json()) == 3
    assert '"total": 8' in r.headers["X-Pagination"]


def test_periods_list_and_filter(client, app, org, auth):
    from alignboard.org import periods
    from datetime import date
    with app.app_context():
        periods.generate(2017)
    r = client.get("/api/v1/periods/?kind=week&on=2017-03-01", headers=auth(org.rob))
    weeks = r.get_json()
    assert [w["name"] for w in weeks] == ["2017-W09"]
    assert weeks[0]["start"] == "2017-02-27"
    assert date.fromisoformat(weeks[0]["start"]).weekday() == 0


def test_period_ending_before_start_is_422(client, org, auth):
    r = client.post("/api/v1/periods/", headers=auth(org.hr),
                    json={"kind": "month", "name": "bad", "start": "2017-02-01",
                          "end": "2017-01-01"})
    assert r.status_code == 422


def test_periods_break_no_calendar_rule_through_the_api(client, app, org, auth):
    """The API refuses what the admin refuses (Period.problems): a week off Monday or not
    seven days long, and two periods of one kind sharing a day, each as 422 per field."""
    from alignboard.org.models import Period

    h = auth(org.hr)
    url = "/api/v1/periods/"
    # 2026-01-07 is a Wednesday.
    r = client.post(url, headers=h, json={"kind": "week", "name": "x",
                                          "start": "2026-01-07", "end": "2026-01-13"})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"start": ["A week must start on a Monday."]}
    r = client.post(url, headers=h, json={"kind": "week", "name": "x",
                                          "start": "2026-01-05", "end": "2026-01-14"})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["end"]
    r = client.post(url, headers=h, json={"kind": "week", "name": "2026-W02",
                                          "start": "2026-01-05", "end": "2026-01-11"})
    assert r.status_code == 201, r.get_json()
    week = r.get_json()["id"]
    r = client.post(url, headers=h, json={"kind": "month", "name": "2026-01",
                                          "start": "2026-01-01", "end": "2026-01-31"})
    assert r.status_code == 201, r.get_json()
    # Another month that shares a day with January is refused; a week is another kind.
    r = client.post(url, headers=h, json={"kind": "month", "name": "odd",
                                          "start": "2026-01-31", "end": "2026-02-27"})
    assert r.status_code == 422
    assert "overlaps 2026-01 (2026-01-01 to 2026-01-31)" in r.get_json()["errors"]["start"][0]
    r = client.post(url, headers=h, json={"kind": "week", "name": "2026-W03",
                                          "start": "2026-01-12", "end": "2026-01-18"})
    assert r.status_code == 201
    # A change is checked against the others, not against the period itself.
    r = client.patch(f"{url}{week}", headers=h, json={"name": "week two"})
    assert r.status_code == 200, r.get_json()
    r = client.patch(f"{url}{week}", headers=h, json={"start": "2026-01-12",
                                                      "end": "2026-01-18"})
    assert r.status_code == 422 and "overlaps 2026-W03" in r.get_json()["errors"]["start"][0]
    r = client.patch(f"{url}{week}", headers=h, json={"start": "2026-01-06"})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"start", "end"}
    with app.app_context():
        assert Period.get_by_id(week).start.isoformat() == "2026-01-05"
        assert Period.select().count() == 3


def test_unknown_api_path_is_json_404(client, org, auth):
    r = client.get("/api/v1/nothing-here", headers=auth(org.hr))
    assert r.status_code == 404
    assert r.is_json


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/people/" in spec["paths"]
    assert "/api/v1/units/{unit_id}" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/api/v1/docs/static/" in docs.data
    assert client.get("/api/v1/docs/static/swagger-ui-bundle.js").status_code == 200


def test_me_returns_the_token_owner(client, org, auth):
    assert client.get("/api/v1/me/", headers=auth(org.ray)).get_json()["login"] == "ray"


def test_html_in_names_is_returned_as_data_not_markup(client, org, auth):
    r = client.post("/api/v1/people/", headers=auth(org.hr),
                    json={"login": "x.y", "name": "<script>alert(1)</script>"})
    assert r.status_code == 201
    assert r.get_json()["name"] == "<script>alert(1)</script>"


def test_malformed_json_answers_400_json(client, org, auth):
    r = client.post("/api/v1/people/", data="{not json", headers={
        **auth(org.hr), "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["message"] == "Invalid JSON body."


def test_over_long_ids_answer_404_on_read_and_422_on_write(client, org, auth):
    """Ids beyond 64 bits name nothing; they must never reach the driver (OverflowError)."""
    h = auth(org.hr)
    huge = "99999999999999999999999"
    for url in (f"/api/v1/people/{huge}", f"/api/v1/units/{huge}", f"/api/v1/periods/{huge}"):
        r = client.get(url, headers=h)
        assert r.status_code == 404 and r.is_json, url
    body = {"login": "big.id", "name": "Big Id", "unit_id": 99999999999999999999}
    r = client.post("/api/v1/people/", json=body, headers=h)
    assert r.status_code == 422 and "unit_id" in str(r.get_json()), r.get_json()
    r = client.post("/api/v1/units/", json={"code": "x", "name": "X",
                                            "parent_id": 99999999999999999999}, headers=h)
    assert r.status_code == 422
    r = client.get("/api/v1/people/?unit_id=99999999999999999999", headers=h)
    assert r.status_code == 422
    # A page whose offset no database can reach is refused as a field, not an overflow.
    for url in ("/api/v1/people/", "/api/v1/units/", "/api/v1/periods/"):
        r = client.get(f"{url}?page={huge}", headers=h)
        assert r.status_code == 422 and list(r.get_json()["errors"]) == ["page"], url
    # The last page the database can offset still answers, with nothing on it.
    r = client.get(f"/api/v1/people/?page={(2**63 - 1) // 50 + 1}", headers=h)
    assert r.status_code == 200 and r.get_json() == []


def test_no_route_of_any_area_fails_on_an_over_long_id(app, client, org, auth):
    from werkzeug.routing import IntegerConverter

    h = auth(org.admin)
    huge = 99999999999999999999999
    visited = 0
    for rule in app.url_map.iter_rules():
        ints = [a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter)]
        if "GET" not in rule.methods or not ints or set(ints) != set(rule.arguments):
            continue
        url = rule.rule
        for arg in ints:
            url = url.replace(f"<int:{arg}>", str(huge))
        r = client.get(url, headers=h)
        assert r.status_code == 404, (url, r.status_code)
        visited += 1
    assert visited > 5


def test_duplicate_external_id_answers_409_naming_external_id(client, org, auth):
    h = auth(org.hr)
    r = client.patch(f"/api/v1/people/{org.rob.id}", json={"external_id": "CRM-1"}, headers=h)
    assert r.status_code == 200, r.get_json()
    r = client.post("/api/v1/people/", json={"login": "newbie", "name": "Newbie",
                                             "external_id": "CRM-1"}, headers=h)
    assert r.status_code == 409
    assert list(r.get_json()["errors"]) == ["external_id"]
    assert "external_id" in r.get_json()["message"]
    r = client.patch(f"/api/v1/people/{org.rae.id}", json={"external_id": "CRM-1"}, headers=h)
    assert r.status_code == 409 and list(r.get_json()["errors"]) == ["external_id"]


def test_a_nul_character_anywhere_in_a_request_answers_422(client, app, org, auth):
    """PostgreSQL cannot store NUL (\x00) in text; every API request carrying one, in the
    body (nested too) or the query, is refused naming the field, and nothing is written."""
    h = auth(org.hr)
    r = client.post("/api/v1/people/", headers=h, json={"login": "nul.one", "name": "a\x00b"})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"name": ["Must not contain a NUL character (code 0)."]}
    r = client.patch(f"/api/v1/people/{org.rob.id}", headers=h, json={"name": "Rob\x00"})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["name"]
    r = client.post("/api/v1/units/", headers=h,
                    json={"code": "x", "name": "X", "extra": {"deep": ["ok", "n\x00"]}})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["extra.deep"]
    r = client.get("/api/v1/people/?q=ro%00b", headers=h)
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["q"]
    with app.app_context():
        from alignboard.org.models import Person, Unit
        assert Person.get_by_id(org.rob.id).name == "Rob"
        assert not Person.select().where(Person.login == "nul.one").exists()
        assert not Unit.select().where(Unit.code == "x").exists()


def test_control_characters_in_names_codes_and_logins_answer_422(client, app, org, auth):
    """A bell (\\u0007) or a line break in a name would be stored, shown on one line and
    then break every XLSX export naming the person (openpyxl refuses it): the API refuses
    what the importer refuses, naming the field, and writes nothing."""
    h = auth(org.hr)
    for name in ("a\u0007", "a\nb", "a\tb", "esc\u001b[31m"):
        r = client.patch(f"/api/v1/people/{org.rob.id}", headers=h, json={"name": name})
        assert r.status_code == 422, (name, r.get_json())
        assert r.get_json()["errors"] == {
            "name": ["Must be one line, without tabs or control characters."]}
    r = client.post("/api/v1/people/", headers=h,
                    json={"login": "bell", "name": "Bell", "external_id": "X\u0001"})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["external_id"]
    r = client.post("/api/v1/units/", headers=h, json={"code": "u\u0001", "name": "U"})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["code"]
    r = client.post("/api/v1/units/", headers=h, json={"code": "u", "name": "U\r\n"})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["name"]
    r = client.post("/api/v1/periods/", headers=h, json={
        "kind": "year", "name": "20\u000740", "start": "2040-01-01", "end": "2040-12-31"})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["name"]
    # Letters of any script, spaces and punctuation are still names.
    r = client.patch(f"/api/v1/people/{org.rob.id}", headers=h, json={"name": "陈 Rob-O'Neil"})
    assert r.status_code == 200
    with app.app_context():
        from alignboard.org.models import Person, Unit
        assert Person.get_by_id(org.rob.id).name == "陈 Rob-O'Neil"
        assert not Person.select().where(Person.login == "bell").exists()
        assert not Unit.select().where(Unit.code.in_(["u", "u\u0001"])).exists()
