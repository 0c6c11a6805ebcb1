"""The application factory."""
from alignboard import hookimpl, plugins
from conftest import make_app


def test_startup_hook_runs_once_per_app(database_url, tmp_path, monkeypatch):
    seen = []

    class Probe:
        @hookimpl
        def startup(self, app):
            seen.append(app.name)

    real_init = plugins.Plugins.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.pm.register(Probe(), name="probe")

    monkeypatch.setattr(plugins.Plugins, "__init__", init)
    make_app(database_url, tmp_path)
    assert seen == ["alignboard.app"]


def test_a_plugin_failing_at_startup_does_not_stop_the_app(database_url, tmp_path,
                                                           monkeypatch):
    class Bad:
        @hookimpl
        def startup(self, app):
            raise RuntimeError("cannot start")

    real_init = plugins.Plugins.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.pm.register(Bad(), name="bad")

    monkeypatch.setattr(plugins.Plugins, "__init__", init)
    app = make_app(database_url, tmp_path)
    assert app.extensions["alignboard.plugins"].info["bad"].status == "failed"
    assert app.test_client().get("/healthz").status_code == 200
