"""The inbox page in the portal (/inbox) and its card on the home page."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..db import utcnow
from ..portal import views as portal_views
from .api import unread_count
from .models import Notification

bp = Blueprint("inbox_page", __name__)


@bp.route("/inbox")
@login_required
def inbox():
    items = list(Notification.select().where(Notification.person == current_user.id)
                 .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(200))
    return render_template("notify/inbox.html", items=items,
                           unread=unread_count(current_user))


@bp.route("/inbox/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id):
    (Notification.update(read_at=utcnow())
     .where((Notification.id == notification_id) & (Notification.person == current_user.id)
            & Notification.read_at.is_null()).execute())
    return redirect(url_for("inbox_page.inbox"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def mark_all_read():
    (Notification.update(read_at=utcnow())
     .where((Notification.person == current_user.id) & Notification.read_at.is_null())
     .execute())
    return redirect(request.referrer or url_for("inbox_page.inbox"))


def home_card(person):
    return {"inbox_unread": unread_count(person)}


def register(app):
    app.register_blueprint(bp)
    card = ("notify/home_card.html", home_card)
    if card not in portal_views.HOME_CARDS:
        portal_views.HOME_CARDS.append(card)
