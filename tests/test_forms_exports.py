"""Exports of sent submissions: scoped to the viewer, filtered by period and unit."""
import io

from openpyxl import load_workbook

from alignboard.forms import exports
from alignboard.forms.models import Form, Submission


def _send(client, auth, person, goal):
    r = client.post("/api/v1/forms/kr_checkin/submissions/",
                    json={"data": {"goal": goal, "progress": 10}}, headers=auth(person))
    assert r.status_code == 201
    return r.get_json()


def test_manager_exports_only_their_team(client, forms, org, auth, app):
    _send(client, auth, org.rob, "rob's goal")
    _send(client, auth, org.ray, "ray's goal")
    with app.app_context():
        form = Form.get(Form.key == "kr_checkin")
        _, rows = exports.table(org.mia, form)
        assert [r[1] for r in rows] == ["rob"]
        _, rows = exports.table(org.rob, form)
        assert [r[1] for r in rows] == ["rob"]
        _, rows = exports.table(org.exec, form)
        assert [r[1] for r in rows] == ["rob", "ray"]


def test_filter_by_period(client, forms, org, auth, app):
    first = _send(client, auth, org.rob, "now")
    _send(client, auth, org.rae, "later")
    with app.app_context():
        form = Form.get(Form.key == "kr_checkin")
        from alignboard.org.models import Period
        other = Period.select().where((Period.kind == "week")
                                      & (Period.id != first["period_id"])).first()
        Submission.update(period=other).where(Submission.id == first["id"]).execute()
        _, rows = exports.table(org.hr, form, period_id=first["period_id"])
        assert [r[1] for r in rows] == ["rae"]


def test_drafts_are_not_exported(client, forms, org, auth, app):
    client.post("/api/v1/forms/kr_checkin/submissions/",
                json={"data": {"goal": "draft"}, "status": "draft"}, headers=auth(org.rob))
    with app.app_context():
        _, rows = exports.table(org.rob, Form.get(Form.key == "kr_checkin"))
    assert rows == []


def test_manager_downloads_xlsx_from_the_forms_page(client, forms, org, auth, login):
    _send(client, auth, org.rob, "grow")
    login(org.mia)
    page = client.get("/my/forms/").get_data(as_text=True)
    assert 'id="exports"' in page
    r = client.get("/my/forms/kr_checkin/export?format=xlsx")
    rows = list(load_workbook(io.BytesIO(r.data)).active.values)
    assert len(rows) == 2 and rows[1][1] == "rob"


def test_rep_sees_no_export_card(client, forms, org, login):
    login(org.rob)
    assert 'id="exports"' not in client.get("/my/forms/").get_data(as_text=True)
