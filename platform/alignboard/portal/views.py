"""The home page: who I am, my team (for a manager), links to what I can do."""
from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user, login_required

from ..db import database, manages_connection
from ..migrations import applied, is_current
from ..org import scopes
from ..org.models import Person, Role, Unit

bp = Blueprint("portal", __name__)

# Other areas add cards to the home page: (template name, context function(person) -> dict).
HOME_CARDS = []


@bp.route("/")
@login_required
def home():
    team = []
    if current_user.role.scope != "own":
        team = list(scopes.visible_people(current_user).join(Role).switch(Person)
                    .where(Person.id != current_user.id)
                    .order_by(Person.name).limit(200))
    units = list(scopes.visible_units(current_user).order_by(Unit.path).limit(200))
    cards = [(tpl, fn(current_user)) for tpl, fn in HOME_CARDS]
    return render_template("portal/home.html", team=team, units=units, cards=cards)


@bp.route("/healthz")
@manages_connection
def healthz():
    """200 with the database status when the app can serve; 503 when it cannot."""
    try:
        database.connect(reuse_if_open=True)
        database.execute_sql("SELECT 1")
        db = database.obj
        current = is_current(db)
        body = {"status": "ok" if current else "degraded",
                "database": {"status": "ok", "engine": type(db).__name__,
                             "migrations": len(applied(db)),
                             "schema": "current" if current else "needs 'alignboard init'"}}
        return jsonify(body), 200 if current else 503
    except Exception as exc:
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify({"status": "error", "database": {"status": "error",
                                                        "message": str(exc)}}), 503
