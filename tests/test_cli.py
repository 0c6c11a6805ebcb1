"""The alignboard command."""
import os
import subprocess
import sys

from alignboard.auth.models import ApiToken
from alignboard.org.models import Person, Role, Unit


def test_init_creates_an_admin_once(runner, app):
    result = runner.invoke(args=["init", "--admin-password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    assert "admin created" in result.output
    again = runner.invoke(args=["init"])
    assert "an admin exists already" in again.output
    with app.app_context():
        assert Person.get(Person.login == "admin").check_password("s3cret-pass")


def test_demo_refuses_an_uninitialised_database(database_url, tmp_path):
    from conftest import make_app
    app = make_app(database_url, tmp_path, migrate=False)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "alignboard init" in result.output


def test_token_prints_only_the_token(runner, app, org):
    result = runner.invoke(args=["token", "rob"])
    assert result.exit_code == 0
    secret = result.stdout.strip()
    assert "\n" not in secret and secret.startswith("ab_")
    with app.app_context():
        assert ApiToken.lookup(secret).login == "rob"


def test_token_for_unknown_user_fails(runner, org):
    result = runner.invoke(args=["token", "nobody"])
    assert result.exit_code != 0 and "no active person" in result.output


def test_import_people_cli_dry_run_and_errors(runner, app, org, tmp_path):
    good = tmp_path / "p.csv"
    good.write_text("login,name,unit,manager\nnew.one,New One,team-a,mia\n")
    result = runner.invoke(args=["import-people", str(good), "--dry-run"])
    assert result.exit_code == 0 and "would create 1" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("login,name,manager\nx,X,ghost\n")
    result = runner.invoke(args=["import-people", str(bad)])
    assert result.exit_code == 1 and "ghost" in result.output
    with app.app_context():
        assert not Person.select().where(Person.login.in_(["new.one", "x"])).exists()


def test_periods_command(runner, app):
    result = runner.invoke(args=["periods", "2017"])
    assert result.exit_code == 0 and "69 period(s) created" in result.output


def test_installed_command_follows_database_url(tmp_path):
    """The real console script, in a subprocess, uses DATABASE_URL like the web app."""
    db = tmp_path / "cli.db"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}", SECRET_KEY="x",
               ALIGNBOARD_INSTANCE_PATH=str(tmp_path / "inst"))
    exe = os.path.join(os.path.dirname(sys.executable), "alignboard")
    out = subprocess.run([exe, "init", "--no-admin"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert db.exists()
    token = subprocess.run([exe, "token", "nobody"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert token.returncode != 0 and token.stdout == ""


def test_periods_command_refuses_a_year_outside_the_calendar(runner, app):
    """A typo such as 20170 is a usage error naming the range, not a Python traceback."""
    result = runner.invoke(args=["periods", "20170"])
    assert result.exit_code == 2
    assert "20170 is not in the range 1900<=x<=9998" in result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit


def test_serve_refuses_a_port_outside_1_to_65535(runner, monkeypatch):
    """99999 would otherwise be taken modulo 65536: the server would quietly start on
    port 34463. It is a usage error naming the range, and nothing is started."""
    import werkzeug.serving
    started = []
    monkeypatch.setattr(werkzeug.serving, "run_simple",
                        lambda host, port, app, **kw: started.append(port))
    for port in ("99999", "0", "-1"):
        result = runner.invoke(args=["serve", "--port", port])
        assert result.exit_code == 2, result.output
        assert "1<=x<=65535" in result.output
    assert started == []


def test_import_dry_run_prints_the_first_names_as_read(runner, app, org, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("login,name\nzhang.san,张三\n".encode("gbk"))
    result = runner.invoke(args=["import-people", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "first rows as read:\n  zhang.san: 张三" in result.output
