"""Fixtures: ``app``, ``client``, ``runner`` on a fresh database per test, and a small org.

The backend is SQLite unless ``ALIGNBOARD_TEST_DB=postgres``; then every test gets its own
PostgreSQL schema in the database ``ALIGNBOARD_TEST_POSTGRES_URL`` names (missing: the run
fails, it does not skip).
"""
import os
import uuid
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from alignboard.app import create_app
from alignboard.db import database
from alignboard.migrations import upgrade

# Each area keeps its own fixtures in tests/fixtures/<area>.py; they load here, so that
# areas never edit the same fixture file.
pytest_plugins = sorted(
    f"fixtures.{name[:-3]}"
    for name in os.listdir(os.path.join(os.path.dirname(__file__), "fixtures"))
    if name.endswith(".py") and not name.startswith("_"))

BACKEND = os.environ.get("ALIGNBOARD_TEST_DB", "sqlite")


def _compile_catalogues():
    """Compile a .po newer than its .mo, so that plain `pytest` sees current Chinese."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).parent.parent / "platform" / "alignboard" / "translations"
    for po in root.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog)


_compile_catalogues()
FAST_HASH = "pbkdf2:sha256:1000"


def pg_base_url():
    url = os.environ.get("ALIGNBOARD_TEST_POSTGRES_URL")
    if not url:
        raise RuntimeError("ALIGNBOARD_TEST_DB=postgres needs ALIGNBOARD_TEST_POSTGRES_URL")
    return url


def _pg_exec(sql):
    import psycopg2
    from playhouse.db_url import parseresult_to_dict
    from urllib.parse import urlparse

    params = parseresult_to_dict(urlparse(pg_base_url()))
    params["dbname"] = params.pop("database")
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


@pytest.fixture
def database_url(tmp_path):
    """A URL to an empty database of the chosen backend, removed after the test."""
    if BACKEND == "postgres":
        schema = "t_" + uuid.uuid4().hex[:12]
        _pg_exec(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in pg_base_url() else "?"
        yield f"{pg_base_url()}{sep}options={quote(f'-c search_path={schema}')}"
        if not database.is_closed():
            database.close()
        _pg_exec(f"DROP SCHEMA {schema} CASCADE")
    else:
        yield f"sqlite:///{tmp_path / 'test.db'}"


def make_app(database_url, tmp_path, migrate=True, **config):
    settings = {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                "LOAD_ENTRY_POINT_PLUGINS": False, "WTF_CSRF_ENABLED": False,
                "PASSWORD_HASH_METHOD": FAST_HASH, "UPLOAD_FOLDER": str(tmp_path / "uploads")}
    settings.update(config)
    app = create_app(settings)
    if migrate:
        with app.app_context():
            upgrade(database.obj)
    return app


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNBOARD_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(database_url, tmp_path)
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


PASSWORD = "password123"


@pytest.fixture
def org(app):
    """A company with two regions; team A (manager mia: reps rob, rae), team B (manager
    max: rep ray); hr, exec and admin at the top. Everyone's password is PASSWORD."""
    from alignboard.org.models import Person, Role, Unit

    with app.app_context():
        roles = {r.key: r for r in Role.select()}
        company = Unit.create(code="co", name="Company", kind="company")
        north = Unit.create(code="north", name="North", kind="region", parent=company)
        south = Unit.create(code="south", name="South", kind="region", parent=company)
        team_a = Unit.create(code="team-a", name="Team A", parent=north)
        team_b = Unit.create(code="team-b", name="Team B", parent=south)

        def person(login, role, unit, manager=None):
            p = Person(login=login, name=login.title(), role=roles[role], unit=unit,
                       manager=manager, email=f"{login}@example.test")
            p.set_password(PASSWORD)
            p.save()
            return p

        exec_ = person("exec", "exec", company)
        hr = person("hr", "hr", company)
        admin = person("admin", "admin", company)
        mia = person("mia", "manager", team_a, exec_)
        max_ = person("max", "manager", team_b, exec_)
        rob = person("rob", "rep", team_a, mia)
        rae = person("rae", "rep", team_a, mia)
        ray = person("ray", "rep", team_b, max_)
        team_a.leader = mia
        team_a.save()
        team_b.leader = max_
        team_b.save()
        return SimpleNamespace(company=company, north=north, south=south, team_a=team_a,
                               team_b=team_b, exec=exec_, hr=hr, admin=admin, mia=mia,
                               max=max_, rob=rob, rae=rae, ray=ray)


@pytest.fixture
def auth(app):
    """auth(person) -> headers with a fresh API token for that person."""
    from alignboard.auth.models import ApiToken

    def headers(person):
        with app.app_context():
            _, secret = ApiToken.issue(person, "test")
        return {"Authorization": f"Bearer {secret}"}
    return headers


@pytest.fixture
def login(client):
    """login(person) logs the test client in through the login form."""
    def do(person, password=PASSWORD):
        response = client.post("/login", data={"login": person.login, "password": password})
        assert response.status_code == 302, response.data
        return response
    return do
