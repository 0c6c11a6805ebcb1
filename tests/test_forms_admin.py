"""The HR side in the admin: form list, field editor, preview, import and export."""
import io
import json

import yaml

from alignboard.forms.definition import normalise
from alignboard.forms.models import Form, FormVersion

DEFINITION = {"key": "call_log", "title": {"en": "Call log", "zh": "通话记录"},
              "fields": [{"key": "minutes", "type": "duration", "label": {"en": "Minutes"},
                          "required": True},
                         {"key": "topic", "type": "choice", "label": "Topic",
                          "choices": [{"value": "price", "label": {"en": "Price"}}]}]}


def test_rep_cannot_open_the_forms_admin(client, org, login):
    login(org.rob)
    assert client.get("/admin/forms_admin/").status_code == 403


def test_hr_lists_forms_with_their_versions(client, forms, org, login):
    login(org.hr)
    page = client.get("/admin/forms_admin/").get_data(as_text=True)
    assert "visit_log" in page and "weekly_report" in page


def test_editor_saves_a_definition_and_edits_it(client, org, login, app):
    login(org.hr)
    editor = client.get("/admin/forms_admin/new")
    assert editor.status_code == 200 and 'id="add-field"' in editor.get_data(as_text=True)
    r = client.post("/admin/forms_admin/new", data={"definition": json.dumps(DEFINITION)})
    assert r.status_code == 302
    page = client.get("/admin/forms_admin/edit/call_log").get_data(as_text=True)
    assert "call_log" in page
    with app.app_context():
        assert Form.get(Form.key == "call_log").definition["fields"][0]["type"] == "duration"


def test_editor_shows_errors_and_stores_nothing(client, org, login, app):
    login(org.hr)
    bad = dict(DEFINITION, fields=DEFINITION["fields"] + [
        {"key": "minutes", "type": "text", "label": "again"}])
    r = client.post("/admin/forms_admin/new", data={"definition": json.dumps(bad)})
    assert r.status_code == 200
    assert "duplicate key" in r.get_data(as_text=True)
    with app.app_context():
        assert Form.select().count() == 0


def test_editor_and_import_errors_speak_chinese_on_the_chinese_admin(client, org, login, app):
    """Definition checks run in forms/definition.py, store.py and the field types, away
    from the view; on the zh_CN admin their refusals must still be Chinese."""
    login(org.hr)
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/forms_admin/"})
    bad = dict(DEFINITION, edit={"allowed": True, "hours": 0}, fields=DEFINITION["fields"] + [
        {"key": "minutes", "type": "text", "label": "again"},
        {"key": "shape", "type": "hologram", "label": "Shape"},
        {"key": "score", "type": "number", "label": "Score", "min": 5, "max": 1}])
    page = client.post("/admin/forms_admin/new",
                       data={"definition": json.dumps(bad)}).get_data(as_text=True)
    errors = page.split('id="editor-errors"')[1].split("</div>")[0]
    assert "键 &#39;minutes&#39; 重复" in errors          # definition.py
    assert "未知的字段类型 &#39;hologram&#39;" in errors   # definition.py
    assert "不能小于 min" in errors                       # a field type's check
    assert "必须大于或等于 1 且小于或等于 8784" in errors  # marshmallow's own message
    assert "duplicate key" not in errors and "unknown field type" not in errors
    assert "must not be below" not in errors and "Must be" not in errors
    r = client.post("/admin/forms_admin/import",
                    data={"file": (io.BytesIO("title: 标题".encode("gbk")), "x.yaml")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "该文件不是 UTF-8 文本" in r.get_data(as_text=True)   # store.py
    with app.app_context():
        assert Form.select().count() == 0


def test_labels_with_html_are_escaped_in_the_preview(client, org, login, app):
    login(org.hr)
    sneaky = dict(DEFINITION, fields=[{"key": "x", "type": "text",
                                       "label": "<img src=x onerror=alert(1)>"}])
    client.post("/admin/forms_admin/new", data={"definition": json.dumps(sneaky)})
    page = client.get("/admin/forms_admin/preview/call_log").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert 'id="preview-banner"' in page


def test_export_and_import_round_trip_losslessly(client, forms, org, login, app):
    login(org.hr)
    exported = client.get("/admin/forms_admin/export/visit_log?format=yaml").data
    with app.app_context():
        before = Form.get(Form.key == "visit_log").definition
    assert exported.startswith(b"key: visit_log\ntitle:")
    with app.app_context():
        assert normalise(yaml.safe_load(exported)) == before
    changed = exported.replace(b"Customer visit log", b"Visit log")
    r = client.post("/admin/forms_admin/import",
                    data={"file": (io.BytesIO(changed), "visit_log.yaml")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    with app.app_context():
        form = Form.get(Form.key == "visit_log")
        assert form.title == "Visit log"
        again = dict(form.definition, title=before["title"])
        assert again == before


def test_import_of_a_broken_file_stores_nothing(client, org, login, app):
    login(org.hr)
    r = client.post("/admin/forms_admin/import",
                    data={"file": (io.BytesIO(b"key: x\nfields: [\n"), "x.yaml")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "Nothing was imported" in r.get_data(as_text=True)
    with app.app_context():
        assert FormVersion.select().count() == 0


def test_hr_downloads_submissions_as_xlsx(client, forms, org, login, auth):
    from openpyxl import load_workbook

    client.post("/api/v1/forms/kr_checkin/submissions/",
                json={"data": {"goal": "=HYPERLINK(1)", "progress": 40}}, headers=auth(org.rob))
    login(org.hr)
    r = client.get("/admin/forms_admin/submissions/kr_checkin?format=xlsx")
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.values)
    assert rows[0][:2] == ("submission_id", "person_login")
    goal = rows[0].index("goal")
    assert rows[1][goal] == "'=HYPERLINK(1)"
    assert rows[1][rows[0].index("progress")] == 40


def test_hr_reads_submissions_in_the_admin(client, forms, org, login, auth):
    sid = client.post("/api/v1/forms/kr_checkin/submissions/",
                      json={"data": {"goal": "<b>bold</b>", "progress": 40}},
                      headers=auth(org.rob)).get_json()["id"]
    login(org.hr)
    listing = client.get("/admin/forms_submissions/")
    assert listing.status_code == 200 and "Rob" in listing.get_data(as_text=True)
    details = client.get(f"/admin/forms_submissions/details/?id={sid}")
    assert details.status_code == 200
    assert "<b>bold</b>" not in details.get_data(as_text=True)


def test_a_closed_form_takes_no_submissions(client, forms, org, login, auth):
    login(org.hr)
    client.post("/admin/forms_admin/active/kr_checkin")
    r = client.post("/api/v1/forms/kr_checkin/submissions/",
                    json={"data": {"goal": "g", "progress": 1}}, headers=auth(org.rob))
    assert r.status_code == 404
    client.post("/admin/forms_admin/active/kr_checkin")
    r = client.post("/api/v1/forms/kr_checkin/submissions/",
                    json={"data": {"goal": "g", "progress": 1}}, headers=auth(org.rob))
    assert r.status_code == 201


def test_import_of_a_file_with_a_repeated_key_stores_nothing(client, org, login, app):
    login(org.hr)
    text = b"key: x\ntitle: X\nfields:\n  - {key: a, type: text, label: A, type: number}\n"
    r = client.post("/admin/forms_admin/import",
                    data={"file": (io.BytesIO(text), "x.yaml")},
                    content_type="multipart/form-data", follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "appears twice in one mapping (line 4)" in page
    with app.app_context():
        assert FormVersion.select().count() == 0


def test_export_refuses_a_filter_that_is_not_an_id(client, forms, org, login):
    login(org.hr)
    r = client.get("/admin/forms_admin/submissions/kr_checkin?format=csv"
                   "&unit_id=99999999999999999999999", follow_redirects=True)
    assert r.status_code == 200
    assert "Nothing was exported: unit_id must be the number of a period or unit" \
        in r.get_data(as_text=True)
