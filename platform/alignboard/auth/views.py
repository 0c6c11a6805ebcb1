"""Login, logout and the language switch."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..org.models import Person
from .. import i18n

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    login = StringField("login", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("remember")


def _safe_next(target):
    # Only same-site relative paths: an open redirect would let a phishing link log a user
    # in and send them elsewhere.
    if target and not urlsplit(target).netloc and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        person = Person.get_or_none(Person.login == form.login.data.strip().lower())
        if person and person.active and person.check_password(form.password.data):
            login_user(person, remember=form.remember.data)
            session.permanent = True
            if person.locale:
                session["locale"] = person.locale
            return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong login or password.")
    elif request.method == "POST":
        error = _("Please enter your login and password.")
    return render_template("auth/login.html", form=form, error=error), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    code = request.form.get("locale", "")
    if code not in i18n.LOCALES:
        flash(_("Unknown language."), "error")
    else:
        session["locale"] = code
        if current_user.is_authenticated:
            Person.update(locale=code).where(Person.id == current_user.id).execute()
    return redirect(_safe_next(request.form.get("next") or request.referrer and
                               urlsplit(request.referrer).path))
