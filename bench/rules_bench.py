"""Rule path throughput and record-to-alert latency, printed as figures.

    .venv/bin/python bench/rules_bench.py [--events 20000] [--path-events 2000]
        [--samples 30] [--count-records 3000] [--count-groups 100] [--db sqlite|URL]

1. durable_rules alone: one ruleset, every event matching, ``Host.post`` per event.
2. Our matcher (``alignboard.rules.engine.match``): the same facts through our interface.
3. The whole rule path: events published to the outbox, then the worker claims each one,
   evaluates the rule, writes the firing and its delivery (SQLite file by default).
4. Latency from ``records.store.upsert`` (a record arrives) to the alert in the inbox with
   a worker running its loop (idle poll 0.05 s) in a thread.
5. A count rule grouped by a record field (seed rule 2, ten communications on one
   opportunity): a bulk of communications on a number of opportunities stored, then the
   worker processes their events (each counts its opportunity's records in SQL).
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

# A bench's app keeps its instance (task queue, uploads, secret) in a temporary folder,
# never in the repository's platform/instance.
os.environ.setdefault("ALIGNBOARD_INSTANCE_PATH", tempfile.mkdtemp(prefix="alignboard-bench-"))

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "platform"))

RULESET = {"r": {"all": [{"m": {"$and": [{"kind": "event"}, {"event": "record.created"},
                                         {"$gt": {"fields__amount": 50000}}]}}],
                 "run": "fire"}}


def durable_alone(n):
    from durable import engine as de

    hits = []

    class Host(de.Host):
        def get_action(self, name):
            return lambda c: hits.append(1)

    host = Host()
    host.set_rulesets({"bench": {"r": {"all": [{"m": {"$gt": {"amount": 50000}}}],
                                       "run": "fire"}}})
    t = time.perf_counter()
    for i in range(n):
        host.post("bench", {"id": i, "sid": "0", "amount": 60000 + i})
    dt = time.perf_counter() - t
    assert len(hits) == n
    return n / dt


def our_matcher(n):
    from alignboard.rules import engine

    t = time.perf_counter()
    for i in range(n):
        assert engine.match(RULESET, {"kind": "event", "event": "record.created",
                                      "fields__amount": 60000 + i})
    return n / (time.perf_counter() - t)


def make_app(db_url):
    from alignboard.app import create_app
    from alignboard.db import database
    from alignboard.migrations import upgrade

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "bench", "TESTING": True,
                      "LOAD_ENTRY_POINT_PLUGINS": False, "LOG_LEVEL": "WARNING",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        database.connect(reuse_if_open=True)
        upgrade(database.obj)
    return app


def setup_org_and_rule():
    from alignboard.org.models import Person, Role, Unit
    from alignboard.rules import definition

    team = Unit.create(code="t", name="Team")
    boss = Person.create(login="boss", name="Boss", role=Role.get(Role.key == "manager"),
                         unit=team)
    rep = Person.create(login="rep", name="Rep", role=Role.get(Role.key == "rep"), unit=team,
                        manager=boss)
    definition.save({"key": "big-deal", "name": "Big deal", "enabled": True,
                     "trigger": {"type": "event", "event": "record.created",
                                 "record_type": "deal"},
                     "conditions": {"rows": [{"field": "fields.amount", "op": "gt",
                                              "value": 50000}]},
                     "actions": [{"channel": "inbox", "to": ["manager"],
                                  "title": "Big deal by {subject_name}"}]})
    return rep


def whole_path(app, n):
    from alignboard import events
    from alignboard.db import database
    from alignboard.rules import worker
    from alignboard.rules.models import RuleFiring

    with app.app_context():
        rep = setup_org_and_rule()
        with database.atomic():
            for i in range(n):
                events.publish("record.created", record_id=10**6 + i, connection_id=1,
                               external_id=str(i), type="deal", owner_id=rep.id,
                               occurred_at=None, fields={"amount": 60000 + i})
        t = time.perf_counter()
        while worker.process_events(limit=500):
            pass
        dt = time.perf_counter() - t
        assert RuleFiring.select().count() == n
        return n / dt


def _upsert_retrying(store, external_id, rep):
    import peewee

    # records.store.upsert reads, then writes in a deferred SQLite transaction; when the
    # worker committed in between, SQLite answers "database is locked" at once. Retry.
    for _ in range(50):
        try:
            return store.upsert(9, external_id, "deal", {"amount": 99999}, owner=rep)
        except peewee.OperationalError:
            time.sleep(0.01)
    raise RuntimeError("the database stayed locked")


def latency(app, samples):
    from alignboard.db import database
    from alignboard.notify.models import Notification
    from alignboard.org.models import Person
    from alignboard.records import store
    from alignboard.rules import worker

    stop = threading.Event()

    def loop():
        with app.app_context():
            database.connect(reuse_if_open=True)
            worker.run_forever(interval=0.05, stop=stop)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    out = []
    with app.app_context():
        rep = Person.get(Person.login == "rep")
        for i in range(samples):
            time.sleep(0.12)  # let the worker go idle, as between real arrivals
            before = Notification.select().count()
            t = time.perf_counter()
            _upsert_retrying(store, f"lat-{i}", rep)
            while Notification.select().count() == before:
                time.sleep(0.002)
            out.append(time.perf_counter() - t)
    stop.set()
    thread.join()
    return out


def count_path(app, n, groups):
    """Events/s of seed rule 2 over ``n`` communications spread on ``groups`` opportunities,
    and its firings (one per opportunity reaching ten)."""
    import yaml

    from alignboard.db import database
    from alignboard.org.models import Person
    from alignboard.records import store
    from alignboard.rules import definition, worker
    from alignboard.rules.models import Rule, RuleFiring

    seed = os.path.join(os.path.dirname(__file__), "..", "rules",
                        "02-update-opportunity-stage.yaml")
    with open(seed, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    with app.app_context():
        Rule.update(enabled=False).execute()  # only seed rule 2 runs
        rule = definition.save(dict(data, enabled=True))
        rep = Person.get(Person.login == "rep")
        with database.atomic():
            for i in range(n):
                store.upsert(3, f"comm-{i}", "communication",
                             {"opportunity_id": f"OPP-{i % groups}"}, owner=rep)
        t = time.perf_counter()
        while worker.process_events(limit=500):
            pass
        dt = time.perf_counter() - t
        firings = RuleFiring.select().where(RuleFiring.rule == rule).count()
        threshold = data["trigger"]["threshold"]
        expected = sum(1 for g in range(groups) if len(range(g, n, groups)) >= threshold)
        assert firings == expected, (firings, expected)
        return n / dt, firings


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--path-events", type=int, default=2000)
    p.add_argument("--samples", type=int, default=30)
    p.add_argument("--count-records", type=int, default=3000)
    p.add_argument("--count-groups", type=int, default=100)
    p.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a URL")
    args = p.parse_args()
    alone = durable_alone(args.events)
    ours = our_matcher(args.events)
    print(f"durable_rules alone:        {alone:10,.0f} events/s ({args.events} events)")
    print(f"our matcher (engine.match): {ours:10,.0f} events/s  ratio {ours / alone:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db" if args.db == "sqlite" else args.db
        app = make_app(url)
        path = whole_path(app, args.path_events)
        print(f"whole rule path (outbox -> claim -> match -> firing + delivery rows): "
              f"{path:,.0f} events/s  ratio to durable_rules alone {path / alone:.3f}")
        lat = sorted(latency(app, args.samples))
        p95 = lat[max(0, int(len(lat) * 0.95) - 1)]
        print(f"record arrival -> inbox alert (worker polling every 0.05 s when idle): "
              f"median {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"max {lat[-1] * 1000:.0f} ms over {len(lat)} records")
        rate, fired = count_path(app, args.count_records, args.count_groups)
        print(f"count rule by field (seed rule 2: {args.count_records} communications on "
              f"{args.count_groups} opportunities, worker): {rate:,.0f} events/s, "
              f"{fired} firings")


if __name__ == "__main__":
    main()
