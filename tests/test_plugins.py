"""Plugin loading: entry points, isolation of broken plugins, the CLI and the admin page."""
import types

import pytest
from conftest import make_app

from alignboard import hookimpl, plugins


def test_installed_connector_plugins_load_from_entry_points(database_url, tmp_path):
    app = make_app(database_url, tmp_path, LOAD_ENTRY_POINT_PLUGINS=True)
    info = {p.name: p for p in plugins.current_for(app).list()}
    for name in ("csv", "rest", "webhook", "salesforce", "dingtalk"):
        assert info[name].status == "ok" and info[name].hooks == ["register_connectors"]
        assert info[name].distribution == f"alignboard-{name}" and info[name].version
    assert info["alignboard.connectors.builtin"].builtin


def _module(name, **attrs):
    mod = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(mod, key, value)
    return mod


def test_misspelled_hook_is_reported_and_disabled(app):
    @hookimpl
    def register_conectors():
        return []
    ok = plugins.current_for(app).add(_module("typo", register_conectors=register_conectors),
                                      "typo")
    info = {p.name: p for p in plugins.current_for(app).list()}
    assert not ok and info["typo"].status == "failed"
    assert "register_conectors" in info["typo"].error


def test_plugin_raising_in_a_hook_is_disabled_and_the_others_still_answer(app, shipped):
    @hookimpl
    def register_connectors():
        raise RuntimeError("kaput")
    plugins.current_for(app).add(_module("broken", register_connectors=register_connectors),
                                 "broken")
    from alignboard.connectors import registry
    with app.app_context():
        assert "csv" in registry.available()
    info = {p.name: p for p in plugins.current_for(app).list()}
    assert info["broken"].status == "failed" and "kaput" in info["broken"].error


def test_plugin_failing_on_import_is_reported_while_the_app_starts(
        database_url, tmp_path, monkeypatch, caplog):
    class BrokenEntryPoint:
        name, dist = "exploding", None

        def load(self):
            raise ImportError("No module named 'missing_dependency'")

    monkeypatch.setattr(plugins, "entry_points", lambda group: [BrokenEntryPoint()])
    app = make_app(database_url, tmp_path, LOAD_ENTRY_POINT_PLUGINS=True)
    info = {p.name: p for p in plugins.current_for(app).list()}
    assert info["exploding"].status == "failed"
    assert "missing_dependency" in info["exploding"].error
    assert "plugin exploding disabled" in caplog.text
    assert app.test_client().get("/healthz").status_code == 200


def test_disabled_plugin_is_listed_as_disabled(database_url, tmp_path):
    app = make_app(database_url, tmp_path, LOAD_ENTRY_POINT_PLUGINS=True,
                   DISABLED_PLUGINS="rest")
    info = {p.name: p for p in plugins.current_for(app).list()}
    assert info["rest"].status == "disabled" and info["csv"].status == "ok"


def test_plugins_cli_lists_name_version_hooks_status(app, runner, shipped):
    from alignboard.cli import main
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    line = next(l for l in result.output.splitlines() if l.startswith("salesforce"))
    assert "register_connectors" in line and "ok" in line


def test_admin_lists_plugins_with_errors(app, client, org, login, shipped):
    @hookimpl
    def register_conectors():
        return []
    plugins.current_for(app).add(_module("typo", register_conectors=register_conectors),
                                 "typo")
    login(org.admin)
    page = client.get("/admin/plugins/").get_data(as_text=True)
    assert "dingtalk" in page and "register_conectors" in page and "failed" in page


@pytest.mark.parametrize("who", ["rob", "mia"])
def test_plugin_page_is_closed_to_reps_and_managers(client, org, login, who):
    login(getattr(org, who))
    assert client.get("/admin/plugins/").status_code == 403


def test_plugin_raising_at_startup_is_disabled_and_the_app_serves(
        database_url, tmp_path, monkeypatch):
    @hookimpl
    def startup(app):
        raise RuntimeError("cannot reach the licence server")

    class EntryPoint:
        name, dist = "grumpy", None

        def load(self):
            return _module("grumpy", startup=startup)

    monkeypatch.setattr(plugins, "entry_points", lambda group: [EntryPoint()])
    app = make_app(database_url, tmp_path, LOAD_ENTRY_POINT_PLUGINS=True)
    info = {p.name: p for p in plugins.current_for(app).list()}
    assert info["grumpy"].status == "failed" and "licence server" in info["grumpy"].error
    assert app.test_client().get("/healthz").status_code == 200
