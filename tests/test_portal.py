"""The home page and the health check."""
from alignboard.org.models import Person


def test_rep_home_is_not_the_admin_and_shows_no_colleagues(client, org, login):
    login(org.rob)
    page = client.get("/").data.decode()
    assert "Hello, Rob" in page
    assert 'id="team"' not in page and "Rae" not in page
    assert 'href="/admin/"' not in page


def test_manager_home_lists_only_their_team(client, org, login):
    login(org.mia)
    page = client.get("/").data.decode()
    assert "Rob" in page and "Rae" in page and "Ray" not in page


def test_names_are_escaped_on_pages(client, app, org, login):
    with app.app_context():
        Person.update(name="<script>alert(1)</script>").where(Person.login == "rae").execute()
    login(org.mia)
    page = client.get("/").data.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_healthz_reports_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"


def test_healthz_says_503_before_init(database_url, tmp_path):
    from conftest import make_app
    app = make_app(database_url, tmp_path, migrate=False)
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and "alignboard init" in r.get_json()["database"]["schema"]


def test_unknown_page_is_html_not_json(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and not r.is_json


def test_healthz_says_503_as_json_when_the_database_is_unreachable(tmp_path, monkeypatch):
    from conftest import make_app
    from alignboard.db import database
    monkeypatch.setenv("ALIGNBOARD_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app("postgresql://postgres@127.0.0.1:5999/x", tmp_path, migrate=False)
    try:
        r = app.test_client().get("/healthz")
    finally:
        if not database.is_closed():
            database.close()
    assert r.status_code == 503 and r.is_json
    assert r.get_json()["database"]["status"] == "error"
