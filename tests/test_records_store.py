"""The records store: upsert by (connection, external id), history, one event per change."""
from datetime import datetime

from alignboard import events
from alignboard.records import store
from alignboard.records.models import Record, RecordVersion


def test_rerunning_the_same_row_creates_no_duplicate(app, org):
    with app.app_context():
        r1, s1 = store.upsert(1, "D-1", "deal", {"amount": 10}, owner=org.rob,
                              occurred_at=datetime(2017, 1, 2))
        r2, s2 = store.upsert(1, "D-1", "deal", {"amount": 10}, owner=org.rob,
                              occurred_at=datetime(2017, 1, 2))
        assert (s1, s2) == (store.CREATED, store.UNCHANGED)
        assert r1.id == r2.id and Record.select().count() == 1


def test_changed_row_updates_and_keeps_history(app, org):
    with app.app_context():
        store.upsert(1, "D-1", "deal", {"amount": 10}, owner=org.rob)
        record, status = store.upsert(1, "D-1", "deal", {"amount": 99}, owner=org.rob)
        assert status == store.UPDATED and record.version == 2
        old = RecordVersion.get(RecordVersion.record == record)
        assert old.fields == {"amount": 10} and old.version == 1


def test_each_change_publishes_one_event(app, org):
    seen = []
    with app.app_context():
        events.subscribe("record.created", seen.append)
        events.subscribe("record.changed", seen.append)
        try:
            store.upsert(1, "D-1", "deal", {"amount": 10}, owner=org.rob)
            store.upsert(1, "D-1", "deal", {"amount": 10}, owner=org.rob)
            store.upsert(1, "D-1", "deal", {"amount": 11}, owner=org.rob)
        finally:
            events.unsubscribe("record.created", seen.append)
            events.unsubscribe("record.changed", seen.append)
    assert [e.name for e in seen] == ["record.created", "record.changed"]
    assert seen[1].payload["previous"]["fields"] == {"amount": 10}


def test_same_external_id_from_two_connections_are_two_records(app, org):
    with app.app_context():
        store.upsert(1, "X", "deal", {})
        store.upsert(2, "X", "deal", {})
        assert Record.select().count() == 2


def test_rep_sees_only_own_records_through_api(client, app, org, auth):
    with app.app_context():
        store.upsert(1, "mine", "deal", {}, owner=org.rob)
        store.upsert(1, "theirs", "deal", {}, owner=org.rae)
        theirs = Record.get(Record.external_id == "theirs").id
    listed = client.get("/api/v1/records/", headers=auth(org.rob)).get_json()
    assert [r["external_id"] for r in listed] == ["mine"]
    assert client.get(f"/api/v1/records/{theirs}", headers=auth(org.rob)).status_code == 404
    assert len(client.get("/api/v1/records/", headers=auth(org.mia)).get_json()) == 2


def test_bulk_writers_can_pass_the_prefetched_record(app, org):
    with app.app_context():
        store.upsert(1, "D-1", "deal", {"amount": 10})
        known = store.prefetch(1, ["D-1", "D-2"])
        assert list(known) == ["D-1"]
        _, s1 = store.upsert(1, "D-1", "deal", {"amount": 11}, existing=known["D-1"])
        _, s2 = store.upsert(1, "D-2", "deal", {"amount": 1}, existing=None)
        assert (s1, s2) == (store.UPDATED, store.CREATED)
        assert Record.select().count() == 2
