"""Admin views for units, people, roles, periods and the people/units import.

Every label, choice and refusal is in the reader's language (issue 2: the HR admin in
Chinese and English). The same labels serve the list headers and the form fields, and a
form refuses what the API refuses (org/schemas.py), so that a login or an e-mail the API
would not take cannot enter through the admin either.
"""
from flask import flash, request
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError as SchemaError, validate
from wtforms import PasswordField
from wtforms.validators import Length, Optional, ValidationError

from ..admin import SecureModelView, SecureView
from ..i18n import N_, select_locale
from ..validation import control_problem
from . import importer
from .models import PERIOD_KINDS, SCOPES, UNIT_KINDS, Period, Person, Role, Unit
from .schemas import LOGIN

ORG = _l("Organisation")

# Choice labels: the database and the API keep the English keys; a person reads these.
UNIT_KIND_LABELS = {"company": _l("company"), "region": _l("region"), "team": _l("team"),
                    "other": _l("other")}
PERIOD_KIND_LABELS = {"year": _l("year"), "quarter": _l("quarter"), "month": _l("month"),
                      "week": _l("week")}
SCOPE_LABELS = {"own": _l("own data only"), "subtree": _l("the units led and below"),
                "all": _l("everything")}

# The e-mail check of the API's PersonSchema (marshmallow's fields.Email validates with it).
EMAIL = validate.Email()

# validation.py's messages (shared with the API, which answers English), marked here for
# the catalogue so that the admin can show them in the reader's language.
CONTROL_TEXTS = (N_("Must not contain control characters."),
                 N_("Must be one line, without tabs or control characters."))


def _choices(labels, keys):
    """(key, label) in the model's order; a kind added to the model without a label here
    fails at start-up rather than showing an empty option."""
    return [(key, labels[key]) for key in keys]


def _one_line(form, field):
    """Names, logins, codes: no control characters, tabs or line breaks. The importer and
    the API refuse them too, and an XLSX export cannot write them."""
    problem = control_problem(field.data, one_line=True)
    if problem:
        raise ValidationError(_(problem))


def _plain(form, field):
    """Longer texts (a role's description): line breaks and tabs allowed, other control
    characters not."""
    problem = control_problem(field.data)
    if problem:
        raise ValidationError(_(problem))


def _login_rule(form, field):
    """The API's LOGIN rule itself (org/schemas.py): a login the API would refuse cannot be
    named as a manager in a later import or API call."""
    if field.data:
        try:
            LOGIN(field.data)
        except SchemaError:
            raise ValidationError(_("%(login)r may hold only lower-case letters, digits, "
                                    "dots, dashes and underscores", login=field.data))


def _email_rule(form, field):
    if field.data:
        try:
            EMAIL(field.data)
        except SchemaError:
            raise ValidationError(_("%(email)r is not an e-mail address", email=field.data))


def _unique(model, name):
    """Refuse a value another row already holds, beside the field and in the reader's
    language, instead of the database's "UNIQUE constraint failed: person.login" (whose
    wording also differs between SQLite and PostgreSQL). The row being edited is the
    form's ``_obj`` (see ``OrgModelView``); it may keep its own value."""
    column = getattr(model, name)

    def check(form, field):
        if field.data in (None, ""):
            return
        clash = model.select().where(column == field.data)
        current = getattr(form, "_obj", None)
        if current is not None and current.id is not None:
            clash = clash.where(model.id != current.id)
        if clash.exists():
            raise ValidationError(_("%(field)s %(value)s is already taken",
                                    field=field.label.text, value=field.data))
    return check


def _form_args(labels, validators=None, **extra):
    """form_args giving every form field the label of its list column, plus validators
    and other arguments (choices) per field."""
    args = {name: {"label": label} for name, label in labels.items()}
    for name, checks in (validators or {}).items():
        args.setdefault(name, {})["validators"] = checks
    for name, more in extra.items():
        args.setdefault(name, {}).update(more)
    return args


def role_name(role):
    """A role as the reader calls it: its Chinese or English name (the key is English)."""
    if role is None:
        return ""
    return (role.name_zh if select_locale() == "zh_CN" else role.name_en) or role.key


class OrgModelView(SecureModelView):
    """Remembers the row a form edits, for the uniqueness checks."""

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form._obj = None
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form._obj = obj
        return form


class UnitView(OrgModelView):
    column_list = ["code", "name", "kind", "parent", "leader"]
    column_searchable_list = ["code", "name"]
    column_filters = ["kind"]
    column_default_sort = "path"
    form_columns = ["code", "name", "kind", "parent", "leader"]
    column_labels = {"code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"),
                     "parent": _l("Parent unit"), "leader": _l("Leader")}
    column_choices = {"kind": _choices(UNIT_KIND_LABELS, UNIT_KINDS)}
    form_args = _form_args(column_labels, {
        "code": [_one_line, _unique(Unit, "code")], "name": [_one_line]},
        kind={"choices": _choices(UNIT_KIND_LABELS, UNIT_KINDS)})


class PersonView(OrgModelView):
    column_list = ["login", "name", "email", "unit", "manager", "role", "active"]
    column_searchable_list = ["login", "name", "email"]
    column_filters = ["active"]
    form_columns = ["login", "name", "email", "external_id", "unit", "manager", "role",
                    "active", "locale", "new_password"]
    form_extra_fields = {"new_password": PasswordField(
        _l("New password"), validators=[Optional(), Length(min=8, max=200)],
        description=_l("Leave empty to keep the current password."))}
    column_labels = {"login": _l("Login"), "name": _l("Name"), "email": _l("E-mail"),
                     "unit": _l("Unit"), "manager": _l("Manager"), "role": _l("Role"),
                     "active": _l("Active"), "external_id": _l("External id"),
                     "locale": _l("Language")}
    column_formatters = {"role": lambda view, context, model, name: role_name(model.role)}
    form_args = _form_args(column_labels, {
        "login": [_one_line, _login_rule, _unique(Person, "login")],
        "name": [_one_line],
        "email": [_one_line, _email_rule],
        "external_id": [_one_line, _unique(Person, "external_id")],
        "locale": [_one_line]},
        role={"get_label": role_name})

    def on_model_change(self, form, model, is_created):
        if form.new_password.data:
            model.set_password(form.new_password.data)


class RoleView(OrgModelView):
    can_delete = False
    column_list = ["key", "name_en", "name_zh", "scope", "can_configure"]
    form_columns = ["key", "name_en", "name_zh", "scope", "can_configure", "description"]
    column_labels = {"key": _l("Key"), "name_en": _l("Name (English)"),
                     "name_zh": _l("Name (Chinese)"), "scope": _l("Visibility"),
                     "can_configure": _l("May configure"), "description": _l("Description")}
    column_descriptions = {"scope": _l("Whose data the role sees: the person's own, that of "
                                       "the units the person leads and below, or everyone's.")}
    column_choices = {"scope": _choices(SCOPE_LABELS, SCOPES)}
    form_args = _form_args(column_labels, {
        "key": [_one_line, _unique(Role, "key")], "name_en": [_one_line],
        "name_zh": [_one_line], "description": [_plain]},
        scope={"choices": _choices(SCOPE_LABELS, SCOPES)})


class PeriodView(OrgModelView):
    column_list = ["kind", "name", "start", "end"]
    column_filters = ["kind"]
    column_default_sort = ("start", False)
    form_columns = ["kind", "name", "start", "end"]
    column_labels = {"kind": _l("Kind"), "name": _l("Name"), "start": _l("Start"),
                     "end": _l("End (inclusive)")}
    column_choices = {"kind": _choices(PERIOD_KIND_LABELS, PERIOD_KINDS)}
    form_args = _form_args(column_labels, {"name": [_one_line]},
                           kind={"choices": _choices(PERIOD_KIND_LABELS, PERIOD_KINDS)})

    def on_model_change(self, form, model, is_created):
        """Refuse exactly what the API refuses: the rules live in ``Period.problems``."""
        problems = model.problems()
        if problems:
            raise ValidationError(" ".join(str(m) for messages in problems.values()
                                           for m in messages))


class ImportView(SecureView):
    """Upload people or units as CSV/XLSX; a dry run first shows what would change."""

    @expose("/", methods=["GET", "POST"])
    def index(self):
        report = None
        if request.method == "POST":
            upload = request.files.get("file")
            what = request.form.get("what")
            dry_run = request.form.get("dry_run") == "1"
            if not upload or not upload.filename:
                flash(_("Choose a file to import."), "error")
            elif what not in ("people", "units"):
                flash(_("Choose what the file holds."), "error")
            else:
                fn = importer.import_people if what == "people" else importer.import_units
                report = fn(upload.read(), upload.filename, dry_run=dry_run)
                if report.ok and not dry_run:
                    flash(_("Imported: %(c)d created, %(u)d updated.",
                            c=len(report.created), u=len(report.updated)), "success")
        return self.render("admin/org_import.html", report=report,
                           people_columns=importer.PEOPLE_COLUMNS,
                           unit_columns=importer.UNIT_COLUMNS)


def register(admin):
    admin.add_view(UnitView(Unit, name=_l("Units"), category=ORG))
    admin.add_view(PersonView(Person, name=_l("People"), category=ORG))
    admin.add_view(RoleView(Role, name=_l("Roles"), category=ORG))
    admin.add_view(PeriodView(Period, name=_l("Periods"), category=ORG))
    admin.add_view(ImportView(name=_l("Import people/units"), endpoint="org_import",
                              category=ORG))
