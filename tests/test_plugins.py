"""Plugins: every hook documented and tested; broken plugins isolated."""
import inspect
import re
import sys
import types
from pathlib import Path

import pytest

from alignboard import hookimpl, hookspecs
from alignboard import plugins
from alignboard.plugins import Plugins
from conftest import make_app

HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(fn, "alignboard_spec")]


def test_hooks_exist():
    assert {"startup", "register_connectors", "register_channels", "register_field_types",
            "register_formula_functions"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    doc = getattr(hookspecs, hook).__doc__ or ""
    assert len(doc.strip()) > 40 and ("Returns" in doc or "Return" in doc), hook


# Hooks whose feature has not landed yet, with the issue that brings it. Each must have no
# built-in implementation; once one is added, the hook leaves this list and needs a test.
AWAITING_FEATURE = {
}


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_tested(hook):
    """Some test other than this file must exercise the hook's real implementations."""
    if hook in AWAITING_FEATURE:
        plugins = Plugins(load_entry_points=False)
        assert not getattr(plugins.pm.hook, hook).get_hookimpls(), (
            f"{hook} has implementations now: remove it from AWAITING_FEATURE and test it")
        return
    tests = Path(__file__).parent
    found = [p for p in tests.glob("test_*.py") if p.name != "test_plugins.py"
             and re.search(rf"\b{hook}\b", p.read_text(encoding="utf-8"))]
    assert found, f"no test exercises the hook {hook}"


def _module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    return mod


def test_startup_hook_is_called_with_the_app(monkeypatch):
    seen = []

    @hookimpl
    def startup(app):
        seen.append(app)

    plugins = Plugins(load_entry_points=False)
    plugins.pm.register(_module("p", startup=startup), name="p")
    plugins.call("startup", app="APP")
    assert seen == ["APP"]


def test_register_hooks_concatenate_lists():
    @hookimpl
    def register_formula_functions():
        return [abs]

    plugins = Plugins(load_entry_points=False)
    plugins.pm.register(_module("a", register_formula_functions=register_formula_functions),
                        name="a")
    plugins.pm.register(_module("b", register_formula_functions=register_formula_functions),
                        name="b")
    assert plugins.call("register_formula_functions").count(abs) == 2


def test_plugin_raising_in_a_hook_is_disabled_and_others_still_answer():
    @hookimpl
    def register_channels():
        raise RuntimeError("plugin bug")

    @hookimpl
    def register_connectors():
        return ["ok"]

    # Built-in channels (issue 6) answer register_channels too; the broken plugin adds none.
    builtin = Plugins(load_entry_points=False).call("register_channels")
    plugins = Plugins(load_entry_points=False)
    plugins.pm.register(_module("bad", register_channels=register_channels), name="bad")
    plugins.pm.register(_module("good", register_connectors=register_connectors),
                        name="good")
    assert plugins.call("register_channels") == builtin
    assert plugins.info["bad"].status == "failed" and "plugin bug" in plugins.info["bad"].error
    assert plugins.call("register_connectors") == ["ok"]


def test_misspelled_hook_is_reported_not_fatal():
    @hookimpl
    def register_conectors():
        return []

    plugins = Plugins(load_entry_points=False)
    plugins._register(_module("typo", register_conectors=register_conectors), "typo")
    assert plugins.info["typo"].status == "failed"
    assert "register_conectors" in plugins.info["typo"].error


def test_entry_point_that_fails_to_import_is_reported(monkeypatch):
    class EP:
        name, dist = "broken", None

        def load(self):
            raise ImportError("no module named nowhere")

    monkeypatch.setattr("alignboard.plugins.entry_points", lambda group: [EP()])
    plugins = Plugins(load_entry_points=True)
    assert plugins.info["broken"].status == "failed"
    assert "nowhere" in plugins.info["broken"].error


def test_blocked_plugin_is_listed_as_disabled(monkeypatch):
    monkeypatch.setattr("alignboard.plugins.entry_points", lambda group: [])
    plugins = Plugins(load_entry_points=True, blocked=["noisy"])
    assert plugins.info["noisy"].status == "disabled"


# --- the installed plugins as an admin sees them (CLI, admin page) ---------------------

def test_installed_connector_plugins_load_from_entry_points(database_url, tmp_path):
    app = make_app(database_url, tmp_path, LOAD_ENTRY_POINT_PLUGINS=True)
    info = {p.name: p for p in plugins.current_for(app).list()}
    for name in ("csv", "rest", "webhook", "salesforce", "dingtalk"):
        assert info[name].status == "ok" and info[name].hooks == ["register_connectors"]
        assert info[name].distribution == f"alignboard-{name}" and info[name].version
    assert info["alignboard.connectors.builtin"].builtin


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


def test_plugins_cli_lists_name_version_hooks_status(app, runner, shipped):
    from alignboard.cli import main
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    line = next(l for l in result.output.splitlines() if l.startswith("salesforce"))
    assert "register_connectors" in line and "ok" in line


def _brittle(hook="register_connectors"):
    def register():
        raise RuntimeError("licence file missing")
    register.__name__ = hook
    return _module("brittle", **{hook: hookimpl(register)})


def test_plugins_cli_shows_a_plugin_whose_register_hook_raises_as_failed(app, runner):
    """The hook raises before any page asked for connectors: still not shown as ok."""
    from alignboard.cli import main
    assert plugins.current_for(app).add(_brittle(), "brittle") is False
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    line = next(l for l in result.stdout.splitlines() if l.startswith("brittle"))
    assert "failed" in line
    assert "raised in register_connectors" in result.stderr
    assert "licence file missing" in result.stderr


def test_entry_point_whose_register_hook_raises_is_failed_once_the_app_starts(
        database_url, tmp_path, monkeypatch):
    class BrittleEntryPoint:
        name, dist = "brittle", None

        def load(self):
            return _brittle("register_channels")

    monkeypatch.setattr(plugins, "entry_points", lambda group: [BrittleEntryPoint()])
    app = make_app(database_url, tmp_path, LOAD_ENTRY_POINT_PLUGINS=True)
    info = plugins.current_for(app).info["brittle"]
    assert info.status == "failed" and "licence file missing" in info.error


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


SHIPPED = sorted(p.name for p in (Path(__file__).parent.parent / "plugins").iterdir()
                 if (p / "setup.cfg").exists())


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_plugin_needs_only_the_core(name):
    """Each shipped plugin is its own distribution: it requires only `alignboard` and
    imports and registers its hooks with every other shipped plugin absent."""
    import configparser
    import subprocess

    root = Path(__file__).parent.parent / "plugins" / name
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg")
    requires = [r.strip() for r in cfg["options"]["install_requires"].split("\n") if r.strip()]
    assert requires == ["alignboard"], requires
    others = [f"alignboard_{o}" for o in SHIPPED if o != name]
    # A None in sys.modules makes any import of that module fail, as if not installed.
    script = (
        "import sys\n"
        f"for m in {others!r}: sys.modules[m] = None\n"
        f"import alignboard_{name} as p\n"
        "import pluggy\n"
        "from alignboard import hookspecs\n"
        "from alignboard.plugins import GROUP\n"
        "pm = pluggy.PluginManager(GROUP)\n"
        "pm.add_hookspecs(hookspecs)\n"
        "pm.register(p)\n"
        "found = [h for h in ('register_connectors', 'register_channels', "
        "'register_field_types', 'register_formula_functions') "
        "if getattr(pm.hook, h).get_hookimpls()]\n"
        "assert found, 'the plugin implements no hook'\n"
        "for h in found: getattr(pm.hook, h)()\n"
        "print('ok', found)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=root, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")
