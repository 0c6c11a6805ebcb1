"""The rep's pages under /my/forms: list, fill, drafts, errors beside fields, edits."""
import io

from alignboard.forms.models import Submission


def _visit_form(accounts, **changes):
    data = {"version": "1", "customer": str(accounts.acme.id), "start_at": "2026-11-20T10:00",
            "end_at": "2026-11-20T10:40", "location.lat": "31.2", "location.lng": "121.4",
            "outcome": "no_change", "action": "submit"}
    data.update(changes)
    return data


def test_rep_sees_what_is_due_and_what_they_can_fill(client, forms, org, login):
    login(org.rob)
    page = client.get("/my/forms/").get_data(as_text=True)
    assert 'id="due"' in page and "Weekly report" in page
    assert "Customer visit log" in page
    home = client.get("/").get_data(as_text=True)
    assert 'id="forms-card"' in home and "Weekly report" in home


def test_rep_submits_a_visit_and_sees_it_counted_valid(client, forms, org, login, accounts,
                                                       app):
    login(org.rob)
    r = client.post("/my/forms/visit_log/new", data=_visit_form(accounts))
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "valid visit" in page and "Acme Ltd" in page
    with app.app_context():
        s = Submission.get()
        assert s.data["valid"] is True and s.data["duration_minutes"] == 40


def test_a_short_visit_is_stored_but_not_valid(client, forms, org, login, accounts, app):
    login(org.rob)
    client.post("/my/forms/visit_log/new", data=_visit_form(accounts, end_at="2026-11-20T10:20"))
    with app.app_context():
        assert Submission.get().data["valid"] is False


def test_wrong_value_shows_error_beside_the_field_and_keeps_the_others(client, forms, org,
                                                                      login, accounts, app):
    login(org.rob)
    r = client.post("/my/forms/visit_log/new",
                    data=_visit_form(accounts, attendees="900", notes="Met the buyer"))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    field = page.split('id="field-attendees"')[1].split('id="field-notes"')[0]
    assert "field-error" in field and "900" in field
    assert "Met the buyer" in page and "2026-11-20T10:40" in page
    with app.app_context():
        assert Submission.select().count() == 0


def test_a_nul_character_in_an_answer_is_refused_beside_the_field(client, forms, org, login,
                                                                  accounts, app):
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/my/forms/"})
    r = client.post("/my/forms/visit_log/new",
                    data=_visit_form(accounts, notes="Met the\x00buyer"))
    assert r.status_code == 422
    field = r.get_data(as_text=True).split('id="field-notes"')[1]
    assert "不得包含 NUL 字符" in field.split('id="field-')[0]
    with app.app_context():
        assert Submission.select().count() == 0


def test_html_in_answers_is_escaped_on_the_page(client, forms, org, login, app):
    login(org.rob)
    r = client.post("/my/forms/kr_checkin/new",
                    data={"version": "1", "goal": "<script>alert(1)</script>",
                          "progress": "20", "action": "submit"})
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_rep_saves_a_draft_then_sends_it(client, forms, org, login, app):
    login(org.rob)
    r = client.post("/my/forms/weekly_report/new",
                    data={"version": "1", "visits": "4", "action": "draft"})
    assert r.status_code == 302
    assert "Drafts" in client.get("/my/forms/").get_data(as_text=True)
    # The once-a-week form leads back to the draft rather than a second report.
    again = client.get("/my/forms/weekly_report/new")
    assert again.status_code == 302 and "/edit" in again.headers["Location"]
    sent = client.post(again.headers["Location"],
                       data={"version": "1", "visits": "4", "new_customers": "1",
                             "next_week": "Visit Acme", "action": "submit"})
    assert sent.status_code == 302
    with app.app_context():
        s = Submission.get()
        assert s.status == "submitted" and s.data["visits"] == 4


def test_a_stale_page_version_is_refused(client, forms, org, login, app):
    login(org.rob)
    r = client.post("/my/forms/kr_checkin/new",
                    data={"version": "9", "goal": "g", "progress": "1", "action": "submit"})
    assert r.status_code == 422
    # A version too large for the database is a stale page as well, not a 500.
    r = client.post("/my/forms/kr_checkin/new", data={
        "version": "99999999999999999999999", "goal": "g", "progress": "1", "action": "submit"})
    assert r.status_code == 422
    with app.app_context():
        assert Submission.select().count() == 0


def test_rep_cannot_open_another_reps_submission(client, forms, org, login, auth, app):
    sid = client.post("/api/v1/forms/kr_checkin/submissions/",
                      json={"data": {"goal": "g", "progress": 5}},
                      headers=auth(org.ray)).get_json()["id"]
    login(org.rob)
    assert client.get(f"/my/forms/submissions/{sid}").status_code == 404
    assert client.get(f"/my/forms/submissions/{sid}/edit").status_code == 404


def test_evidence_upload_through_the_page_and_download(client, forms, org, login, app):
    login(org.rob)
    data = {"version": "1", "target": "Q4", "current_value": "100", "proposed_value": "95",
            "reason": "Competitor cut prices", "evidence_kind": "competitor_price",
            "action": "submit", "evidence": (io.BytesIO(b"%PDF-1.4 notice"), "notice.pdf")}
    r = client.post("/my/forms/target_adjustment/new", data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "notice.pdf" in page
    with app.app_context():
        attachment_id = Submission.get().data["evidence"]
    download = client.get(f"/my/forms/attachments/{attachment_id}")
    assert download.data == b"%PDF-1.4 notice"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_a_bad_upload_keeps_the_other_values_and_stores_no_file(client, forms, org, login,
                                                                 app, tmp_path):
    login(org.rob)
    data = {"version": "1", "target": "Q4", "current_value": "100", "proposed_value": "95",
            "reason": "Competitor cut prices", "evidence_kind": "competitor_price",
            "action": "submit", "evidence": (io.BytesIO(b"<html>"), "page.html")}
    r = client.post("/my/forms/target_adjustment/new", data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Competitor cut prices" in page and ".html" in page
    folder = tmp_path / "uploads"
    assert not folder.exists() or not any(folder.iterdir())


def test_pages_speak_chinese(client, forms, org, login):
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/my/forms/"})
    page = client.get("/my/forms/visit_log/new").get_data(as_text=True)
    assert "客户拜访记录" in page and "提交" in page


def test_refusals_on_the_chinese_fill_page_show_no_english_codes(client, forms, org, login):
    """A second weekly report and a stale page are explained by the Chinese flash alone;
    the API's codes ("one per week", "expected 1") are not repeated in red boxes."""
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/my/forms/"})
    sent = client.post("/my/forms/weekly_report/new", data={
        "version": "1", "visits": "4", "new_customers": "1", "next_week": "Acme",
        "action": "submit"})
    assert sent.status_code == 302
    again = client.post("/my/forms/weekly_report/new", data={
        "version": "1", "visits": "5", "action": "submit"})
    page = again.get_data(as_text=True)
    assert again.status_code == 409 and "已提交此表单" in page
    assert "one per week" not in page and "one per period" not in page
    stale = client.post("/my/forms/kr_checkin/new",
                        data={"version": "9", "goal": "g", "progress": "1", "action": "submit"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 422 and "表单现为第 1 版" in page and "expected 1" not in page


def test_manager_sees_the_latest_from_the_team_only(client, forms, org, login, auth):
    client.post("/api/v1/forms/kr_checkin/submissions/",
                json={"data": {"goal": "north goal", "progress": 5}}, headers=auth(org.rob))
    client.post("/api/v1/forms/kr_checkin/submissions/",
                json={"data": {"goal": "south goal", "progress": 5}}, headers=auth(org.ray))
    login(org.mia)
    page = client.get("/my/forms/").get_data(as_text=True)
    team = page.split('id="team-submissions"')[1].split("</div>\n</div>")[0]
    assert "Rob" in team and "Ray" not in team


def test_an_old_version_submission_still_displays_its_own_fields(client, forms, org, login,
                                                                  auth):
    sid = client.post("/api/v1/forms/kr_checkin/submissions/",
                      json={"data": {"goal": "Old goal", "progress": 30,
                                     "blocker": "Old blocker"}},
                      headers=auth(org.rob)).get_json()["id"]
    definition = client.get("/api/v1/forms/kr_checkin", headers=auth(org.hr)).get_json()[
        "definition"]
    definition["fields"] = [f for f in definition["fields"] if f["key"] != "blocker"]
    assert client.put("/api/v1/forms/kr_checkin", json=definition,
                      headers=auth(org.hr)).get_json()["version"] == 2
    login(org.rob)
    page = client.get(f"/my/forms/submissions/{sid}").get_data(as_text=True)
    assert "Old blocker" in page and "Blocker" in page and "version 1" in page
    edit = client.get(f"/my/forms/submissions/{sid}/edit").get_data(as_text=True)
    assert 'name="blocker"' in edit and 'name="version" value="1"' in edit


def _field_html(page, key):
    """The part of the page from field ``key`` to the next field."""
    return page.split(f'id="field-{key}"')[1].split('id="field-')[0]


def test_field_errors_speak_chinese_beside_the_fields(client, forms, org, login, accounts,
                                                     app):
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/my/forms/"})
    r = client.post("/my/forms/visit_log/new",
                    data=_visit_form(accounts, outcome="maybe", notes="x" * 2001,
                                     **{"location.lat": "200"}))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "必须是以下之一：" in _field_html(page, "outcome")
    assert "超过最大长度 2000。" in _field_html(page, "notes")
    assert "纬度必须在 -90 到 90 之间。" in _field_html(page, "location")
    with app.app_context():
        assert Submission.select().count() == 0


def test_a_refused_upload_type_is_explained_in_chinese(client, forms, org, login):
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/my/forms/"})
    data = {"version": "1", "target": "Q4", "current_value": "100", "proposed_value": "95",
            "reason": "Competitor cut prices", "evidence_kind": "competitor_price",
            "action": "submit", "evidence": (io.BytesIO(b"<html>"), "page.html")}
    r = client.post("/my/forms/target_adjustment/new", data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert "不接受 .html 类型的文件" in _field_html(r.get_data(as_text=True), "evidence")


def test_an_upload_over_the_server_cap_gets_a_readable_page_in_chinese(client, forms, org,
                                                                       login, app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/my/forms/"})
    data = {"version": "1", "target": "Q4", "current_value": "100", "proposed_value": "95",
            "reason": "Competitor cut prices", "evidence_kind": "competitor_price",
            "action": "submit", "evidence": (io.BytesIO(b"x" * 100 * 1024), "big.pdf")}
    r = client.post("/my/forms/target_adjustment/new", data=data,
                    content_type="multipart/form-data")
    assert r.status_code == 413
    page = r.get_data(as_text=True)
    assert "文件过大" in page and "最多 0.0625 MB" in page and "未能保留" in page
    assert 'href="/my/forms/target_adjustment/new"' in page
    with app.app_context():
        assert Submission.select().count() == 0


def test_a_control_character_in_an_answer_is_refused_beside_the_field(client, forms, org,
                                                                      login, app):
    """As the NUL check: the fill page keeps the other values and names the field."""
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/my/forms/"})
    r = client.post("/my/forms/kr_checkin/new",
                    data={"version": "1", "goal": "h\x1b", "progress": "5",
                          "blocker": "ok\r\nfine", "action": "submit"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    field = page.split('id="field-goal"')[1].split('id="field-')[0]
    assert "必须是一行文字，不能含有制表符或控制字符" in field
    assert "ok\r\nfine" in page or "ok\nfine" in page
    with app.app_context():
        assert Submission.select().count() == 0


def test_an_evidence_file_name_loses_control_characters_and_keeps_its_extension(
        client, forms, org, login, app):
    """On the fill page as through the API: the NUL is dropped from the stored and offered
    name, and a very long name keeps its .pdf (it is not refused as a file "of type .?")."""
    from alignboard.forms.models import Attachment

    login(org.rob)
    base = {"version": "1", "target": "Q4", "current_value": "100", "proposed_value": "95",
            "reason": "Competitor cut prices", "evidence_kind": "competitor_price",
            "action": "submit"}
    r = client.post("/my/forms/target_adjustment/new", content_type="multipart/form-data",
                    data=dict(base, evidence=(io.BytesIO(b"%PDF-1.4"), "b\x00.pdf")))
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        attachment_id = Submission.get().data["evidence"]
        assert Attachment.get_by_id(attachment_id).filename == "b.pdf"
    download = client.get(f"/my/forms/attachments/{attachment_id}")
    assert "b.pdf" in download.headers["Content-Disposition"]
    assert "\x00" not in download.headers["Content-Disposition"]
    with app.app_context():
        Submission.delete().execute()  # the form takes one request per period
    r = client.post("/my/forms/target_adjustment/new", content_type="multipart/form-data",
                    data=dict(base, evidence=(io.BytesIO(b"%PDF-1.4"), "y" * 1000 + ".pdf")))
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        stored = Attachment.get_by_id(Submission.get().data["evidence"]).filename
        assert stored.endswith(".pdf") and len(stored) == 255
