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


def test_every_text_in_the_source_has_a_chinese_translation():
    """New strings must reach the catalogue: see "Languages" in the README."""
    from pathlib import Path

    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).parent.parent / "platform" / "alignboard"
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(root), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    with open(root / "translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and m.string and not m.fuzzy}
    missing = sorted(found - translated)
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"


def test_the_catalogue_compiles_without_errors():
    """`pybabel compile` (run by ./dev setup) refuses a translation whose placeholders do
    not match its source text; the tests compile the catalogue without that check, so it is
    made here."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = (Path(__file__).parent.parent / "platform" / "alignboard" / "translations" /
          "zh_Hans_CN" / "LC_MESSAGES" / "messages.po")
    with po.open("rb") as f:
        catalog = read_po(f)
    problems = [(message.id, [str(e) for e in errors])
                for message, errors in catalog.check() if errors]
    assert not problems, problems[:5]
