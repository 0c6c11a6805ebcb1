"""Admin pages of connections: generated settings form, masked secrets, mapping with form
controls, upload, sync now with its run log."""
import os

from alignboard.connectors import secrets, sync
from alignboard.connectors.models import Connection, SyncRun
from alignboard.records.models import Record


def _create_rest(client):
    return client.post("/admin/connections/new/rest", data={
        "name": "crm api", "s_url": "https://crm.example.test/api/deals",
        "s_auth_value": "Bearer topsecret-123", "s_pagination": "page",
        "s_page_size": "50", "schedule_minutes": "15", "enabled": "1"})


def test_settings_form_is_generated_from_the_connector_schema(app, client, org, login,
                                                              shipped):
    login(org.admin)
    page = client.get("/admin/connections/new/rest").get_data(as_text=True)
    for name in ("s_url", "s_auth_value", "s_pagination", "s_page_size", "s_records_path"):
        assert f'name="{name}"' in page
    assert 'type="password"' in page and '<option value="next_link"' in page


def test_admin_creates_a_connection_with_an_encrypted_secret_never_shown_again(
        app, client, org, login, shipped):
    login(org.admin)
    r = _create_rest(client)
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        c = Connection.get(Connection.name == "crm api")
        assert c.schedule_minutes == 15 and c.settings["pagination"] == "page"
        assert "topsecret" not in (c.secrets or "") + str(c.settings)
        assert secrets.decrypt(c.secrets)["auth_value"] == "Bearer topsecret-123"
    page = client.get(f"/admin/connections/{c.id}/edit").get_data(as_text=True)
    assert "topsecret" not in page and "••••-123" in page
    assert "A value is stored; leave empty to keep it." in page
    # Saving the form with the secret left empty keeps the stored secret.
    r = client.post(f"/admin/connections/{c.id}/edit", data={
        "name": "crm api", "s_url": "https://crm.example.test/api/v2/deals",
        "s_pagination": "page", "s_page_size": "50", "schedule_minutes": "0", "enabled": "1"})
    assert r.status_code == 302
    with app.app_context():
        c = Connection.get_by_id(c.id)
        assert c.settings["url"].endswith("/v2/deals")
        assert secrets.decrypt(c.secrets)["auth_value"] == "Bearer topsecret-123"


def test_bad_settings_are_marked_and_nothing_is_stored(app, client, org, login, shipped):
    login(org.admin)
    r = client.post("/admin/connections/new/rest", data={
        "name": "x", "s_url": "not a url", "s_page_size": "0", "schedule_minutes": "-1"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Not a valid URL." in page
    assert "Must be greater than or equal to 1" in page and "0 (on demand only)" in page
    with app.app_context():
        assert Connection.select().count() == 0


def test_mapping_is_configured_with_form_controls(app, client, org, login, csv_connection):
    login(org.admin)
    cid = csv_connection.id
    page = client.get(f"/admin/connections/{cid}/mapping").get_data(as_text=True)
    assert 'name="f-0-source" value="deal_stage"' in page
    r = client.post(f"/admin/connections/{cid}/mapping", data={
        "external_id": "opportunity_id", "type": "deal",
        "owner_source": "sales_agent", "owner_match": "name", "owner_unmatched": "keep",
        "occurred_sources": "close_date, engage_date", "occurred_formats": "%Y-%m-%d",
        "f-0-source": "deal_stage", "f-0-target": "stage", "f-0-trim": "1",
        "f-0-convert": "text", "f-0-value_map": "Won = won\nLost = lost\nEngaging = open\n"
                                                 "Prospecting = open",
        "f-1-source": "close_value", "f-1-target": "amount", "f-1-convert": "number",
        "f-2-source": "", "f-2-target": "",
        "c-0-type": "collection", "c-0-0-field": "stage", "c-0-0-op": "==",
        "c-0-0-value": "won", "c-0-1-field": "amount", "c-0-1-op": ">",
        "c-0-1-value": "1000", "c-0-2-field": ""})
    assert r.status_code == 302
    with app.app_context():
        m = Connection.get_by_id(cid).mapping
        assert m["fields"][0]["value_map"]["Engaging"] == "open"
        assert m["conditions"][0]["when"][1] == {"field": "amount", "op": ">",
                                                 "value": "1000"}
        sync.run(Connection.get_by_id(cid))
        assert Record.get(Record.external_id == "D1").type == "collection"
        assert Record.get(Record.external_id == "D2").fields == {"stage": "open",
                                                                 "amount": None}


def test_invalid_mapping_is_explained_and_not_saved(app, client, org, login, csv_connection):
    login(org.admin)
    cid = csv_connection.id
    with app.app_context():
        before = Connection.get_by_id(cid).mapping
    r = client.post(f"/admin/connections/{cid}/mapping", data={
        "external_id": "", "type": "deal", "f-0-source": "x", "f-0-target": "1bad",
        "f-0-convert": "date", "f-0-formats": "dd/mm/yyyy",
        "f-0-value_map": "no equals sign here"})
    page = r.get_data(as_text=True)
    assert "value map" in page and "write &#39;source value = record value&#39;" in page
    r = client.post(f"/admin/connections/{cid}/mapping", data={
        "external_id": "", "type": "deal", "f-0-source": "x", "f-0-target": "1bad",
        "f-0-convert": "date", "f-0-formats": "dd/mm/yyyy"})
    page = r.get_data(as_text=True)
    assert "external_id: Length must be between 1 and 200." in page
    assert "fields.1.target: use letters, digits and _" in page
    r = client.post(f"/admin/connections/{cid}/mapping", data={
        "external_id": "id", "type": "deal", "f-0-source": "x", "f-0-target": "when",
        "f-0-convert": "date", "f-0-formats": "dd/mm/yyyy"})
    assert "&#39;dd/mm/yyyy&#39; is not a date format" in r.get_data(as_text=True)
    with app.app_context():
        assert Connection.get_by_id(cid).mapping == before


def test_sync_now_shows_the_run_with_failed_rows(app, client, org, login, csv_connection):
    # Immediate mode: the queued task runs inside the request, as on an install without a
    # worker.
    app.config["HUEY_BACKEND"] = "immediate"
    csv_connection.path.write_text(csv_connection.path.read_text() +
                                   "D9,Rob,GTX,Acme,Won,someday,,1\n")
    login(org.admin)
    r = client.post(f"/admin/connections/{csv_connection.id}/run", data={"mode": "now"},
                    follow_redirects=True)
    listing = r.get_data(as_text=True)
    assert "succeeded" in listing and "4 created" in listing and "1 failed" in listing
    assert "<td>admin</td><td>succeeded</td>" in listing
    with app.app_context():
        run = SyncRun.get()
    page = client.get(f"/admin/connections/runs/{run.id}").get_data(as_text=True)
    assert "&#39;someday&#39; is not a date" in page and "deals.csv:6" in page
    index = client.get("/admin/connections/").get_data(as_text=True)
    assert "deals" in index and "4/0/0/1" in index


def test_run_pages_refresh_themselves_while_a_run_is_going(app, client, org, login,
                                                           csv_connection):
    from alignboard.connectors.models import SyncRun

    app.config["HUEY_BACKEND"] = "immediate"
    login(org.admin)
    client.post(f"/admin/connections/{csv_connection.id}/run", data={"mode": "now"})
    with app.app_context():
        done = SyncRun.select().order_by(SyncRun.id.desc()).first()
        going = SyncRun.create(connection=csv_connection.id, trigger="schedule",
                               processed=40, total=100)
    runs_page = f"/admin/connections/{csv_connection.id}/runs"
    page = client.get(runs_page).get_data(as_text=True)
    assert 'id="auto-refresh"' in page and "40/100" in page
    assert 'id="auto-refresh"' in client.get(f"/admin/connections/runs/{going.id}").get_data(
        as_text=True)
    assert 'id="auto-refresh"' not in client.get(
        f"/admin/connections/runs/{done.id}").get_data(as_text=True)
    with app.app_context():
        SyncRun.update(status="succeeded").where(SyncRun.id == going.id).execute()
    assert 'id="auto-refresh"' not in client.get(runs_page).get_data(as_text=True)


def test_sync_now_queues_the_run_and_the_worker_runs_that_very_run(
        app, client, org, login, csv_connection, tmp_path):
    """Nothing is synced inside the request: the run is queued, shown at once, and the
    worker's task starts it."""
    from alignboard import tasks

    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=str(tmp_path / "q.db"))
    login(org.admin)
    cid = csv_connection.id
    r = client.post(f"/admin/connections/{cid}/run", data={"mode": "now"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/{cid}/runs")
    with app.app_context():
        queued = SyncRun.get()
        assert (queued.status, queued.trigger, queued.processed) == ("queued", "admin", 0)
        assert Record.select().count() == 0
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"Sync queued as run {queued.id}" in page
    assert "<td>admin</td><td>queued</td>" in page and "waiting for the worker" in page
    assert 'id="auto-refresh"' in page  # the page follows the queued run
    assert 'id="auto-refresh"' in client.get(
        f"/admin/connections/runs/{queued.id}").get_data(as_text=True)
    # A second click does not stack a second run behind the first.
    again = client.post(f"/admin/connections/{cid}/run", data={"mode": "now"},
                        follow_redirects=True).get_data(as_text=True)
    assert f"is already queued (run {queued.id}" in again
    with app.app_context():
        huey = tasks.huey_for()
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())  # what `alignboard worker` does
        run = SyncRun.get()  # still the one run: the task started the queued row
        assert (run.id, run.status, run.created, run.message) == (queued.id, "succeeded",
                                                                  4, run.message)
        assert "waiting for the worker" not in run.message
        huey.storage.flush_all()
    assert 'id="auto-refresh"' not in client.get(
        f"/admin/connections/{cid}/runs").get_data(as_text=True)


def test_upload_feeds_a_csv_connection(app, client, org, login, csv_connection):
    import io
    login(org.admin)
    data = {"file": (io.BytesIO("opportunity_id,deal_stage\nU1,Won\n".encode("gbk")),
                     "more.csv")}
    r = client.post(f"/admin/connections/{csv_connection.id}/upload", data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 302
    with app.app_context():
        c = Connection.get_by_id(csv_connection.id)
        assert c.settings["path"].endswith(f"connections/{c.id}")
        run = sync.run(c)
        assert run.created == 1 and Record.get().external_id == "U1"


def test_upload_keeps_a_chinese_file_name(app, client, org, login, csv_connection):
    import io
    login(org.admin)
    data = {"file": (io.BytesIO("opportunity_id,deal_stage,close_value\n"
                                "V1,Won,1\nV2,Won,很多\n".encode("gbk")), "客户拜访.csv")}
    r = client.post(f"/admin/connections/{csv_connection.id}/upload", data=data,
                    content_type="multipart/form-data", follow_redirects=True)
    assert "客户拜访.csv uploaded" in r.get_data(as_text=True)
    with app.app_context():
        c = Connection.get_by_id(csv_connection.id)
        assert os.listdir(c.settings["path"]) == ["客户拜访.csv"]
        run = sync.run(c)
        assert (run.created, run.failed) == (1, 1)
        assert run.failures.get().row_ref == "客户拜访.csv:3"


def test_upload_names_cannot_leave_the_connection_folder(app, client, org, login,
                                                         csv_connection, tmp_path):
    import io
    login(org.admin)
    for name in ("../../escape.csv", "..\\..\\escape.csv"):
        client.post(f"/admin/connections/{csv_connection.id}/upload",
                    data={"file": (io.BytesIO(b"opportunity_id\nX\n"), name)},
                    content_type="multipart/form-data")
    folder = tmp_path / "uploads" / "connections" / str(csv_connection.id)
    assert os.listdir(folder) == ["escape.csv"]
    assert not (tmp_path / "escape.csv").exists()
    assert not (tmp_path / "uploads" / "escape.csv").exists()
    r = client.post(f"/admin/connections/{csv_connection.id}/upload",
                    data={"file": (io.BytesIO(b"x"), "notes.txt")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "Choose a .csv or .xlsx file." in r.get_data(as_text=True)


def test_upload_to_a_connection_that_reads_no_files_is_refused_before_saving(
        app, client, org, login, shipped, tmp_path):
    import io
    login(org.admin)
    _create_rest(client)
    with app.app_context():
        c = Connection.get(Connection.name == "crm api")
        before = dict(c.settings)
    r = client.post(f"/admin/connections/{c.id}/upload",
                    data={"file": (io.BytesIO(b"id\n1\n"), "x.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/{c.id}/edit")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Connection crm api does not read files; nothing was uploaded." in page
    assert not (tmp_path / "uploads" / "connections").exists()
    with app.app_context():
        assert Connection.get_by_id(c.id).settings == before


def test_reps_cannot_open_connections(client, org, login, csv_connection):
    login(org.rob)
    assert client.get("/admin/connections/").status_code == 403
    assert client.post(f"/admin/connections/{csv_connection.id}/run").status_code == 403


def test_mapping_preview_shows_mapped_rows_and_errors_without_storing(
        app, client, org, login, csv_connection):
    csv_connection.path.write_text(csv_connection.path.read_text() +
                                   "D9,Rob,GTX,Acme,Won,someday,,1\n")
    login(org.admin)
    cid = csv_connection.id
    with app.app_context():
        before = Connection.get_by_id(cid).mapping
    r = client.post(f"/admin/connections/{cid}/mapping", data={
        "action": "preview", "external_id": "opportunity_id", "type": "deal",
        "owner_source": "sales_agent", "owner_match": "name",
        "f-0-source": "engage_date", "f-0-target": "engaged", "f-0-convert": "date",
        "f-0-formats": "%Y-%m-%d",
        "c-0-type": "big", "c-0-0-field": "engaged", "c-0-0-op": "is not empty"})
    page = r.get_data(as_text=True)
    assert "nothing was saved or stored" in page and "<code>deal_stage</code>" in page
    assert "<td>D1</td><td>big</td>" in page and "<td>D3</td><td>deal</td>" in page
    assert "engage_date: &#39;someday&#39; is not a date" in page
    assert "Nobody Known" in page and "matches no active person" in page
    with app.app_context():
        assert Connection.get_by_id(cid).mapping == before
        assert Record.select().count() == 0 and SyncRun.select().count() == 0


def test_deleting_a_connection_needs_its_name_and_keeps_its_records(
        app, client, org, login, csv_connection):
    app.config["HUEY_BACKEND"] = "immediate"
    login(org.admin)
    cid = csv_connection.id
    client.post(f"/admin/connections/{cid}/run", data={"mode": "now"})
    client.post(f"/admin/connections/{cid}/delete", data={"confirm": "wrong"})
    with app.app_context():
        assert Connection.select().count() == 1
    r = client.post(f"/admin/connections/{cid}/delete", data={"confirm": "deals"},
                    follow_redirects=True)
    assert "the records it stored are kept" in r.get_data(as_text=True)
    with app.app_context():
        assert Connection.select().count() == 0 and SyncRun.select().count() == 0
        assert Record.select().count() == 4
