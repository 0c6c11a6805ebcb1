#!/usr/bin/env python
"""Throughput of the csv connector on the 8,800-row CRM sample, SQLite (or DATABASE_URL).

    .venv/bin/python bench/csv_sync.py [--batch-size 1000]

Prints rows/s for: the first sync (every row created), a full re-sync (every row
unchanged), an incremental sync of the unchanged file (skipped by its checksum) and a
re-sync after every amount changed (every row updated, history kept).
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

# A bench's app keeps its instance (task queue, uploads, secret) in a temporary folder,
# never in the repository's platform/instance.
os.environ.setdefault("ALIGNBOARD_INSTANCE_PATH", tempfile.mkdtemp(prefix="alignboard-bench-"))

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "platform"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="alignboard-bench-")
    os.environ["ALIGNBOARD_INSTANCE_PATH"] = tmp
    from alignboard import demo, plugins
    from alignboard.app import create_app
    from alignboard.connectors import service, sync
    from alignboard.db import database
    from alignboard.migrations import upgrade
    from alignboard.org import importer

    import alignboard_csv

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench",
                      "LOAD_ENTRY_POINT_PLUGINS": False, "CONNECTOR_FILE_ROOTS": [tmp],
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    plugins.current_for(app).add(alignboard_csv, "csv")
    source = os.path.join(tmp, "sales_pipeline.csv")
    shutil.copy(os.path.join(demo.DATA, "sales_pipeline.csv"), source)
    try:
        with app.app_context():
            database.connect(reuse_if_open=True)
            upgrade(database.obj)
            units, people = demo.org_files("bench-password")
            importer.import_units(units, "u.csv")
            importer.import_people(people, "p.csv")
            c = service.create("bench", "csv", {"path": source,
                                                "batch_size": args.batch_size},
                               demo.DEALS_MAPPING)
            print(f"database: {url.split('@')[-1]}, batch size {args.batch_size}")

            def timed(label, **kw):
                start = time.perf_counter()
                run = sync.run(c, **kw)
                took = time.perf_counter() - start
                rate = run.processed / took if took and run.processed else 0
                print(f"{label:<34} {run.processed:>6} rows {took:7.2f} s {rate:9.0f} rows/s"
                      f"  ({run.created} created, {run.updated} updated, {run.unchanged} "
                      f"unchanged, {run.failed} failed)")

            timed("first sync (all created)")
            timed("full re-sync (all unchanged)", full=True)
            timed("incremental, file unchanged")
            with open(source) as f:
                lines = f.read().splitlines()
            changed = [lines[0]] + [line + "1" if line.endswith(tuple("0123456789"))
                                    else line for line in lines[1:]]
            with open(source, "w") as f:
                f.write("\n".join(changed) + "\n")
            timed("incremental, amounts changed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
