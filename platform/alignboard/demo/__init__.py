"""The demo company, built from the public CRM sample shipped in ``demo/crm``.

Its org goes in through the same importer HR uses (a people file and a units file), so the
demo exercises the real path. 35 reps, 6 managers, 3 regional offices, one company, plus
the users ``hr``, ``exec`` and ``admin``.
"""
import csv
import io
import logging
import os
import re

from ..org import importer, periods
from ..org.models import Person

log = logging.getLogger(__name__)

DATA = os.path.join(os.path.dirname(__file__), "crm")
COMPANY = ("demo", "Alignboard Demo Co.")
DEMO_PASSWORD = "alignboard-demo"
STAFF = [("exec", "Erin Exec", "exec"), ("hr", "Hana HR", "hr"), ("admin", "Adam Admin", "admin")]


def login_for(name):
    """'Anna Snelling' -> 'anna.snelling', 'Mei-Mei Johns' -> 'mei-mei.johns'."""
    return re.sub(r"\s+", ".", name.strip().lower())


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def read_csv(name):
    with open(os.path.join(DATA, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _csv_bytes(header, rows):
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode()


def org_files(password=DEMO_PASSWORD):
    """The demo org as (units CSV, people CSV) bytes, exactly what HR would upload."""
    teams = read_csv("sales_teams.csv")
    offices = sorted({t["regional_office"] for t in teams})
    managers = sorted({(t["manager"], t["regional_office"]) for t in teams})
    units = [[COMPANY[0], COMPANY[1], "company", "", ""]]
    units += [[slug(o), f"{o} office", "region", COMPANY[0], ""] for o in offices]
    units += [[slug(m), f"{m}'s team", "team", slug(o), ""] for m, o in managers]
    people = [[login, name, f"{login}@demo.alignboard.test", COMPANY[0], "", role, password,
               COMPANY[0] if role == "exec" else ""] for login, name, role in STAFF]
    people += [[login_for(m), m, f"{login_for(m)}@demo.alignboard.test", slug(m), "exec",
                "manager", password, slug(m)] for m, _ in managers]
    people += [[login_for(t["sales_agent"]), t["sales_agent"],
                f"{login_for(t['sales_agent'])}@demo.alignboard.test", slug(t["manager"]),
                login_for(t["manager"]), "rep", password, ""] for t in teams]
    return (_csv_bytes(["code", "name", "kind", "parent", "leader"], units),
            _csv_bytes(["login", "name", "email", "unit", "manager", "role", "password",
                        "leads"], people))


def load(password=DEMO_PASSWORD, echo=print):
    """Load (or refresh) the demo company; safe to run twice."""
    units_csv, people_csv = org_files(password)
    for what, fn, data in (("units", importer.import_units, units_csv),
                           ("people", importer.import_people, people_csv)):
        report = fn(data, f"demo-{what}.csv")
        if not report.ok:
            raise RuntimeError(f"demo {what} did not import: {report.errors}")
        echo(f"{what}: {len(report.created)} created, {len(report.updated)} updated")
    made = sum(periods.generate(y) for y in (2016, 2017, periods.today().year))
    echo(f"periods: {made} created")
    return Person.select().count()
