"""The application factory."""
import importlib
import logging
import os

from flask import Flask

from . import admin, api, config, db, i18n, plugins
from .auth import login as auth_login

log = logging.getLogger(__name__)

# Vertical slices; each package exposes init_app(app, api, admin).
AREAS = ["org", "records", "connectors", "forms", "metrics", "goals", "notify", "rules"]


def create_app(test_config=None):
    """Create an Alignboard app.

    Settings come from the environment (see ``alignboard.config``), then ``test_config``.
    The database is not created or migrated here: ``alignboard init`` does that, so that
    several gunicorn workers never race to migrate.
    """
    # The instance folder holds the SQLite file, uploads and the development secret.
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get("ALIGNBOARD_INSTANCE_PATH") or None)
    config.load(app, test_config)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    db.init_app(app)
    i18n.init_app(app)
    auth_login.init_app(app)
    plugins.init_app(app)
    api_ = api.init_app(app)
    admin_ = admin.init_app(app)

    from . import cli
    from .auth import views as auth_views
    from .portal import views as portal_views

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(portal_views.bp)
    cli.init_app(app)
    # Each area registers its pages, API blueprints and admin views; order follows the
    # data flow (org -> records -> forms -> connectors -> metrics -> rules).
    for name in AREAS:
        importlib.import_module(f"alignboard.{name}").init_app(app, api_, admin_)

    plugins.current_for(app).call("startup", app=app)
    # Find plugins whose register_* hooks raise now, not when a page first asks for them.
    plugins.current_for(app).probe()
    return app
