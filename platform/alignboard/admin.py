"""The HR admin (Flask-Admin): one ``Admin`` for the app; each area adds its own views.

Only roles that may configure (hr, admin) enter. Every admin form is a Flask-WTF form, so
it carries the same CSRF token the rest of the app checks.
"""
import peewee as pw
from flask import abort, get_flashed_messages, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, BaseView, expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError
from wtfpeewee.fields import ModelSelectField
from wtfpeewee.orm import FieldInfo

from .db import MAX_ID
from .i18n import N_
from .tabular import xlsx_text
from .validation import parse_id


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


class IdSelectField(ModelSelectField):
    """A foreign-key choice whose submitted value is looked up only when it can be a row id.

    wtfpeewee queries ``id = <the value as sent>``: PostgreSQL answers a forged "rep" or an
    over-long number with a DataError (a 500), SQLite with nothing. Anything that cannot
    be an id is "Not a valid choice." on both."""

    def _not_an_id(self, value):
        return isinstance(self.model._meta.primary_key, pw.AutoField) and \
            not isinstance(value, self.model) and parse_id(value) is None

    def get_model(self, pk):
        if self._not_an_id(pk):
            return None
        return super().get_model(pk)

    def pre_validate(self, form):
        # The value can also reach here unresolved (set as data, not looked up), and the
        # parent class would then query it as it is.
        if self.data is not None and self._not_an_id(self.data):
            raise ValidationError(self.gettext("Not a valid choice."))
        super().pre_validate(form)


class Converter(CustomModelConverter):
    """Flask-Admin's peewee form converter with ``IdSelectField`` for plain foreign keys."""

    def handle_foreign_key(self, model, field, **kwargs):
        if (getattr(self.view, "_form_ajax_refs", {}).get(field.name)
                or field.choices is not None):
            return super().handle_foreign_key(model, field, **kwargs)
        if field.null:
            kwargs["allow_blank"] = True
        return FieldInfo(field.name, IdSelectField(model=field.rel_model, **kwargs))


class SecureModelView(Guard, ModelView):
    form_base_class = FlaskForm
    model_form_converter = Converter
    page_size = 50
    can_export = True
    export_types = ["csv", "xlsx"]

    def get_export_value(self, model, name):
        """A value of an "Export xlsx" row without the characters openpyxl cannot write:
        one such character in an old name would otherwise make the whole list's export a
        500 (tablib passes openpyxl's error on). CSV keeps the value as stored."""
        value = super().get_export_value(model, name)
        if (request.view_args or {}).get("export_type") == "xlsx":
            return xlsx_text(value)
        return value

    def get_one(self, id):
        """The row ``?id=`` names, or None (Flask-Admin then says "Record does not exist"),
        also for an id that is not a number or too large for the database: looking those
        up would fail in the driver (OverflowError on SQLite, DataError on PostgreSQL)."""
        if isinstance(self.model._meta.primary_key, pw.AutoField) and parse_id(id) is None:
            return None
        return super().get_one(id)

    def _get_list_extra_args(self):
        """``?page=`` held within what the database can offset: a negative page would be a
        negative OFFSET (an error on PostgreSQL) and a huge one overflows. A page past the
        end lists nothing, as any page after the last does."""
        args = super()._get_list_extra_args()
        last = MAX_ID // self.get_safe_page_size(args.page_size)
        args.page = min(max(args.page, 0), last)
        return args

    def handle_action(self, return_view=None):
        """Bulk actions (delete...) on ticked rows: a forged row id that is not an id is
        dropped before the handler looks the rows up, for the same reason as ``get_one``."""
        if request.method == "POST" and isinstance(self.model._meta.primary_key, pw.AutoField):
            ids = request.form.getlist("rowid")
            kept = [i for i in ids if parse_id(i) is not None]
            if kept != ids:
                form = request.form.copy()
                form.setlist("rowid", kept)
                request.form = form
        return super().handle_action(return_view)


class SecureView(Guard, BaseView):
    pass


# Flask-Admin flashes these through its own catalogue, whose Chinese lacks them; they arrive
# in English, so they are looked up again in ours when the page shows them.
FLASK_ADMIN_UNTRANSLATED = frozenset((N_("Failed to create record."),
                                      N_("Failed to save record.")))


def _translated(message):
    return gettext(message) if message in FLASK_ADMIN_UNTRANSLATED else message


def flashed_messages(with_categories=False, category_filter=()):
    """``get_flashed_messages`` for templates, with Flask-Admin's untranslated texts in the
    reader's language."""
    messages = get_flashed_messages(with_categories, category_filter)
    if with_categories:
        return [(category, _translated(m)) for category, m in messages]
    return [_translated(m) for m in messages]


def init_app(app):
    app.jinja_env.globals["get_flashed_messages"] = flashed_messages
    admin = Admin(app, name="Alignboard", index_view=IndexView(name=_l("Overview")),
                  theme=Bootstrap4Theme(swatch="cerulean"))
    admin.add_link(MenuLink(name=_l("My page"), url="/"))
    app.extensions["alignboard.admin"] = admin
    return admin


def get(app):
    return app.extensions["alignboard.admin"]
