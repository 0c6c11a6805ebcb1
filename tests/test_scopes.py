"""Visibility scopes, and a sweep of every page and endpoint for leaks between reps."""
import io
import itertools
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


def _get_urls(app, ids, names):
    """Every GET URL of the app, once for each way of filling its arguments: integer ones
    with each of ``ids`` (the other rep's rows of every kind), the others with each of
    ``names`` (the other rep's login, a form key...)."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or PUBLIC.match(rule.rule):
            continue
        choices = [[(arg, v) for v in (
            ids if isinstance(rule._converters[arg], IntegerConverter) else names)]
            for arg in sorted(rule.arguments)]
        for combination in itertools.product(*choices):
            try:
                urls.add(rule.build(dict(combination), append_unknown=False)[1])
            except Exception:
                continue
    return sorted(urls)


def _plant_rae_data(app, client, org, auth):
    """rae's name and e-mail, plus a sent submission, an uploaded attachment and an
    account record, each carrying the marker; returns (ids, names) to build URLs from."""
    from alignboard.records.models import Record

    with app.app_context():
        Person.update(name="Zelda Secret", email="zelda.secret@example.test").where(
            Person.login == "rae").execute()
        record = Record.create(external_id="zelda-acct", type="account", owner=org.rae,
                               fields={"name": "Zelda Secret Account"})
    h = auth(org.rae)
    upload = client.post("/api/v1/forms/target_adjustment/attachments?field=evidence",
                         data={"file": (io.BytesIO(b"Zelda Secret file"), "zelda-secret.pdf")},
                         headers=h, content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    attachment = upload.get_json()["id"]
    sent = client.post("/api/v1/forms/target_adjustment/submissions/", headers=h, json={
        "data": {"target": "Zelda Secret target", "current_value": 1, "proposed_value": 2,
                 "reason": "Zelda Secret reason", "evidence_kind": "other",
                 "evidence": attachment}})
    assert sent.status_code == 201, sent.get_json()
    checkin = client.post("/api/v1/forms/kr_checkin/submissions/", headers=h,
                          json={"data": {"goal": "Zelda Secret goal", "progress": 5}})
    assert checkin.status_code == 201, checkin.get_json()
    ids = {org.rae.id, record.id, attachment, sent.get_json()["id"], checkin.get_json()["id"]}
    return ids, {org.rae.login, "target_adjustment", "kr_checkin"}


def test_a_rep_never_sees_another_reps_data_on_any_page_or_endpoint(app, client, org, auth,
                                                                    login, forms):
    """Sweeps every GET route as rob, by session and by token, with ids of each of rae's
    rows; rae's name, e-mail, answers, file and account must never appear."""
    ids, names = _plant_rae_data(app, client, org, auth)
    urls = _get_urls(app, ids, names)
    assert len(urls) > 10
    login(org.rob)
    headers = auth(org.rob)
    for url in urls:
        for kwargs in ({}, {"headers": headers}):
            r = client.get(url, **kwargs)
            body = r.get_data(as_text=True)
            assert "Zelda Secret" not in body and "zelda.secret" not in body \
                and "zelda-secret" not in body, (url, kwargs)
    # The sweep can see each planted row: rae's manager meets every marker on some URL.
    seen = set()
    markers = ("zelda.secret", "Zelda Secret goal", "zelda-secret.pdf", "Zelda Secret Account")
    manager, as_manager = auth(org.mia), app.test_client()  # without rob's session
    for url in urls:
        body = as_manager.get(url, headers=manager).get_data(as_text=True)
        seen.update(m for m in markers if m in body)
    assert seen == set(markers)


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
