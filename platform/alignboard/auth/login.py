"""Flask-Login and CSRF wiring.

Browser forms carry a CSRF token (Flask-WTF). API calls authenticated by a bearer token need
none, since a browser never sends that header on its own; API calls riding on the session
cookie must send ``X-CSRFToken`` like any browser form.
"""
from flask import g, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from ..org.models import Person, Role
from .models import ApiToken

login_manager = LoginManager()
login_manager.login_view = "auth.login"
csrf = CSRFProtect()

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


@login_manager.user_loader
def _load(user_id):
    try:
        person = (Person.select(Person, Role).join(Role)
                  .where(Person.id == int(user_id)).first())
    except (TypeError, ValueError):
        return None
    return person if person and person.active else None


@login_manager.request_loader
def _from_token(req):
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        person = ApiToken.lookup(header[7:].strip())
        if person is not None:
            g.token_auth = True
        return person
    return None


def bearer_present():
    return request.headers.get("Authorization", "").startswith("Bearer ")


def init_app(app):
    login_manager.init_app(app)
    csrf.init_app(app)

    @app.before_request
    def _csrf():
        # Tests turn CSRF off with WTF_CSRF_ENABLED=False; protect() itself ignores it.
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.method in SAFE_METHODS or bearer_present():
            return
        # CSRFProtect.protect() ignores WTF_CSRF_ENABLED; honour it as Flask-WTF does.
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        # Webhook receivers authenticate with signatures, not cookies.
        if request.endpoint and getattr(app.view_functions.get(request.endpoint),
                                        "csrf_exempt", False):
            return
        csrf.protect()


def csrf_exempt(view):
    """Mark a view that authenticates by other means (signed webhooks)."""
    view.csrf_exempt = True
    return view


def user():
    """The current person, or None when nobody is logged in."""
    return current_user if current_user.is_authenticated else None
