"""Login, sessions, CSRF and API tokens."""
import re

from alignboard.auth.models import ApiToken
from alignboard.org.models import Person
from conftest import make_app


def test_login_with_the_right_password_opens_the_home_page(client, org, login):
    login(org.rob)
    page = client.get("/")
    assert page.status_code == 200 and b"Rob" in page.data


def test_wrong_password_is_refused(client, org):
    r = client.post("/login", data={"login": "rob", "password": "nope"})
    assert r.status_code == 401 and b"Wrong login or password" in r.data


def test_inactive_person_cannot_log_in_or_use_a_token(client, app, org, auth):
    headers = auth(org.rob)
    with app.app_context():
        Person.update(active=False).where(Person.login == "rob").execute()
    assert client.post("/login", data={"login": "rob", "password": "password123"}
                       ).status_code == 401
    assert client.get("/api/v1/me/", headers=headers).status_code == 401


def test_home_requires_login(client, org):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_login_does_not_redirect_off_site(client, org):
    r = client.post("/login?next=https://evil.example/x",
                    data={"login": "rob", "password": "password123"})
    assert r.headers["Location"] == "/"


def test_revoked_token_is_refused(client, app, org):
    with app.app_context():
        row, secret = ApiToken.issue(org.rob)
        row.revoke()
    r = client.get("/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401


def test_only_the_token_hash_is_stored(app, org):
    with app.app_context():
        row, secret = ApiToken.issue(org.rob)
        assert secret not in row.token_hash and len(row.token_hash) == 64


def test_browser_forms_need_a_csrf_token(database_url, tmp_path, org):
    app = make_app(database_url, tmp_path, migrate=False, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"login": "rob", "password": "password123"}
                       ).status_code == 400
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"login": "rob", "password": "password123",
                                    "csrf_token": token})
    assert r.status_code == 302


def test_api_with_a_token_needs_no_csrf_but_a_cookie_session_does(database_url, tmp_path,
                                                                    org, auth):
    app = make_app(database_url, tmp_path, migrate=False, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    body = {"login": "via.token", "name": "Via Token"}
    assert client.post("/api/v1/people/", json=body, headers=auth(org.hr)).status_code == 201
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": "hr", "password": "password123",
                                "csrf_token": token})
    r = client.post("/api/v1/people/", json={"login": "via.cookie", "name": "C"})
    assert r.status_code == 400 and r.is_json
    r = client.post("/api/v1/people/", json={"login": "via.cookie", "name": "C"},
                    headers={"X-CSRFToken": token})
    assert r.status_code == 201


def test_session_cookie_is_http_only(client, org):
    r = client.post("/login", data={"login": "rob", "password": "password123"})
    cookie = r.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
