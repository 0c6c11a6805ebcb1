"""Visibility scopes, and a sweep of every page and endpoint for leaks between reps."""
import re

from werkzeug.routing import IntegerConverter

from alignboard.org import scopes
from alignboard.org.models import Person, Unit

# Routes that are public or serve static files, and need no scope.
PUBLIC = re.compile(r"^/(static|admin/static|api/v1/docs|api/v1/openapi\.json|healthz|login)")


def test_scope_queries(app, org):
    with app.app_context():
        rob = Person.get(Person.login == "rob")
        mia = Person.get(Person.login == "mia")
        exec_ = Person.get(Person.login == "exec")
        assert [p.login for p in scopes.visible_people(rob)] == ["rob"]
        assert {p.login for p in scopes.visible_people(mia)} == {"mia", "rob", "rae"}
        assert scopes.visible_people(exec_).count() == 8
        assert {u.code for u in scopes.visible_units(mia)} == {"team-a"}
        assert not scopes.can_see_person(rob, org.rae.id)
        assert scopes.can_see_person(mia, org.rae.id)


def test_manager_of_a_region_sees_its_teams(app, org):
    with app.app_context():
        north = Unit.get(Unit.code == "north")
        north.leader = Person.get(Person.login == "max")
        north.save()
        max_ = Person.get(Person.login == "max")
        assert {p.login for p in scopes.visible_people(max_)} >= {"rob", "rae", "ray", "mia"}


def _get_urls(app, other):
    """Every GET URL of the app, with id arguments pointing at ``other``'s rows."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or PUBLIC.match(rule.rule):
            continue
        values = {}
        for arg in rule.arguments:
            is_int = isinstance(rule._converters[arg], IntegerConverter)
            values[arg] = other.id if is_int else other.login
        try:
            urls.append(rule.build(values, append_unknown=False)[1])
        except Exception:
            continue
    return urls


def test_a_rep_never_sees_another_reps_data_on_any_page_or_endpoint(app, client, org, auth,
                                                                    login):
    """Sweeps every GET route as rob, by session and by token; rae must never appear."""
    with app.app_context():
        Person.update(name="Zelda Secret", email="zelda.secret@example.test").where(
            Person.login == "rae").execute()
    urls = _get_urls(app, org.rae)
    assert len(urls) > 10
    login(org.rob)
    headers = auth(org.rob)
    for url in urls:
        for kwargs in ({}, {"headers": headers}):
            r = client.get(url, **kwargs)
            body = r.get_data(as_text=True)
            assert "Zelda Secret" not in body and "zelda.secret" not in body, (url, kwargs)


def test_a_manager_who_leads_no_unit_and_has_none_sees_only_themselves(app, client, org,
                                                                       auth, login):
    """No led units and no own unit: pages answer 200 and show nobody else's data."""
    from alignboard.org.models import Role

    with app.app_context():
        loner = Person(login="loner", name="Lone Manager", email="loner@example.test",
                       role=Role.get(Role.key == "manager"), unit=None)
        loner.set_password("password123")
        loner.save()
    login(loner)
    headers = auth(loner)
    for url in ("/", "/api/v1/units/", "/api/v1/metrics/values", "/api/v1/rule-firings/"):
        r = client.get(url, headers=headers if url.startswith("/api/") else {})
        assert r.status_code == 200, (url, r.status_code)
        body = r.get_data(as_text=True)
        for other in ("rae@example.test", "Team A", "team-a", "Rae"):
            assert other not in body, (url, other)
    units = client.get("/api/v1/units/", headers=headers).get_json()
    assert not (units.get("items") if isinstance(units, dict) else units)
