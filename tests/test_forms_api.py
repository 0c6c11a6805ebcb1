"""/api/v1/forms: definitions for hr, submissions scoped by role, JSON errors."""
import io

from alignboard import events
from alignboard.forms.models import Submission

KR = {"key": "kr", "title": {"en": "KR check-in", "zh": "签到"},
      "fields": [{"key": "goal", "type": "text", "label": "Goal", "required": True},
                 {"key": "progress", "type": "percent", "label": "Progress", "min": 0,
                  "max": 100}]}


def test_hr_creates_and_reads_a_form(client, org, auth):
    r = client.post("/api/v1/forms/", json=KR, headers=auth(org.hr))
    assert r.status_code == 201, r.get_json()
    body = client.get("/api/v1/forms/kr", headers=auth(org.hr)).get_json()
    assert body["version"] == 1
    assert body["definition"]["fields"][0]["label"] == {"en": "Goal", "zh": ""}


def test_rep_cannot_create_or_change_a_form(client, org, auth):
    assert client.post("/api/v1/forms/", json=KR, headers=auth(org.rob)).status_code == 403
    client.post("/api/v1/forms/", json=KR, headers=auth(org.hr))
    assert client.put("/api/v1/forms/kr", json=KR, headers=auth(org.rob)).status_code == 403


def test_creating_an_existing_key_answers_409(client, org, auth):
    client.post("/api/v1/forms/", json=KR, headers=auth(org.hr))
    r = client.post("/api/v1/forms/", json=KR, headers=auth(org.hr))
    assert r.status_code == 409
    assert "key" in r.get_json()["errors"]


def test_unknown_field_type_or_duplicate_key_is_refused_and_nothing_stored(client, org, auth):
    bad = dict(KR, fields=[{"key": "a", "type": "hologram", "label": "A"},
                           {"key": "b", "type": "text", "label": "B"},
                           {"key": "b", "type": "text", "label": "B again"}])
    r = client.post("/api/v1/forms/", json=bad, headers=auth(org.hr))
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert "unknown field type 'hologram'" in errors["fields.1.type"][0]
    assert "duplicate key 'b'" in errors["fields.3.key"][0]
    assert client.get("/api/v1/forms/", headers=auth(org.hr)).get_json() == []


def test_update_after_submissions_creates_a_new_version_old_ones_keep_theirs(client, org,
                                                                             auth):
    client.post("/api/v1/forms/", json=KR, headers=auth(org.hr))
    first = client.post("/api/v1/forms/kr/submissions/", json={"data": {"goal": "Grow"}},
                        headers=auth(org.rob)).get_json()
    changed = dict(KR, fields=KR["fields"] + [{"key": "blocker", "type": "long_text",
                                              "label": "Blocker"}])
    r = client.put("/api/v1/forms/kr", json=changed, headers=auth(org.hr))
    assert r.get_json()["version"] == 2
    old = client.get(f"/api/v1/forms/kr/submissions/{first['id']}",
                     headers=auth(org.rob)).get_json()
    assert old["version"] == 1
    v1 = client.get("/api/v1/forms/kr?version=1", headers=auth(org.hr)).get_json()
    assert len(v1["definition"]["fields"]) == 2


def test_update_without_submissions_keeps_the_version(client, org, auth):
    client.post("/api/v1/forms/", json=KR, headers=auth(org.hr))
    r = client.put("/api/v1/forms/kr", json=dict(KR, title="Check-in"), headers=auth(org.hr))
    assert r.get_json()["version"] == 1
    assert r.get_json()["title"] == "Check-in"


def test_update_cannot_rename_the_key(client, org, auth):
    client.post("/api/v1/forms/", json=KR, headers=auth(org.hr))
    r = client.put("/api/v1/forms/kr", json=dict(KR, key="other"), headers=auth(org.hr))
    assert r.status_code == 422 and "key" in r.get_json()["errors"]


def test_valid_visit_is_created_with_201_and_publishes_form_submitted(client, forms, org,
                                                                      auth, visit, app):
    seen = []
    events.subscribe("form.submitted", seen.append)
    try:
        r = client.post("/api/v1/forms/visit_log/submissions/",
                        json={"data": visit(), "version": 1}, headers=auth(org.rob))
    finally:
        events.unsubscribe("form.submitted", seen.append)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["data"]["valid"] is True and body["data"]["duration_minutes"] == 45
    assert len(seen) == 1
    payload = seen[0].payload
    assert payload["form_key"] == "visit_log" and payload["person_id"] == org.rob.id
    assert payload["submission_id"] == body["id"] and payload["version"] == 1
    assert payload["data"]["customer"] == visit()["customer"]
    assert "edited" not in payload and payload["period_id"] is not None


def test_invalid_answers_answer_422_with_errors_per_field_and_store_nothing(client, forms,
                                                                            org, auth, visit):
    data = visit(start_at="not a date", outcome="maybe", attendees=500, surprise="x")
    r = client.post("/api/v1/forms/visit_log/submissions/", json={"data": data},
                    headers=auth(org.rob))
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert set(errors) == {"start_at", "outcome", "attendees", "surprise"}
    assert errors["surprise"] == ["Unknown field."]
    listed = client.get("/api/v1/forms/visit_log/submissions/", headers=auth(org.rob))
    assert listed.get_json() == []
    with client.application.app_context():
        assert events.Event.select().where(events.Event.name == "form.submitted").count() == 0


def test_wrong_types_are_refused(client, forms, org, auth, visit):
    r = client.post("/api/v1/forms/visit_log/submissions/",
                    json={"data": visit(attendees="three", location="here", customer=[1])},
                    headers=auth(org.rob))
    assert set(r.get_json()["errors"]) == {"attendees", "location", "customer"}


def test_a_forged_form_version_is_refused(client, forms, org, auth, visit):
    r = client.post("/api/v1/forms/visit_log/submissions/",
                    json={"data": visit(), "version": 7}, headers=auth(org.rob))
    assert r.status_code == 422
    assert "version" in r.get_json()["errors"]


def test_a_rep_cannot_submit_for_someone_else(client, forms, org, auth, visit):
    r = client.post("/api/v1/forms/visit_log/submissions/",
                    json={"data": visit(), "person_id": org.rae.id}, headers=auth(org.rob))
    assert r.status_code == 403
    assert client.get("/api/v1/forms/visit_log/submissions/",
                      headers=auth(org.hr)).get_json() == []


def test_a_rep_cannot_name_another_reps_customer(client, forms, org, auth, visit, accounts):
    r = client.post("/api/v1/forms/visit_log/submissions/",
                    json={"data": visit(customer=accounts.zeta.id)}, headers=auth(org.rob))
    assert r.status_code == 422 and "customer" in r.get_json()["errors"]


def test_a_rep_may_name_a_company_wide_account(client, forms, org, auth, visit, app):
    from alignboard.records.models import Record

    with app.app_context():
        shared = Record.create(external_id="shared", type="account", fields={"name": "Shared"})
    r = client.post("/api/v1/forms/visit_log/submissions/",
                    json={"data": visit(customer=shared.id)}, headers=auth(org.rob))
    assert r.status_code == 201, r.get_json()


def test_rep_cannot_see_other_reps_submissions(client, forms, org, auth, visit, accounts):
    mine = client.post("/api/v1/forms/visit_log/submissions/", json={"data": visit()},
                       headers=auth(org.rob)).get_json()
    theirs = client.post("/api/v1/forms/visit_log/submissions/",
                         json={"data": visit(customer=accounts.zeta.id)},
                         headers=auth(org.ray)).get_json()
    listed = client.get("/api/v1/forms/visit_log/submissions/", headers=auth(org.rob))
    assert [s["id"] for s in listed.get_json()] == [mine["id"]]
    assert client.get(f"/api/v1/forms/visit_log/submissions/{theirs['id']}",
                      headers=auth(org.rob)).status_code == 404
    manager = client.get("/api/v1/forms/visit_log/submissions/", headers=auth(org.mia))
    assert [s["id"] for s in manager.get_json()] == [mine["id"]]
    everyone = client.get("/api/v1/forms/visit_log/submissions/", headers=auth(org.exec))
    assert len(everyone.get_json()) == 2


def test_drafts_publish_nothing_and_only_their_owner_sees_them(client, forms, org, auth,
                                                              visit):
    r = client.post("/api/v1/forms/visit_log/submissions/",
                    json={"data": {"outcome": "won"}, "status": "draft"},
                    headers=auth(org.rob))
    assert r.status_code == 201 and r.get_json()["status"] == "draft"
    assert r.get_json()["submitted_at"] is None
    assert client.get("/api/v1/forms/visit_log/submissions/",
                      headers=auth(org.mia)).get_json() == []
    with client.application.app_context():
        assert not events.Event.select().where(events.Event.name == "form.submitted").exists()
    sid = r.get_json()["id"]
    sent = client.patch(f"/api/v1/forms/visit_log/submissions/{sid}",
                        json={"data": visit()}, headers=auth(org.rob))
    assert sent.status_code == 200 and sent.get_json()["status"] == "submitted"


def test_editing_a_sent_submission_publishes_edited(client, forms, org, auth, visit, app):
    sid = client.post("/api/v1/forms/visit_log/submissions/", json={"data": visit()},
                      headers=auth(org.rob)).get_json()["id"]
    r = client.patch(f"/api/v1/forms/visit_log/submissions/{sid}",
                     json={"data": visit(outcome="won")}, headers=auth(org.rob))
    assert r.status_code == 200 and r.get_json()["data"]["outcome"] == "won"
    with app.app_context():
        last = events.Event.select().order_by(events.Event.id.desc()).first()
        assert last.payload["edited"] is True and last.payload["submission_id"] == sid


def test_form_that_forbids_editing_refuses_an_edit(client, forms, org, auth, app):
    upload = client.post("/api/v1/forms/target_adjustment/attachments?field=evidence",
                         data={"file": (io.BytesIO(b"%PDF-1.4 evidence"), "notice.pdf")},
                         headers=auth(org.rob), content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    data = {"target": "Q4 collections", "current_value": 100000, "proposed_value": 95000.5,
            "reason": "A competitor cut prices by 12%.", "evidence_kind": "competitor_price",
            "evidence": upload.get_json()["id"]}
    r = client.post("/api/v1/forms/target_adjustment/submissions/", json={"data": data},
                    headers=auth(org.rob))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["data"]["proposed_value"] == 95000.5
    again = client.patch(f"/api/v1/forms/target_adjustment/submissions/{r.get_json()['id']}",
                         json={"data": data}, headers=auth(org.rob))
    assert again.status_code == 403


def test_upload_over_the_limit_or_of_a_forbidden_type_is_refused(client, forms, org, auth,
                                                                app, tmp_path):
    url = "/api/v1/forms/target_adjustment/attachments?field=evidence"
    exe = client.post(url, data={"file": (io.BytesIO(b"MZ..."), "tool.exe")},
                      headers=auth(org.rob), content_type="multipart/form-data")
    assert exe.status_code == 422 and ".exe" in exe.get_json()["errors"]["evidence"][0]
    big = client.post(url, data={"file": (io.BytesIO(b"x" * (10240 * 1024 + 1)), "a.pdf")},
                      headers=auth(org.rob), content_type="multipart/form-data")
    assert big.status_code == 422 and "KB" in big.get_json()["errors"]["evidence"][0]
    folder = tmp_path / "uploads"
    assert not folder.exists() or not any(folder.iterdir())


def test_someone_elses_upload_cannot_be_attached(client, forms, org, auth):
    up = client.post("/api/v1/forms/target_adjustment/attachments?field=evidence",
                     data={"file": (io.BytesIO(b"%PDF"), "a.pdf")}, headers=auth(org.rae),
                     content_type="multipart/form-data").get_json()
    data = {"target": "T", "current_value": 1, "proposed_value": 1,
            "reason": "long enough reason", "evidence_kind": "other", "evidence": up["id"]}
    r = client.post("/api/v1/forms/target_adjustment/submissions/", json={"data": data},
                    headers=auth(org.rob))
    assert r.status_code == 422 and "evidence" in r.get_json()["errors"]


def test_html_in_answers_is_stored_as_given(client, forms, org, auth):
    script = "<script>alert(1)</script>"
    r = client.post("/api/v1/forms/kr_checkin/submissions/",
                    json={"data": {"goal": script, "progress": 50}}, headers=auth(org.rob))
    assert r.get_json()["data"]["goal"] == script


def test_once_per_period_form_refuses_a_second_submission(client, forms, org, auth):
    data = {"visits": 3, "new_customers": 1, "next_week": "More visits"}
    first = client.post("/api/v1/forms/weekly_report/submissions/", json={"data": data},
                        headers=auth(org.rob))
    assert first.status_code == 201
    second = client.post("/api/v1/forms/weekly_report/submissions/", json={"data": data},
                         headers=auth(org.rob))
    assert second.status_code == 409
    other_rep = client.post("/api/v1/forms/weekly_report/submissions/", json={"data": data},
                            headers=auth(org.rae))
    assert other_rep.status_code == 201


def test_a_form_for_reps_is_not_offered_to_a_manager(client, forms, org, auth):
    keys = {f["key"] for f in client.get("/api/v1/forms/", headers=auth(org.mia)).get_json()}
    assert "weekly_report" not in keys and "visit_log" in keys
    r = client.post("/api/v1/forms/weekly_report/submissions/",
                    json={"data": {"visits": 1, "new_customers": 0, "next_week": "x"}},
                    headers=auth(org.mia))
    assert r.status_code == 404


def test_export_csv_filtered_by_unit(client, forms, org, auth, visit, accounts):
    client.post("/api/v1/forms/visit_log/submissions/", json={"data": visit()},
                headers=auth(org.rob))
    client.post("/api/v1/forms/visit_log/submissions/",
                json={"data": visit(customer=accounts.zeta.id)}, headers=auth(org.ray))
    r = client.get(f"/api/v1/forms/visit_log/export?format=csv&unit_id={org.team_a.id}",
                   headers=auth(org.hr))
    assert r.status_code == 200
    lines = r.data.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and "rob" in lines[1] and "Acme Ltd" in lines[1]


def test_forms_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/forms/" in paths
    assert "post" in paths["/api/v1/forms/{key}/submissions/"]


def test_openapi_documents_the_error_bodies_of_submissions(client, forms, org, auth, visit):
    """The documented error body is the one the API sends: status, error, message, errors."""
    doc = client.get("/api/v1/openapi.json").get_json()
    error = doc["components"]["schemas"]["Error"]["properties"]
    assert set(error) == {"status", "error", "message", "errors"}
    ref = {"$ref": "#/components/schemas/Error"}
    for path, method in (("/api/v1/forms/{key}/submissions/", "post"),
                         ("/api/v1/forms/{key}/submissions/{submission_id}", "patch")):
        responses = doc["paths"][path][method]["responses"]
        for status in ("403", "404", "409", "422"):
            assert responses[status]["content"]["application/json"]["schema"] == ref, \
                (path, status)
    body = client.post("/api/v1/forms/visit_log/submissions/", json={"data": visit(
        outcome="nonsense")}, headers=auth(org.rob)).get_json()
    assert set(body) <= set(error) and body["status"] == 422 and body["errors"]


def test_a_rep_cannot_edit_a_submission_naming_someone_else(client, forms, org, auth, visit,
                                                            app):
    sid = client.post("/api/v1/forms/visit_log/submissions/", json={"data": visit()},
                      headers=auth(org.rob)).get_json()["id"]
    r = client.patch(f"/api/v1/forms/visit_log/submissions/{sid}",
                     json={"data": visit(outcome="won"), "person_id": org.rae.id},
                     headers=auth(org.rob))
    assert r.status_code == 403
    assert r.get_json()["errors"] == {"person_id": ["must be you"]}
    with app.app_context():
        s = Submission.get_by_id(sid)
        assert s.person_id == org.rob.id and s.data["outcome"] != "won"


HUGE = 99999999999999999999999


def test_over_long_numbers_in_bodies_and_queries_answer_422_never_500(client, forms, org, auth,
                                                                      visit):
    """Versions, ids and filters beyond 64 bits name nothing; they must be refused as the
    field they are in, not overflow in the database driver."""
    h = auth(org.rob)
    url = "/api/v1/forms/visit_log/submissions/"
    r = client.post(url, json={"data": visit(), "version": HUGE}, headers=h)
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["version"]
    r = client.post(url, json={"data": visit(), "person_id": HUGE}, headers=h)
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["person_id"]
    data = {"target": "T", "current_value": 1, "proposed_value": 1,
            "reason": "long enough reason", "evidence_kind": "other", "evidence": HUGE}
    r = client.post("/api/v1/forms/target_adjustment/submissions/", json={"data": data},
                    headers=h)
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["evidence"]
    for query in (f"version={HUGE}", f"version=-1"):
        r = client.get(f"/api/v1/forms/visit_log?{query}", headers=h)
        assert r.status_code == 422 and "version" in r.get_json()["errors"], query
    for name in ("period_id", "unit_id", "person_id"):
        r = client.get(f"{url}?{name}={HUGE}", headers=h)
        assert r.status_code == 422 and name in r.get_json()["errors"], name
    for name in ("period_id", "unit_id"):
        r = client.get(f"/api/v1/forms/visit_log/export?{name}={HUGE}", headers=h)
        assert r.status_code == 422 and name in r.get_json()["errors"], name
    r = client.get(f"{url}?page={HUGE}", headers=h)
    assert r.status_code == 422 and "page" in r.get_json()["errors"]
    assert Submission.select().count() == 0


def test_a_nul_character_in_answers_answers_422_and_stores_nothing(client, forms, org, auth):
    r = client.post("/api/v1/forms/kr_checkin/submissions/", headers=auth(org.rob),
                    json={"data": {"goal": "Grow\u0000", "progress": 10}})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"data.goal": ["Must not contain a NUL character (code 0)."]}
    assert Submission.select().count() == 0


def test_control_characters_in_text_answers_answer_422_and_store_nothing(client, forms, org,
                                                                        auth):
    """A bell in an answer would be stored and then break the XLSX export of the whole
    form; a short text is one line, a long text keeps its line breaks (and tabs)."""
    h = auth(org.rob)
    url = "/api/v1/forms/kr_checkin/submissions/"
    r = client.post(url, headers=h, json={"data": {"goal": "g\u0007", "progress": 5}})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {
        "goal": ["Must be one line, without tabs or control characters."]}
    r = client.post(url, headers=h, json={"data": {"goal": "two\nlines", "progress": 5}})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["goal"]
    r = client.post(url, headers=h,
                    json={"data": {"goal": "g", "progress": 5, "blocker": "esc\u001b[2J"}})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"blocker": ["Must not contain control characters."]}
    assert Submission.select().count() == 0
    r = client.post(url, headers=h, json={"data": {"goal": "Grow 20%", "progress": 5,
                                                   "blocker": "one\r\ntwo\tthree"}})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["data"]["blocker"] == "one\r\ntwo\tthree"


def test_an_upload_name_loses_control_characters_and_keeps_its_extension(client, forms, org,
                                                                         auth, app):
    """A NUL (or any control character) in a file name is not stored nor sent back in the
    download header; a name over 255 characters is shortened before its extension, so
    a 1000-character report still counts as a .pdf."""
    from alignboard.forms.models import Attachment

    url = "/api/v1/forms/target_adjustment/attachments?field=evidence"
    r = client.post(url, data={"file": (io.BytesIO(b"%PDF"), "a\x00b\x07\x1bc.pdf")},
                    headers=auth(org.rob), content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["filename"] == "abc.pdf"
    long_name = "x" * 1000 + ".pdf"
    r = client.post(url, data={"file": (io.BytesIO(b"%PDF"), long_name)},
                    headers=auth(org.rob), content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    name = r.get_json()["filename"]
    assert name == "x" * 251 + ".pdf"
    with app.app_context():
        assert sorted(a.filename for a in Attachment.select()) == ["abc.pdf", name]
