"""Metric update latency and rebuild time on the CRM sample (8,800 deals).

    .venv/bin/python bench/metrics_latency.py [--changes 300] [--database-url URL]

Builds a fresh database (SQLite in a temporary folder unless --database-url names an empty
PostgreSQL database or schema), loads the demo company and the 8,800 deals, installs the demo
metrics ("won value" and "collections" per rep, team, office and company, per week and
quarter, with targets and colour rules), then measures:

- the incremental path: a record arrives (records.store.upsert, which publishes
  record.created/record.changed) until the affected metric values are stored, for
  ``--changes`` records (half new won deals, half existing deals changing stage);
- the full rebuild (``alignboard metrics rebuild``), twice: from stored values and from an
  empty value table;
and checks that the rebuild finds nothing the incremental path left different.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime

# A bench's app keeps its instance (task queue, uploads, secret) in a temporary folder,
# never in the repository's platform/instance.
os.environ.setdefault("ALIGNBOARD_INSTANCE_PATH", tempfile.mkdtemp(prefix="alignboard-bench-"))

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "platform"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="alignboard-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    os.environ["ALIGNBOARD_INSTANCE_PATH"] = tmp
    from alignboard.app import create_app
    from alignboard.db import database
    from alignboard.migrations import upgrade

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING",
                      "LOAD_ENTRY_POINT_PLUGINS": True,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        import logging
        logging.getLogger().setLevel(logging.WARNING)
        from alignboard import demo
        from alignboard.metrics import demo as metrics_demo
        from alignboard.metrics.models import MetricValue
        from alignboard.metrics.rebuild import rebuild
        from alignboard.org.models import Person
        from alignboard.records import store
        from alignboard.records.models import Record

        database.connect(reuse_if_open=True)
        upgrade(database.obj)
        t = time.perf_counter()
        # The org and the 8,800 deals, through the csv connector as the demo does.
        demo.load("bench-password", echo=lambda *a: None, metrics=False)
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        metrics_demo.install(echo=lambda *a: None)
        install_s = time.perf_counter() - t
        print(f"database: {url.split('@')[-1]}")
        print(f"deals loaded: {Record.select().count()} records in {load_s:.1f}s "
              "(no metric defined yet)")
        print(f"demo metrics installed (definitions, targets, first build): {install_s:.1f}s; "
              f"{MetricValue.select().count()} values")

        rng = random.Random(7)
        reps = [p for p in Person.select() if p.role.key == "rep"]
        existing = list(Record.select().where(Record.type == "deal")
                        .where(Record.occurred_at.is_null(False)))
        latencies = []
        for i in range(args.changes):
            if i % 2 == 0:
                rep = rng.choice(reps)
                day = datetime(2017, rng.randint(1, 12), rng.randint(1, 28))
                kwargs = dict(connection_id=None, external_id=f"BENCH-{i}", type="deal",
                              fields={"stage": "won", "amount": float(rng.randint(500, 9000)),
                                      "product": "GTX Basic", "account": None,
                                      "engage_date": None,
                                      "close_date": day.date().isoformat()},
                              owner=rep, owner_ref=rep.name, occurred_at=day)
            else:
                r = rng.choice(existing)
                fields = dict(r.fields)
                fields["stage"] = "lost" if fields.get("stage") == "won" else "won"
                fields["amount"] = fields.get("amount") or 1000.0
                kwargs = dict(connection_id=r.connection_id, external_id=r.external_id,
                              type=r.type, fields=fields, owner=r.owner_id,
                              owner_ref=r.owner_ref, occurred_at=r.occurred_at)
            t = time.perf_counter()
            store.upsert(**kwargs)
            latencies.append(time.perf_counter() - t)
        latencies.sort()
        ms = [x * 1000 for x in latencies]
        print(f"incremental: {len(ms)} records, latency from upsert to stored values "
              f"median {statistics.median(ms):.0f} ms, p95 {ms[int(len(ms) * 0.95) - 1]:.0f} ms, "
              f"max {ms[-1]:.0f} ms")

        summary = rebuild(publish=False)
        print(f"rebuild over stored values: {summary['seconds']:.2f}s, {summary['keys']} keys, "
              f"{summary['changed']} differed from the incremental path")
        MetricValue.delete().execute()
        summary = rebuild(publish=False)
        print(f"rebuild from an empty value table: {summary['seconds']:.2f}s, "
              f"{summary['values']} values stored")
        if summary["values"] == 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
