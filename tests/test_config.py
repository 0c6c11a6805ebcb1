"""Settings from the environment."""
import pytest

from alignboard.app import create_app
from alignboard.config import ConfigError


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ALIGNBOARD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ALIGNBOARD_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_production_with_secret_key_sets_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNBOARD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ALIGNBOARD_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SECRET_KEY"] == "s" * 40
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_secret_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ALIGNBOARD_ENV", raising=False)
    monkeypatch.setenv("ALIGNBOARD_INSTANCE_PATH", str(tmp_path))
    first = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}).config["SECRET_KEY"]
    second = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_come_from_prefixed_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNBOARD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ALIGNBOARD_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["TIMEZONE"] == "Europe/Berlin"
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/env.db"


def test_unsupported_database_url_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNBOARD_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ValueError, match="not supported"):
        create_app({"SECRET_KEY": "x", "DATABASE_URL": "mysql://nope"})
