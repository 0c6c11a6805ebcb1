"""Languages per user."""
from alignboard.org.models import Person


def test_language_choice_is_saved_for_the_user(client, app, org, login):
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/"})
    with app.app_context():
        assert Person.get(Person.login == "rob").locale == "zh_CN"
    page = client.get("/").data.decode()
    assert 'lang="zh-CN"' in page and "退出" in page


def test_saved_language_applies_at_next_login(client, app, org, login):
    with app.app_context():
        Person.update(locale="zh_CN").where(Person.login == "rob").execute()
    login(org.rob)
    assert 'lang="zh-CN"' in client.get("/").data.decode()


def test_unknown_language_is_refused(client, org, login):
    login(org.rob)
    r = client.post("/language", data={"locale": "xx", "next": "/"}, follow_redirects=True)
    assert "Unknown language" in r.data.decode()


def test_browser_language_is_the_default(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).data.decode()
    assert "登录" in page


def test_lazy_texts_render_outside_a_request(app):
    from flask_babel import lazy_gettext
    with app.app_context():
        assert str(lazy_gettext("Log in")) == "Log in"


def test_serve_command_builds_its_app_inside_the_cli_context(runner, monkeypatch):
    """`alignboard serve` creates an app while the CLI's app context is active."""
    import werkzeug.serving
    started = []
    monkeypatch.setattr(werkzeug.serving, "run_simple",
                        lambda host, port, app, **kw: started.append((port, app)))
    result = runner.invoke(args=["serve", "--port", "5999"])
    assert result.exit_code == 0, result.output
    assert started and started[0][0] == 5999 and started[0][1].name == "alignboard.app"
