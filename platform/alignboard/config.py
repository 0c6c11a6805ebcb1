"""Settings from the environment.

``DATABASE_URL`` and ``SECRET_KEY`` are read as they are; every other setting is read from
``ALIGNBOARD_<NAME>`` (for instance ``ALIGNBOARD_TIMEZONE=Europe/Berlin``), values parsed as
JSON when they can be (``ALIGNBOARD_SESSION_COOKIE_SECURE=true``).
"""
import os
import secrets


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says what to change."""


DEFAULTS = {
    # "development" or "production"; production insists on a real SECRET_KEY.
    "ENV": "development",
    "TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ["en", "zh_CN"],
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    # Uploads (imports, evidence files) are capped here; larger requests get a 413.
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # The API checks CSRF itself (tokens need none); see auth.csrf.
    "WTF_CSRF_CHECK_DEFAULT": False,
    "WTF_CSRF_TIME_LIMIT": None,
    "FLASK_ADMIN_SWATCH": "cerulean",
    "API_TITLE": "Alignboard API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "API_PAGE_SIZE": 50,
    "API_MAX_PAGE_SIZE": 500,
    # The admin's "what would have fired" and builder replay keep this many firings (they
    # run in the web request); the later ones are only counted.
    "RULES_BACKTEST_LIMIT": 1000,
    # Plugins installed in the environment load unless this is false (tests turn it off).
    "LOAD_ENTRY_POINT_PLUGINS": True,
}


def load(app, test_config=None):
    """Fill ``app.config`` from defaults, the environment and ``test_config``, in that order."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("ALIGNBOARD")
    if "DATABASE_URL" in os.environ:
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if test_config:
        app.config.update(test_config)

    os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault(
        "DATABASE_URL", "sqlite:///" + os.path.join(app.instance_path, "alignboard.db"))
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    production = app.config["ENV"] == "production"
    # Flask pre-fills these with False, so "not set by the user" is judged by the sources.
    explicit = set(test_config or {}) | {k[len("ALIGNBOARD_"):] for k in os.environ
                                         if k.startswith("ALIGNBOARD_")}
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in explicit:
            app.config[key] = production

    if not app.config.get("SECRET_KEY"):
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. In production Alignboard signs sessions and encrypts "
                "connector secrets with it, so it must be a long random value kept the same "
                "across restarts: export SECRET_KEY=$(python -c 'import secrets; "
                "print(secrets.token_hex(32))')")
        app.config["SECRET_KEY"] = _development_secret(app.instance_path)


def _development_secret(instance_path):
    # A generated key kept in the instance folder keeps sessions valid across restarts
    # of a development server without anyone having to set one.
    path = os.path.join(instance_path, "secret_key")
    if os.path.exists(path):
        with open(path) as f:
            key = f.read().strip()
        if key:
            return key
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
