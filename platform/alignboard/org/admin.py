"""Admin views for units, people, roles, periods and the people/units import."""
from flask import flash, request
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import Length, Optional, ValidationError

from ..admin import SecureModelView, SecureView
from . import importer
from .models import Period, Person, Role, Unit

ORG = _l("Organisation")


class UnitView(SecureModelView):
    column_list = ["code", "name", "kind", "parent", "leader"]
    column_searchable_list = ["code", "name"]
    column_filters = ["kind"]
    column_default_sort = "path"
    form_columns = ["code", "name", "kind", "parent", "leader"]
    column_labels = {"code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"),
                     "parent": _l("Parent unit"), "leader": _l("Leader")}


class PersonView(SecureModelView):
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

    def on_model_change(self, form, model, is_created):
        if form.new_password.data:
            model.set_password(form.new_password.data)


class RoleView(SecureModelView):
    can_delete = False
    column_list = ["key", "name_en", "name_zh", "scope", "can_configure"]
    form_columns = ["key", "name_en", "name_zh", "scope", "can_configure", "description"]
    column_labels = {"key": _l("Key"), "name_en": _l("Name (English)"),
                     "name_zh": _l("Name (Chinese)"), "scope": _l("Visibility"),
                     "can_configure": _l("May configure")}
    column_descriptions = {"scope": _l("own: own data; subtree: the units the person leads "
                                       "and below; all: everything")}


class PeriodView(SecureModelView):
    column_list = ["kind", "name", "start", "end"]
    column_filters = ["kind"]
    column_default_sort = ("start", False)
    form_columns = ["kind", "name", "start", "end"]
    column_labels = {"kind": _l("Kind"), "name": _l("Name"), "start": _l("Start"),
                     "end": _l("End (inclusive)")}

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
