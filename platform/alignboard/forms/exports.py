"""Submissions as CSV or XLSX, filtered by form, period and unit, scoped to the viewer.

Each submission is rendered with the definition of its own version, so answers to fields
a later version removed still export. Columns are the field keys (stable across languages);
text cells that a spreadsheet would run as a formula are prefixed with a quote.
"""
import csv
import decimal
import io

from ..org import scopes
from ..org.models import Period, Person, Unit
from ..tabular import xlsx_text
from ..validation import parse_id
from .builtin_types import money_amount
from .definition import DERIVED_KEYS
from .fieldtypes import registry
from .models import FormVersion, Submission
from .schema import Context

BASE_COLUMNS = ["submission_id", "person_login", "person_name", "unit", "period", "version",
                "status", "submitted_at", "updated_at"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible_submissions(viewer, form=None):
    """Submissions the viewer may read: sent ones of visible people, and own drafts."""
    q = Submission.select()
    if form is not None:
        q = q.where(Submission.form == form)
    if scopes.scope_of(viewer) != "all":
        q = q.where(Submission.person.in_(scopes.visible_person_ids(viewer)))
    return q.where((Submission.status == "submitted") | (Submission.person == viewer.id))


FILTERS = ("period_id", "unit_id")


class BadFilter(ValueError):
    """A page's ``period_id``/``unit_id`` that is not an id (``name``, ``value``)."""

    def __init__(self, name, value):
        super().__init__(f"{name}={value!r} is not an id")
        self.name, self.value = name, value


def query_filters(args):
    """The ``period_id``/``unit_id`` filters of an export page's query string. An empty
    value is no filter; anything else that is not an id raises ``BadFilter``, since
    ignoring it would export every submission while the user asked for a few."""
    filters = {}
    for name in FILTERS:
        raw = args.get(name, "")
        if raw == "":
            continue
        value = parse_id(raw)
        if value is None:
            raise BadFilter(name, raw)
        filters[name] = value
    return filters


def filtered(viewer, form, period_id=None, unit_id=None, person_id=None, status=None):
    q = visible_submissions(viewer, form)
    if period_id:
        q = q.where(Submission.period == period_id)
    if person_id:
        q = q.where(Submission.person == person_id)
    if status:
        q = q.where(Submission.status == status)
    if unit_id:
        unit = Unit.get_or_none(Unit.id == unit_id)
        units = unit.subtree().select(Unit.id) if unit else Unit.select(Unit.id).where(
            Unit.id.is_null())
        q = q.where(Submission.person.in_(Person.select(Person.id)
                                          .where(Person.unit.in_(units))))
    return q


def table(viewer, form, **filters):
    """(header, rows) of the sent submissions matching ``filters``."""
    types = registry()
    versions = {v.id: v for v in FormVersion.select().where(FormVersion.form == form)
                .order_by(FormVersion.version.desc())}
    keys, has_rule = [], False
    for v in sorted(versions.values(), key=lambda v: v.id != form.current_version_id):
        for f in v.definition["fields"]:
            t = types.get(f["type"])
            if (t is None or t.has_value) and f["key"] not in keys:
                keys.append(f["key"])
        has_rule = has_rule or bool(v.definition.get("visit_rule"))
    header = BASE_COLUMNS + keys + (list(DERIVED_KEYS) if has_rule else [])
    ctx = Context(viewer, form=form)
    q = filtered(viewer, form, status="submitted", **filters).order_by(Submission.id)
    people = {p.id: p for p in Person.select()}
    units = {u.id: u.code for u in Unit.select(Unit.id, Unit.code)}
    period_names = {p.id: p.name for p in Period.select(Period.id, Period.name)}
    rows = []
    for s in q:
        definition = versions[s.form_version_id].definition
        by_key = {f["key"]: f for f in definition["fields"]}
        person = people.get(s.person_id)
        row = [s.id, person.login if person else "", person.name if person else "",
               units.get(person.unit_id, "") if person else "",
               period_names.get(s.period_id, ""), versions[s.form_version_id].version,
               s.status, s.submitted_at.isoformat(sep=" ") if s.submitted_at else "",
               s.updated_at.isoformat(sep=" ", timespec="seconds")]
        for key in keys:
            value = s.data.get(key)
            field = by_key.get(key)
            t = types.get(field["type"]) if field else None
            if value is None:
                row.append("")
            elif isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and (t is None or t.widget not in ("select", "file")):
                # Numbers stay numbers for spreadsheets; ids (person, customer, file)
                # become names. Money keeps two decimals (the currency is the field's).
                row.append(money_amount(value) if t is not None and t.widget == "money"
                           else value)
            else:
                row.append(t.display_field(field, value, ctx) if t else str(value))
        if has_rule:
            row += [s.data.get("duration_minutes", ""), _yes_no(s.data.get("valid"))]
        rows.append(row)
    return header, rows


def _yes_no(value):
    return "" if value is None else ("yes" if value else "no")


def _safe(cell):
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def to_csv(header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(c) for c in row])
    # A byte-order mark makes Excel open UTF-8 (Chinese) correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(header, rows, title="submissions"):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append([xlsx_text(c) for c in header])
    for row in rows:
        ws.append([_xlsx_cell(ws, _safe(c)) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_cell(ws, value):
    """Money amounts (Decimals) stay numeric cells, shown with two decimals."""
    if isinstance(value, decimal.Decimal):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "#,##0.00"
        return cell
    return xlsx_text(value)


MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export(viewer, form, fmt="csv", **filters):
    """(bytes, mimetype, filename) of the export."""
    if fmt not in MIMETYPES:
        raise ValueError(f"unknown export format {fmt!r}: use csv or xlsx")
    header, rows = table(viewer, form, **filters)
    body = to_csv(header, rows) if fmt == "csv" else to_xlsx(header, rows, form.key)
    return body, MIMETYPES[fmt], f"{form.key}-submissions.{fmt}"
