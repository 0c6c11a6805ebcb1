"""/api/v1/connections: configure, start syncs, read runs and failed rows (hr/admin only)."""
from alignboard.connectors.models import SyncRun


def test_hr_creates_a_connection_and_never_gets_the_secret_back(client, org, auth, shipped):
    h = auth(org.hr)
    r = client.post("/api/v1/connections/", headers=h, json={
        "name": "api deals", "connector": "rest",
        "settings": {"url": "https://x.example.test/deals", "auth_value": "Bearer abcdef123456"},
        "mapping": {"external_id": "id", "type": "deal"}, "schedule_minutes": 5})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["settings"]["auth_value"] == "••••3456"
    listed = client.get("/api/v1/connections/", headers=h).get_json()
    assert "abcdef" not in str(listed)
    r = client.patch(f"/api/v1/connections/{body['id']}", headers=h,
                     json={"settings": {"url": "https://x.example.test/v2"}})
    assert r.status_code == 200 and r.get_json()["settings"]["auth_value"] == "••••3456"


def test_bad_connection_answers_422_with_field_errors(client, org, auth, shipped):
    r = client.post("/api/v1/connections/", headers=auth(org.admin), json={
        "name": "", "connector": "rest", "settings": {"url": "nope"},
        "mapping": {"type": "deal"}})
    body = r.get_json()
    assert r.status_code == 422
    assert body["errors"]["settings"]["url"] == ["Not a valid URL."]
    assert "external_id" in body["errors"]["mapping"] and "name" in body["errors"]
    r = client.post("/api/v1/connections/", headers=auth(org.admin),
                    json={"name": "x", "connector": "nosuch"})
    assert r.status_code == 422 and "no installed connector" in str(r.get_json()["errors"])


def test_sync_via_api_and_read_its_runs_and_failures(app, client, org, auth, csv_connection):
    h = auth(org.admin)
    csv_connection.path.write_text(csv_connection.path.read_text() + "D9,Rob,,,,,,x\n")
    r = client.post(f"/api/v1/connections/{csv_connection.id}/sync?wait=true", headers=h)
    assert r.status_code == 200 and r.get_json()["created"] == 4
    runs = client.get(f"/api/v1/connections/{csv_connection.id}/runs", headers=h).get_json()
    assert runs[0]["failed"] == 1
    failures = client.get(f"/api/v1/runs/{runs[0]['id']}/failures", headers=h).get_json()
    assert "'x' is not a number" in failures[0]["reason"]


def test_queued_sync_runs_through_the_task_queue(app, client, org, auth, csv_connection):
    app.config["HUEY_BACKEND"] = "immediate"
    r = client.post(f"/api/v1/connections/{csv_connection.id}/sync", headers=auth(org.hr))
    assert r.status_code == 202
    with app.app_context():
        assert SyncRun.get().trigger == "api"


def test_queue_via_the_api_answers_the_queued_run_and_refuses_a_second(
        app, client, org, auth, csv_connection, tmp_path):
    app.config.update(HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=str(tmp_path / "q.db"))
    h = auth(org.hr)
    r = client.post(f"/api/v1/connections/{csv_connection.id}/sync", headers=h)
    assert r.status_code == 202
    with app.app_context():
        run = SyncRun.get()
    assert r.get_json() == {"queued": True, "connection_id": csv_connection.id,
                            "run_id": run.id}
    runs = client.get(f"/api/v1/connections/{csv_connection.id}/runs", headers=h).get_json()
    assert (runs[0]["status"], runs[0]["attempt"], runs[0]["resume_of"]) == ("queued", 1, None)
    again = client.post(f"/api/v1/connections/{csv_connection.id}/sync", headers=h)
    assert again.status_code == 409 and "already queued" in again.get_json()["message"]
    with app.app_context():
        from alignboard import tasks
        tasks.huey_for().storage.flush_all()


def _syncs(huey):
    """The queued sync tasks (storing records also queues tasks of other areas)."""
    return [t for t in huey.pending() if t.args[0] == "connectors.sync"]


def test_reps_and_managers_are_refused(client, org, auth, csv_connection):
    for who in (org.rob, org.mia):
        assert client.get("/api/v1/connections/", headers=auth(who)).status_code == 403
        assert client.post(f"/api/v1/connections/{csv_connection.id}/sync",
                           headers=auth(who)).status_code == 403


def test_connectors_endpoint_lists_installed_connectors(client, org, auth, shipped):
    items = client.get("/api/v1/connectors/", headers=auth(org.hr)).get_json()
    keys = [i["key"] for i in items]
    assert keys == ["csv", "dingtalk", "rest", "salesforce", "webhook"]
    sf = next(i for i in items if i["key"] == "salesforce")
    assert {"name": "refresh_token", "required": True, "secret": True,
            "label": "Refresh token"} in sf["settings"]
