"""Plugins: every hook documented and tested; broken plugins isolated."""
import inspect
import re
import sys
import types
from pathlib import Path

import pytest

from alignboard import hookimpl, hookspecs
from alignboard.plugins import Plugins

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
    "register_connectors": "issue 4: connector plugins",
    "register_field_types": "issue 3: forms",
    "register_formula_functions": "issue 5: metric formulas",
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
