"""Import units and people from CSV/XLSX: validate every row first, write all or nothing.

A dry run reports what would change. Any row error (a manager cycle, a missing manager, a
duplicate login, an over-long value...) is reported with its row number and column and
nothing is written. Existing units (by code) and people (by login) are updated.
"""
import logging
import re
from dataclasses import dataclass, field

import peewee as pw

from ..db import database
from .. import tabular
from ..i18n import say as _
from .models import Person, Role, Unit, UNIT_KINDS

log = logging.getLogger(__name__)

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Keys and names are shown on one line and matched exactly: a quoted cell may hold a line
# break or tab, which is fine in other columns but never in these.
ONE_LINE_COLUMNS = {"login", "name", "code"}

UNIT_COLUMNS = {"code": True, "name": True, "kind": False, "parent": False, "leader": False}
PEOPLE_COLUMNS = {"login": True, "name": True, "email": False, "unit": False, "manager": False,
                  "role": False, "external_id": False, "password": False, "leads": False}
# The same minimum as the API and the admin: an import must not be a way round it.
MIN_PASSWORD = 8
# How many rows a report shows as read (key and name), so that a person can see garbled
# names before importing: a file in an encoding that cannot be detected (EUC-KR, CP1251
# read as GBK) gives valid but meaningless Chinese characters.
SAMPLE_ROWS = 5
MAX_LEN = {"code": 64, "name": 200, "login": 64, "email": 254, "external_id": 128,
           "kind": 32, "password": 200}


@dataclass
class Report:
    """What an import did, or would do on a dry run."""
    dry_run: bool
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # dicts: row, column, message
    sample: list = field(default_factory=list)  # (login or code, name) of the first rows

    @property
    def ok(self):
        return not self.errors

    def error(self, row, column, message):
        self.errors.append({"row": row, "column": column, "message": message})

    def as_dict(self):
        return {"dry_run": self.dry_run, "ok": self.ok, "created": self.created,
                "updated": self.updated, "errors": self.errors,
                "sample": [list(pair) for pair in self.sample]}


def _check_columns(columns, allowed, report):
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        report.error(1, ",".join(unknown),
                     _("unknown column(s) %(unknown)s; expected %(allowed)s",
                       unknown=", ".join(unknown), allowed=", ".join(allowed)))
    missing = [c for c, required in allowed.items() if required and c not in columns]
    if missing:
        report.error(1, ",".join(missing), _("missing required column(s) %(missing)s",
                                                   missing=", ".join(missing)))
    return report.ok


def _check_values(row, columns, report):
    good = True
    for col in columns:
        value = row.get(col, "")
        if col in MAX_LEN and len(value) > MAX_LEN[col]:
            report.error(row["__row__"], col,
                         _("longer than %(n)d characters", n=MAX_LEN[col]))
            good = False
        if CONTROL_RE.search(value):
            report.error(row["__row__"], col, _("contains control characters"))
            good = False
        elif col in ONE_LINE_COLUMNS and ("\n" in value or "\t" in value):
            report.error(row["__row__"], col, _("contains a line break or tab"))
            good = False
    return good


def _tally(report, rows, key, existing):
    for row in rows:
        (report.updated if row[key] in existing else report.created).append(row[key])
    report.sample = [(row[key], row.get("name", "")) for row in rows[:SAMPLE_ROWS]]


def _cycle(edges, start):
    """Follow ``edges`` (child -> parent) from ``start``; return the loop if there is one."""
    seen = []
    node = start
    while node is not None:
        if node in seen:
            return seen[seen.index(node):]
        seen.append(node)
        node = edges.get(node)
    return None


def _check_external_ids(rows, existing, report):
    """Each external id may belong to one person: in the file, and against people already
    stored who keep theirs (not in the file)."""
    in_file = {row["login"] for row in rows}
    owners = {p.external_id: login for login, p in existing.items()
              if p.external_id and login not in in_file}
    first = {}
    for row in rows:
        ext, n = row.get("external_id"), row["__row__"]
        if not ext:
            continue
        if ext in first:
            report.error(n, "external_id",
                         _("duplicate external_id %(ext)r (first on row %(first)d)",
                           ext=ext, first=first[ext]))
        elif ext in owners:
            report.error(n, "external_id",
                         _("external_id %(ext)r already belongs to %(owner)r",
                           ext=ext, owner=owners[ext]))
        first.setdefault(ext, n)


def _open(data, filename, allowed, dry_run):
    """Read the file and check its header; return ``(report, columns, rows)``."""
    report = Report(dry_run)
    try:
        columns, rows = tabular.read(data, filename)
    except tabular.TabularError as exc:
        report.error(exc.row, None, str(exc))
        return report, [], []
    _check_columns(columns, allowed, report)
    return report, columns, rows


def import_units(data, filename, dry_run=False):
    report, columns, rows = _open(data, filename, UNIT_COLUMNS, dry_run)
    if not report.ok:
        return report

    existing = {u.code: u for u in Unit.select()}
    parents = {code: (u.parent.code if u.parent_id else None) for code, u in existing.items()}
    in_file = {}
    for row in rows:
        n = row["__row__"]
        if not _check_values(row, columns, report):
            continue
        code, name = row["code"], row["name"]
        if not code:
            report.error(n, "code", _("is required"))
            continue
        if not name:
            report.error(n, "name", _("is required"))
        if code in in_file:
            report.error(n, "code", _("%(code)r appears twice (first on row %(first)d)",
                                      code=code, first=in_file[code]))
            continue
        in_file[code] = n
        kind = row.get("kind") or "team"
        if kind not in UNIT_KINDS:
            report.error(n, "kind", _("%(kind)r is not one of %(kinds)s",
                                      kind=kind, kinds=", ".join(UNIT_KINDS)))
        parents[code] = row.get("parent") or None
        leader = row.get("leader")
        if leader and not Person.select().where(Person.login == leader).exists():
            report.error(n, "leader", _("no person with login %(login)r", login=leader))
    for row in rows:
        code, parent = row.get("code"), row.get("parent")
        if code in in_file and parent and parent not in parents:
            report.error(row["__row__"], "parent", _("no unit with code %(code)r", code=parent))
        elif code in in_file:
            loop = _cycle(parents, code)
            if loop:
                report.error(row["__row__"], "parent",
                             _("units form a cycle: %(loop)s",
                               loop=" -> ".join(loop + [loop[0]])))
    if not report.ok:
        return report

    _tally(report, rows, "code", existing)
    if dry_run:
        return report
    with database.atomic():
        # Parents first: sort by depth in the final tree.
        def depth(code):
            d, node = 0, parents.get(code)
            while node:
                d, node = d + 1, parents.get(node)
            return d

        units = dict(existing)
        for row in sorted(rows, key=lambda r: depth(r["code"])):
            unit = units.get(row["code"]) or Unit(code=row["code"])
            unit.name = row["name"]
            unit.kind = row.get("kind") or unit.kind or "team"
            unit.parent = units[row["parent"]] if row.get("parent") else None
            if row.get("leader"):
                unit.leader = Person.get(Person.login == row["leader"])
            unit.save()
            units[unit.code] = unit
    log.info("imported units: %d created, %d updated", len(report.created), len(report.updated))
    return report


def import_people(data, filename, dry_run=False):
    report, columns, rows = _open(data, filename, PEOPLE_COLUMNS, dry_run)
    if not report.ok:
        return report

    roles = {r.key: r for r in Role.select()}
    units = {u.code: u for u in Unit.select()}
    existing = {p.login: p for p in Person.select()}
    managers = {p.login: (p.manager.login if p.manager_id else None) for p in existing.values()}
    in_file = {}
    for row in rows:
        n = row["__row__"]
        if not _check_values(row, columns, report):
            continue
        login = row["login"]
        if not login:
            report.error(n, "login", _("is required"))
            continue
        if not LOGIN_RE.match(login):
            report.error(n, "login", _("%(login)r may hold only lower-case letters, digits, "
                                       "dots, dashes and underscores", login=login))
            continue
        if login in in_file:
            report.error(n, "login", _("duplicate login %(login)r (first on row %(first)d)",
                                       login=login, first=in_file[login]))
            continue
        in_file[login] = n
        if not row["name"]:
            report.error(n, "name", _("is required"))
        email = row.get("email")
        if email and not EMAIL_RE.match(email):
            report.error(n, "email", _("%(email)r is not an e-mail address", email=email))
        if row.get("password") and len(row["password"]) < MIN_PASSWORD:
            report.error(n, "password",
                         _("shorter than %(n)d characters", n=MIN_PASSWORD))
        role = row.get("role") or ("rep" if login not in existing else None)
        if role and role not in roles:
            report.error(n, "role", _("unknown role %(role)r; known: %(known)s",
                                      role=role, known=", ".join(sorted(roles))))
        unit = row.get("unit")
        if unit and unit not in units:
            report.error(n, "unit", _("no unit with code %(code)r", code=unit))
        for code in filter(None, (c.strip() for c in row.get("leads", "").split(";"))):
            if code not in units:
                report.error(n, "leads", _("no unit with code %(code)r", code=code))
        managers[login] = row.get("manager") or None
    for row in rows:
        login, manager = row.get("login"), row.get("manager")
        if login not in in_file:
            continue
        if manager and manager not in managers:
            report.error(row["__row__"], "manager",
                         _("manager %(login)r is not a known login", login=manager))
            continue
        loop = _cycle(managers, login)
        if loop:
            report.error(row["__row__"], "manager",
                         _("management cycle: %(loop)s",
                           loop=" -> ".join(loop + [loop[0]])))
    _check_external_ids([r for r in rows if r.get("login") in in_file], existing, report)
    if not report.ok:
        return report

    _tally(report, rows, "login", existing)
    if dry_run:
        return report
    try:
        _write_people(rows, columns, existing, roles, units)
    except pw.IntegrityError as exc:
        # The checks above should catch every clash; this keeps a missed one (or a race
        # with another writer) a report error rather than a crash. Nothing was written.
        log.warning("people import rolled back: %s", exc)
        report.created, report.updated = [], []
        report.error(None, None, _("nothing was imported: the database refused a row "
                                   "(%(reason)s)", reason=exc))
        return report
    log.info("imported people: %d created, %d updated", len(report.created),
             len(report.updated))
    return report


def _write_people(rows, columns, existing, roles, units):
    """Write the checked rows in one transaction."""
    with database.atomic():
        people = dict(existing)
        for row in rows:
            person = people.get(row["login"]) or Person(login=row["login"])
            person.name = row["name"]
            for col in ("email", "external_id"):
                if col in columns:
                    setattr(person, col, row[col] or None)
            if row.get("role"):
                person.role = roles[row["role"]]
            elif not person.role_id:
                person.role = roles["rep"]
            if "unit" in columns:
                person.unit = units[row["unit"]] if row["unit"] else None
            if row.get("password"):
                person.set_password(row["password"])
            if "manager" in columns:
                # Cleared here and set in the second pass, so that a reshuffle never passes
                # through a transient cycle.
                person.manager = None
            person.save()
            people[person.login] = person
        # Managers second, once everyone named in the file exists.
        for row in rows:
            person = people[row["login"]]
            if "manager" in columns:
                person.manager = people[row["manager"]] if row["manager"] else None
                person.save()
            for code in filter(None, (c.strip() for c in row.get("leads", "").split(";"))):
                Unit.update(leader=person).where(Unit.code == code).execute()
