"""How fast answers are validated and submissions stored (SQLite in a temporary folder).

    .venv/bin/python bench/forms_submit.py [N]

Prints: schema builds + validations per second for the visit log, and full submissions
per second through ``forms.submissions.save`` (validation, insert, form.submitted event).
"""
import sys
import os
import tempfile
import time
from pathlib import Path

from alignboard.app import create_app
from alignboard.db import database
from alignboard.migrations import upgrade

# A bench's app keeps its instance (task queue, uploads, secret) in a temporary folder,
# never in the repository's platform/instance.
os.environ.setdefault("ALIGNBOARD_INSTANCE_PATH", tempfile.mkdtemp(prefix="alignboard-bench-"))

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ROOT = Path(__file__).resolve().parents[1]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                          "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                          "LOAD_ENTRY_POINT_PLUGINS": False, "UPLOAD_FOLDER": tmp})
        with app.test_request_context():
            upgrade(database.obj)
            from alignboard.forms import store
            from alignboard.forms.schema import Context, load
            from alignboard.forms.submissions import save
            from alignboard.org.models import Person, Role, Unit
            from alignboard.records.models import Record

            unit = Unit.create(code="t", name="T")
            rep = Person.create(login="rep", name="Rep", unit=unit,
                                role=Role.get(Role.key == "rep"))
            acme = Record.create(external_id="a", type="account", owner=rep,
                                 fields={"name": "Acme"})
            form, version, _ = store.import_text(
                (ROOT / "forms" / "visit_log.yaml").read_bytes(), "visit_log.yaml")
            answers = {"customer": acme.id, "start_at": "2026-11-20T10:00",
                       "end_at": "2026-11-20T10:45", "location": {"lat": 31.2, "lng": 121.4},
                       "outcome": "progress", "next_step": "quote", "attendees": 2}
            started = time.perf_counter()
            for _ in range(N):
                load(version.definition, answers, Context(rep, form=form, locale="en"))
            took = time.perf_counter() - started
            print(f"validate (build schema + load) : {N / took:8.0f} per second")
            started = time.perf_counter()
            for _ in range(N // 4):
                save(form, rep, answers)
            took = time.perf_counter() - started
            print(f"submit (validate, store, event): {(N // 4) / took:8.0f} per second "
                  "(SQLite, one transaction each)")


if __name__ == "__main__":
    main()
