"""The HR admin (Flask-Admin): one ``Admin`` for the app; each area adds its own views.

Only roles that may configure (hr, admin) enter. Every admin form is a Flask-WTF form, so
it carries the same CSRF token the rest of the app checks.
"""
from flask import abort, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, BaseView, expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm


class Guard:
    """Access check shared by every admin view."""

    def is_accessible(self):
        return current_user.is_authenticated and current_user.role.can_configure

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class IndexView(Guard, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render("admin/alignboard_index.html")


class SecureModelView(Guard, ModelView):
    form_base_class = FlaskForm
    page_size = 50
    can_export = True
    export_types = ["csv", "xlsx"]


class SecureView(Guard, BaseView):
    pass


def init_app(app):
    admin = Admin(app, name="Alignboard", index_view=IndexView(name=_l("Overview")),
                  theme=Bootstrap4Theme(swatch="cerulean"))
    admin.add_link(MenuLink(name=_l("My page"), url="/"))
    app.extensions["alignboard.admin"] = admin
    return admin


def get(app):
    return app.extensions["alignboard.admin"]
