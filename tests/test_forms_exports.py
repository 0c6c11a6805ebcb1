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


def _send_revenue(client, auth, person, revenue):
    r = client.post("/api/v1/forms/weekly_report/submissions/",
                    json={"data": {"visits": 3, "new_customers": 1, "revenue": revenue,
                                   "next_week": "Call back"}}, headers=auth(person))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_money_shows_two_decimals_and_its_currency(client, forms, org, auth, login):
    sid = _send_revenue(client, auth, org.rob, 95000.5)["id"]
    login(org.rob)
    page = client.get(f"/my/forms/submissions/{sid}").get_data(as_text=True)
    assert "95000.50 CNY" in page


def test_money_exports_with_two_decimals_as_numbers(client, forms, org, auth, login):
    _send_revenue(client, auth, org.rob, 95000.5)
    login(org.mia)
    csv_text = client.get("/my/forms/weekly_report/export?format=csv").data.decode("utf-8-sig")
    header, row = [line.split(",") for line in csv_text.strip().splitlines()]
    assert row[header.index("revenue")] == "95000.50"
    sheet = load_workbook(io.BytesIO(
        client.get("/my/forms/weekly_report/export?format=xlsx").data)).active
    rows = list(sheet.values)
    column = rows[0].index("revenue")
    assert rows[1][column] == 95000.5
    assert sheet.cell(row=2, column=column + 1).number_format == "#,##0.00"


def test_export_page_refuses_a_filter_that_is_not_an_id(client, forms, org, auth, login):
    """A period or unit filter that is a word or too long to be an id is refused with a
    message on the forms page; exporting everything instead would hand the manager a file
    that is not what they asked for."""
    _send(client, auth, org.rob, "grow")
    login(org.mia)
    for query in ("period_id=abc", "unit_id=99999999999999999999999", "period_id=-1"):
        r = client.get(f"/my/forms/kr_checkin/export?format=csv&{query}")
        assert r.status_code == 302 and r.headers["Location"].endswith("/my/forms/"), query
        page = client.get("/my/forms/").get_data(as_text=True)
        name, value = query.split("=")
        assert f"Nothing was exported: {name} must be the number of a period or unit, " \
               f"not &#39;{value}&#39;." in page, query
    # An empty filter is no filter: the team's submissions are exported.
    r = client.get("/my/forms/kr_checkin/export?format=csv&period_id=&unit_id=")
    assert r.status_code == 200 and "rob" in r.get_data(as_text=True)


def test_export_page_flash_speaks_chinese(client, forms, org, login):
    login(org.mia)
    client.post("/language", data={"locale": "zh_CN"})
    client.get("/my/forms/kr_checkin/export?unit_id=abc")
    assert "未导出任何内容" in client.get("/my/forms/").get_data(as_text=True)


def test_an_answer_or_name_stored_with_a_control_character_still_exports(client, forms, org,
                                                                         auth, app, login):
    """Rows stored before the inputs refused control characters (or written straight to
    the database) must not break the XLSX export: openpyxl cannot write them, so they are
    left out of the cell; the rest of the text stays."""
    sent = _send(client, auth, org.rob, "clean")
    with app.app_context():
        from alignboard.org.models import Person
        sub = Submission.get_by_id(sent["id"])
        sub.data = dict(sub.data, goal="g\u0007oal\u001b", blocker="line\nbreak")
        sub.save()
        Person.update(name="Rob\u0001 Bell").where(Person.id == org.rob.id).execute()
    for url, who in (("/api/v1/forms/kr_checkin/export?format=xlsx", "api"),
                     ("/my/forms/kr_checkin/export?format=xlsx", org.mia),
                     ("/admin/forms_admin/submissions/kr_checkin?format=xlsx", org.hr)):
        if who == "api":
            r = client.get(url, headers=auth(org.hr))
        else:
            login(who)
            r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        cells = [c.value for row in load_workbook(io.BytesIO(r.data)).active.iter_rows()
                 for c in row]
        assert "Rob Bell" in cells and "goal" in cells and "line\nbreak" in cells, url
        client.get("/logout")
    # The CSV keeps what is stored.
    r = client.get("/api/v1/forms/kr_checkin/export?format=csv", headers=auth(org.hr))
    assert "g\u0007oal" in r.data.decode("utf-8-sig")
