"""Loading plugins: built-ins first, then the ``alignboard`` entry points, each isolated.

pluggy's ``load_setuptools_entrypoints`` stops at the first broken plugin, so each entry
point is loaded here inside its own try/except. A plugin that fails to import, names an
unknown hook, or raises inside a hook is recorded as failed and blocked; the platform keeps
running. The state is per app, in ``app.extensions["alignboard.plugins"]``.
"""
import importlib
import logging
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pluggy
from flask import current_app

from . import hookspecs

log = logging.getLogger(__name__)

GROUP = "alignboard"

# Built-in features, registered through the same hooks as third-party plugins.
BUILTIN = ["alignboard.forms.builtin_types", "alignboard.connectors.builtin",
           "alignboard.metrics.functions", "alignboard.notify.channels"]


@dataclass
class PluginInfo:
    name: str
    version: str = ""
    distribution: str = ""
    builtin: bool = False
    hooks: list = field(default_factory=list)
    status: str = "ok"  # ok | failed | disabled
    error: str = ""


class Plugins:
    """One app's plugin manager plus what is known about each plugin."""

    def __init__(self, load_entry_points=True, blocked=()):
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.info = {}
        for name in blocked:
            self.pm.set_blocked(name)
            self.info[name] = PluginInfo(name=name, status="disabled")
        for modname in BUILTIN:
            self._register(importlib.import_module(modname), modname, builtin=True)
        if load_entry_points:
            for ep in entry_points(group=GROUP):
                if ep.name in blocked:
                    continue
                dist = ep.dist.name if ep.dist else ""
                version = ep.dist.version if ep.dist else ""
                try:
                    obj = ep.load()
                except Exception as exc:
                    self._fail(PluginInfo(name=ep.name, distribution=dist, version=version),
                               f"cannot be imported: {exc!r}")
                    continue
                self._register(obj, ep.name, distribution=dist, version=version)

    def add(self, obj, name, distribution="", version=""):
        """Register a plugin object by hand (tests, embedding); isolated like the others.

        Returns True when it is registered, False when it failed (see ``list()``).
        """
        self._register(obj, name, distribution=distribution, version=version)
        if self.info[name].status == "ok":
            self.probe(obj)
        return self.info[name].status == "ok"

    def _register(self, obj, name, builtin=False, distribution="", version=""):
        info = PluginInfo(name=name, builtin=builtin, distribution=distribution,
                          version=version)
        try:
            self.pm.register(obj, name=name)
            # A misspelled hook name is only caught by check_pending.
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.is_registered(obj):
                self.pm.unregister(obj)
            self._fail(info, f"cannot be registered: {exc}")
            return
        info.hooks = sorted(h.name for h in self.pm.get_hookcallers(obj) or [])
        self.info[name] = info

    def _fail(self, info, message):
        log.error("plugin %s disabled: %s", info.name, message)
        info.status, info.error = "failed", message
        self.info[info.name] = info
        self.pm.set_blocked(info.name)

    def call(self, hook, **kwargs):
        """Call ``hook`` on every plugin, each in isolation; return the results in a list.

        For ``register_*`` hooks the lists are concatenated. A plugin that raises is
        recorded as failed and blocked, and the others still answer.
        """
        results = []
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            ok, value = self._call_one(hook, impl, kwargs)
            if not ok or value is None:
                continue
            if hook.startswith("register_"):
                results.extend(value)
            else:
                results.append(value)
        return results

    def _call_one(self, hook, impl, kwargs):
        """Call one plugin's implementation; ``(False, None)`` when it raised (it is then
        recorded as failed and unregistered)."""
        try:
            return True, impl.function(*[kwargs[a] for a in impl.argnames])
        except Exception as exc:
            name = self.pm.get_name(impl.plugin)
            info = self.info.get(name) or PluginInfo(name=name)
            self.pm.unregister(impl.plugin)
            self._fail(info, f"raised in {hook}: {exc!r}\n{traceback.format_exc(limit=3)}")
            return False, None

    def probe(self, plugin=None):
        """Call every ``register_*`` hook once (of ``plugin`` only, when given).

        A broken register hook otherwise shows as ``ok`` until a page first needs it; here
        it is found at startup and the plugin is marked failed, each plugin on its own.
        """
        for hook in sorted(n for n in dir(self.pm.hook) if n.startswith("register_")):
            for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
                if plugin is not None and impl.plugin is not plugin:
                    continue
                if not self.pm.is_registered(impl.plugin):
                    continue  # failed in an earlier hook of this probe
                self._call_one(hook, impl, {})

    def list(self):
        return sorted(self.info.values(), key=lambda i: (not i.builtin, i.name))


def init_app(app):
    blocked = app.config.get("DISABLED_PLUGINS") or []
    if isinstance(blocked, str):
        blocked = [b.strip() for b in blocked.split(",") if b.strip()]
    plugins = Plugins(load_entry_points=app.config["LOAD_ENTRY_POINT_PLUGINS"],
                      blocked=blocked)
    app.extensions["alignboard.plugins"] = plugins
    return plugins


def current():
    """The current app's ``Plugins``."""
    return current_for(current_app)


def current_for(app):
    return app.extensions["alignboard.plugins"]


def call(hook, **kwargs):
    return current().call(hook, **kwargs)
