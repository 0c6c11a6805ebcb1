"""Sync runs: upsert through the mapping, counts and failed rows logged, resume after a kill."""
import os
import subprocess
import sys
import textwrap

import pytest
from marshmallow import ValidationError

from alignboard import events
from alignboard.connectors import service, sync
from alignboard.connectors.models import Connection, SyncFailure, SyncRun
from alignboard.records.models import Record, RecordVersion


def _run(app, connection_id, **kwargs):
    with app.app_context():
        return sync.run(Connection.get_by_id(connection_id), **kwargs)


def test_sync_stores_mapped_records_with_owner_and_occurred_at(app, org, csv_connection):
    run = _run(app, csv_connection.id)
    assert (run.status, run.created, run.failed) == ("succeeded", 4, 0)
    with app.app_context():
        d1 = Record.get(Record.external_id == "D1")
        assert d1.owner_id == org.rob.id and d1.type == "deal"
        assert d1.fields == {"stage": "won", "amount": 1200.0, "product": "GTX Basic",
                             "account": "Acme", "engage_date": "2017-01-02",
                             "close_date": "2017-02-03"}
        assert d1.occurred_at.isoformat() == "2017-02-03T00:00:00"
        d2 = Record.get(Record.external_id == "D2")
        assert d2.fields["account"] is None and d2.fields["amount"] is None
        assert d2.occurred_at.isoformat() == "2017-01-05T00:00:00"
        assert Record.get(Record.external_id == "D3").occurred_at is None


def test_owner_matching_nobody_is_kept_unowned_and_reported(app, org, csv_connection):
    run = _run(app, csv_connection.id)
    with app.app_context():
        d4 = Record.get(Record.external_id == "D4")
        assert d4.owner_id is None and d4.owner_ref == "Nobody Known"
    assert "no person matches" in run.message and "Nobody Known" in run.message


def test_rerunning_a_sync_creates_no_duplicate(app, org, csv_connection):
    _run(app, csv_connection.id)
    again = _run(app, csv_connection.id)
    full = _run(app, csv_connection.id, full=True)
    assert (again.created, again.processed) == (0, 0)  # the file is unchanged: skipped
    assert (full.created, full.unchanged) == (0, 4)
    with app.app_context():
        assert Record.select().count() == 4


def test_changed_source_row_updates_the_record_and_keeps_history(app, org, csv_connection):
    _run(app, csv_connection.id)
    seen = []
    events.subscribe("record.changed", seen.append)
    try:
        text = csv_connection.path.read_text().replace("Engaging,2017-01-05,,",
                                                       "Won,2017-01-05,2017-04-01,999")
        csv_connection.path.write_text(text)
        run = _run(app, csv_connection.id)
    finally:
        events.unsubscribe("record.changed", seen.append)
    assert (run.updated, run.unchanged, run.created) == (1, 3, 0)
    assert [e.payload["external_id"] for e in seen] == ["D2"]
    with app.app_context():
        d2 = Record.get(Record.external_id == "D2")
        assert d2.fields["stage"] == "won" and d2.version == 2
        assert RecordVersion.get(RecordVersion.record == d2).fields["stage"] == "engaging"


def test_a_bad_row_is_logged_with_its_reason_and_the_run_goes_on(app, org, csv_connection):
    csv_connection.path.write_text(csv_connection.path.read_text() +
                                   "D5,Rob,GTX,Acme,Won,31/12/2017,,abc\n"
                                   ",Rob,GTX,Acme,Won,2017-01-01,,\n"
                                   "D6,Rae,GTX,Acme,Won,2017-01-01,2017-01-09,5\n")
    run = _run(app, csv_connection.id)
    assert (run.status, run.created, run.failed) == ("succeeded", 5, 2)
    with app.app_context():
        reasons = {f.row_ref: f.reason for f in SyncFailure.select()}
    assert "'31/12/2017' is not a date in the format(s) %Y-%m-%d" in reasons["deals.csv:6"]
    assert "'abc' is not a number" in reasons["deals.csv:6"]
    assert "no external id" in reasons["deals.csv:7"]


def test_owner_matching_nobody_can_be_rejected(app, org, csv_connection):
    with app.app_context():
        c = Connection.get_by_id(csv_connection.id)
        c.mapping = dict(c.mapping, owner={"source": "sales_agent", "match": "name",
                                           "unmatched": "reject"})
        c.save()
    run = _run(app, csv_connection.id)
    assert (run.created, run.failed) == (3, 1)
    with app.app_context():
        assert "'Nobody Known' matches no active person by name" in SyncFailure.get().reason


def test_missing_file_fails_the_run_with_a_clear_reason(app, org, csv_connection):
    os.remove(csv_connection.path)
    run = _run(app, csv_connection.id)
    assert run.status == "failed" and "is neither a file nor a folder" in run.message


def test_classification_condition_sets_the_type(app, org, csv_connection):
    csv_connection.path.write_text(csv_connection.path.read_text() +
                                   "D7,Rob,GTX,Acme,Won,2017-01-01,2017-01-09,60000\n"
                                   "D8,Rob,GTX,Acme,Lost,2017-01-01,2017-01-09,60000\n")
    _run(app, csv_connection.id)
    with app.app_context():
        types = {r.external_id: r.type for r in Record.select()}
    assert types["D7"] == "collection" and types["D8"] == "deal" and types["D1"] == "deal"


def test_second_run_while_one_is_live_is_refused(app, org, csv_connection):
    with app.app_context():
        SyncRun.create(connection=csv_connection.id)
        try:
            sync.run(Connection.get_by_id(csv_connection.id))
        except sync.SyncBusy as exc:
            assert "already syncing" in str(exc)
        else:
            raise AssertionError("a second run started")


KILLER = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from conftest import make_app
    from alignboard import events, plugins
    from alignboard.connectors import sync
    from alignboard.connectors.models import Connection
    import alignboard_csv

    app = make_app({url!r}, __import__("pathlib").Path({tmp!r}), migrate=False,
                   CONNECTOR_FILE_ROOTS=[{tmp!r}])
    plugins.current_for(app).add(alignboard_csv, "csv")
    created = []

    def kill_midway(event):
        created.append(event)
        if len(created) == 5:   # inside the third batch's transaction (batches of 2)
            os.kill(os.getpid(), signal.SIGKILL)

    events.subscribe("record.created", kill_midway)
    with app.app_context():
        sync.run(Connection.get_by_id({cid}))
""")


def test_run_killed_halfway_resumes_from_its_cursor_without_loss_or_doubles(
        app, org, csv_connection, database_url, tmp_path):
    rows = "".join(f"K{i},Rob,GTX,Acme,Won,2017-01-01,2017-01-09,{i}\n" for i in range(6))
    csv_connection.path.write_text(csv_connection.path.read_text() + rows)  # 10 rows
    script = KILLER.format(tests=os.path.dirname(__file__), url=database_url,
                           tmp=str(tmp_path), cid=csv_connection.id)
    env = dict(os.environ, ALIGNBOARD_INSTANCE_PATH=str(tmp_path / "instance"))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True)
    assert proc.returncode == -9, proc.stderr
    with app.app_context():
        # Two whole batches were committed; the third died with its transaction.
        assert Record.select().count() == 4
        c = Connection.get_by_id(csv_connection.id)
        assert c.cursor["row"] == 4
        assert SyncRun.get().status == "running"
    app.config["CONNECTOR_STALE_SECONDS"] = 0
    run = _run(app, csv_connection.id)
    assert (run.status, run.created, run.updated, run.processed) == ("succeeded", 6, 0, 6)
    with app.app_context():
        assert Record.select().count() == 10
        ids = [r.external_id for r in Record.select()]
        assert len(ids) == len(set(ids))
        statuses = [r.status for r in SyncRun.select().order_by(SyncRun.id)]
        assert statuses == ["interrupted", "succeeded"]


def test_schedule_picks_connections_whose_interval_has_passed(app, org, csv_connection):
    from datetime import timedelta

    from alignboard.db import utcnow
    with app.app_context():
        c = Connection.get_by_id(csv_connection.id)
        assert sync.due() == []  # on demand only
        c.schedule_minutes = 1
        c.save()
        assert [x.id for x in sync.due()] == [c.id]  # never ran
        c.last_run_at = utcnow()
        c.save()
        assert sync.due() == []
        assert [x.id for x in sync.due(utcnow() + timedelta(minutes=1))] == [c.id]


def test_push_connections_refuse_a_schedule_and_are_never_due(app, org, shipped):
    with app.app_context():
        with pytest.raises(ValidationError, match="cannot run on a schedule"):
            service.create("hook", "webhook", {}, schedule_minutes=5)
        c = service.create("hook", "webhook", {})
        with pytest.raises(ValidationError, match="cannot run on a schedule"):
            service.update(c, schedule_minutes=1)
        service.update(c, schedule_minutes=0)
        # A schedule stored before the check existed must not make the worker fail it.
        Connection.update(schedule_minutes=1).where(Connection.id == c.id).execute()
        assert sync.due() == []


def test_ctrl_c_marks_the_run_interrupted_and_the_next_run_resumes(
        app, org, csv_connection, monkeypatch):
    import pytest

    from alignboard.records import store
    real, calls = store.upsert, []

    def upsert(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the first row of the second batch (batches of 2)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "upsert", upsert)
    with pytest.raises(KeyboardInterrupt):
        _run(app, csv_connection.id)
    monkeypatch.setattr(store, "upsert", real)
    with app.app_context():
        first = SyncRun.get()
        assert (first.status, first.created) == ("interrupted", 2)
        assert Record.select().count() == 2
    second = _run(app, csv_connection.id)
    assert (second.status, second.created) == ("succeeded", 2)


def test_numeric_external_ids_from_json_resync_without_errors(app, org, shipped):
    from alignboard.connectors import base

    class Numbers(base.Connector):
        key, title = "numbers", "Numbers"

        def pull(self, settings, cursor):
            yield base.Batch([{"id": 7.0, "v": 1}, {"id": 8, "v": 2}], {})

    import types
    from alignboard import hookimpl, plugins
    module = types.ModuleType("numbers_plugin")
    module.register_connectors = hookimpl(lambda: [Numbers])
    plugins.current_for(app).add(module, "numbers")
    from alignboard.connectors import service
    with app.app_context():
        c = service.create("n", "numbers", {}, {"external_id": "id", "type": "t"})
        first, second = sync.run(c), sync.run(c)
        assert (first.created, second.unchanged, second.failed) == (2, 2, 0)
        assert sorted(r.external_id for r in Record.select()) == ["7", "8"]


def test_nan_and_infinity_are_row_errors_and_a_resync_changes_nothing(app, org, shipped,
                                                                      tmp_path):
    path = tmp_path / "amounts.csv"
    path.write_text("id,amount\nA,NaN\nB,inf\nC,-Infinity\nD,12\n")
    mapping = {"external_id": "id", "type": "deal",
               "fields": [{"source": "amount", "target": "amount", "convert": "number"}]}
    with app.app_context():
        cid = service.create("amounts", "csv", {"path": str(path)}, mapping).id
    seen = []
    events.subscribe("record.changed", seen.append)
    try:
        first = _run(app, cid)
        again = _run(app, cid, full=True)
    finally:
        events.unsubscribe("record.changed", seen.append)
    assert (first.created, first.failed) == (1, 3)
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 1, 3)
    assert seen == []
    with app.app_context():
        assert [r.external_id for r in Record.select()] == ["D"]
        assert RecordVersion.select().count() == 0  # history is written only on a change
        reasons = sorted(f.reason for f in SyncFailure.select().where(SyncFailure.run == first.id))
        assert reasons == ["amount: '-Infinity' is not a finite number",
                           "amount: 'NaN' is not a finite number",
                           "amount: 'inf' is not a finite number"]
