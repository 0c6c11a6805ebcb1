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


# The CRM sample goes in through the csv connector and a field mapping, exactly as an admin
# would set it up: these are the two demo connections.
DEALS_MAPPING = {
    "external_id": "opportunity_id",
    "type": "deal",
    "fields": [
        {"source": "deal_stage", "target": "stage", "convert": "lower"},
        {"source": "close_value", "target": "amount", "convert": "number"},
        {"source": "product", "target": "product"},
        {"source": "account", "target": "account"},
        {"source": "engage_date", "target": "engage_date", "convert": "date",
         "formats": ["%Y-%m-%d"]},
        {"source": "close_date", "target": "close_date", "convert": "date",
         "formats": ["%Y-%m-%d"]},
    ],
    "owner": {"source": "sales_agent", "match": "name", "unmatched": "keep"},
    "occurred_at": {"sources": ["close_date", "engage_date"], "formats": ["%Y-%m-%d"]},
    # Scenario 2 of the design: a signed (won) contract over 50,000 counts as a collection.
    # No sample deal matches (the largest is about 30,000); the rule is there to be seen.
    "conditions": [{"type": "collection", "when": [
        {"field": "stage", "op": "==", "value": "won"},
        {"field": "amount", "op": ">", "value": "50000"}]}],
}
ACCOUNTS_MAPPING = {
    "external_id": "account",
    "type": "account",
    "fields": [
        {"source": "account", "target": "name"},
        {"source": "sector", "target": "sector"},
        {"source": "year_established", "target": "year_established", "convert": "integer"},
        {"source": "revenue", "target": "revenue", "convert": "number"},
        {"source": "employees", "target": "employees", "convert": "integer"},
        {"source": "office_location", "target": "office_location"},
        {"source": "subsidiary_of", "target": "subsidiary_of"},
    ],
}
CONNECTIONS = [("Demo CRM accounts (csv)", "accounts.csv", ACCOUNTS_MAPPING),
               ("Demo CRM deals (csv)", "sales_pipeline.csv", DEALS_MAPPING)]


def _require_csv():
    from ..connectors import registry

    if "csv" not in registry.available():
        raise RuntimeError("the demo loads its CRM data through the csv connector, which is "
                           "not installed: pip install -e plugins/csv (./dev setup does it)")


def load_connections(echo=print, runner=None):
    """Create the demo csv connections (once) and sync them; return the runs.

    ``runner(connection)`` runs a sync (the CLI passes one with a progress bar). A second
    call finds the files unchanged (the cursor holds their checksum) and stores nothing.
    """
    from ..connectors import service, sync
    from ..connectors.models import Connection

    _require_csv()
    runs = []
    for name, filename, mapping in CONNECTIONS:
        settings = {"path": os.path.join(DATA, filename), "batch_size": 1000}
        connection = Connection.get_or_none(Connection.name == name)
        if connection is None:
            connection = service.create(name, "csv", settings, mapping)
            echo(f"connection created: {name}")
        elif connection.mapping != service.validate_mapping(mapping) or \
                connection.settings.get("path") != settings["path"]:
            # A newer demo mapping (or a moved checkout): read the file again.
            service.update(connection, settings=settings, mapping=mapping)
            connection.cursor = None
            connection.save()
        run = runner(connection) if runner else sync.run(connection, trigger="demo")
        if runner is None:
            echo(f"{name}: {run.status}: {run.created} created, {run.updated} updated, "
                 f"{run.unchanged} unchanged, {run.failed} failed")
        if run.status != "succeeded":
            raise RuntimeError(f"demo sync of {name} failed: {run.message}")
        runs.append(run)
    return runs


def load(password=DEMO_PASSWORD, echo=print, runner=None, metrics=True):
    """Load (or refresh) the demo company, its CRM data and, with ``metrics``, the demo
    metrics, targets, colour rules and goals; safe to run twice."""
    _require_csv()  # before anything is written
    load_org(password, echo)
    load_forms(echo)
    load_connections(echo, runner)
    if metrics:
        from ..goals import demo as goals_demo
        from ..metrics import demo as metrics_demo

        metrics_demo.install(echo=echo)
        goals_demo.install(echo=echo)
        load_rules(echo)
    return Person.select().count()


def load_rules(echo=print):
    """The seed rules of the repository's rules/ folder, among them "no new customer for 14
    days" over the CRM deals; loaded after the metrics that some of them read."""
    from ..rules.yamlio import load, templates_dir

    folder = templates_dir()
    if not folder.is_dir():
        echo(f"rules: no templates folder at {folder}; skipped")
        return
    for rule in load(folder):
        echo(f"rule {rule.key}: version {rule.version}, "
             f"{'enabled' if rule.enabled else 'disabled'}")


def load_forms(echo=print):
    """The seed form templates of the repository's forms/ folder (weekly report, visit log,
    key-result check-in, target adjustment, objective), as `alignboard forms
    load-templates` loads them."""
    from ..forms import store
    from ..forms.cli import templates_dir

    folder = templates_dir()
    if not folder.is_dir():
        echo(f"forms: no templates folder at {folder}; skipped")
        return
    for path in sorted(folder.glob("*.yaml")):
        form, version, created = store.import_text(path.read_bytes(), path.name)
        echo(f"form {form.key}: {'created' if created else 'loaded'} "
             f"(version {version.version})")


def load_org(password=DEMO_PASSWORD, echo=print):
    """The demo org (units, people, periods) through the same importer HR uses."""
    units_csv, people_csv = org_files(password)
    for what, fn, data in (("units", importer.import_units, units_csv),
                           ("people", importer.import_people, people_csv)):
        report = fn(data, f"demo-{what}.csv")
        if not report.ok:
            raise RuntimeError(f"demo {what} did not import: {report.errors}")
        echo(f"{what}: {len(report.created)} created, {len(report.updated)} updated")
    made = sum(periods.generate(y) for y in (2016, 2017, periods.today().year))
    echo(f"periods: {made} created")
