"""The HR admin for the organisation."""
import io

from alignboard.org.models import Person, Unit


def test_rep_cannot_enter_the_admin(client, org, login):
    login(org.rob)
    assert client.get("/admin/person/").status_code == 403


def test_anonymous_is_sent_to_login(client, org):
    r = client.get("/admin/person/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_hr_lists_people_and_units(client, org, login):
    login(org.hr)
    for url in ("/admin/", "/admin/person/", "/admin/unit/", "/admin/role/",
                "/admin/period/", "/admin/org_import/", "/admin/record/"):
        assert client.get(url).status_code == 200, url


def test_hr_creates_a_unit_in_the_admin(client, app, org, login):
    login(org.hr)
    r = client.post("/admin/unit/new/", data={"code": "east", "name": "East",
                                              "kind": "region", "parent": org.company.id})
    assert r.status_code == 302
    with app.app_context():
        east = Unit.get(Unit.code == "east")
        assert east.path.startswith(Unit.get(Unit.code == "co").path)


def test_a_nul_character_in_an_admin_form_is_refused_and_nothing_is_stored(client, app,
                                                                          org, login):
    """PostgreSQL cannot store NUL: every page refuses it with a clear page, not a 500."""
    login(org.hr)
    r = client.post("/admin/unit/new/", data={"code": "east", "name": "East\x00",
                                              "kind": "region", "parent": org.company.id})
    assert r.status_code == 422
    assert "name: a NUL character (code 0) cannot be stored" in r.get_data(as_text=True)
    with app.app_context():
        assert not Unit.select().where(Unit.code == "east").exists()


def test_hr_sets_a_password_in_the_admin(client, app, org, login):
    login(org.hr)
    r = client.post(f"/admin/person/edit/?id={org.ray.id}", data={
        "login": "ray", "name": "Ray", "role": org.ray.role_id, "unit": org.team_b.id,
        "manager": org.max.id, "active": "y", "new_password": "brand-new-pass"})
    assert r.status_code == 302
    with app.app_context():
        assert Person.get(Person.login == "ray").check_password("brand-new-pass")


def test_admin_refuses_a_unit_cycle_with_a_message(client, app, org, login):
    login(org.hr)
    r = client.post(f"/admin/unit/edit/?id={org.company.id}", follow_redirects=True, data={
        "code": "co", "name": "Company", "kind": "company", "parent": org.team_a.id})
    assert b"descendant" in r.data
    with app.app_context():
        assert Unit.get(Unit.code == "co").parent is None


def test_import_page_dry_run_then_import(client, app, org, login):
    login(org.hr)
    data = b"login,name,unit,manager\nnew.rep,New <i>Rep</i>,team-a,mia\n"
    r = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "dry_run": "1", "file": (io.BytesIO(data), "p.csv")})
    assert b"Dry run" in r.data
    with app.app_context():
        assert not Person.select().where(Person.login == "new.rep").exists()
    r = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "file": (io.BytesIO(data), "p.csv")})
    assert r.status_code == 200
    with app.app_context():
        assert Person.get(Person.login == "new.rep").manager.login == "mia"
    listing = client.get("/admin/person/").data
    assert b"New <i>Rep</i>" not in listing and b"New &lt;i&gt;Rep&lt;/i&gt;" in listing


def test_import_page_shows_row_errors(client, org, login):
    login(org.hr)
    data = b"login,name,manager\nx,X,nobody\n"
    r = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "file": (io.BytesIO(data), "p.csv")})
    assert b"import-errors" in r.data and b"nobody" in r.data


def test_import_row_errors_speak_chinese_on_the_chinese_admin(client, org, login):
    """The per-row problems are made in the importer, outside the view: they must still
    follow the reader's language (the CLI keeps English, see test_org_importer.py)."""
    login(org.hr)
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/org_import/"})
    data = b"login,name,manager\nx,X,nobody\n"
    page = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "file": (io.BytesIO(data), "p.csv")}).get_data(as_text=True)
    assert "经理 &#39;nobody&#39; 不是已知的账号" in page and "is not a known login" not in page
    data = b"login,name,shoe\nx,X,42\n"
    page = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "file": (io.BytesIO(data), "p.csv")}).get_data(as_text=True)
    assert "未知的列：shoe" in page and "unknown column" not in page
    # A file the reader cannot decode is explained in Chinese too (tabular.py).
    page = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "file": (io.BytesIO(b"\x00\x01binary"), "p.csv")}
    ).get_data(as_text=True)
    assert "二进制文件" in page and "looks binary" not in page


def test_admin_speaks_chinese_when_chosen(client, org, login):
    login(org.hr)
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/person/"})
    page = client.get("/admin/person/").data.decode()
    assert "组织" in page and "人员" in page


def test_custom_admin_pages_show_one_heading(client, org, login):
    login(org.hr)
    for url in ("/admin/org_import/", "/admin/rule_builder/", "/admin/connections/"):
        page = client.get(url).get_data(as_text=True)
        # Flask-Admin's generic title is an <h4 class="mb-4">; these pages have their own.
        assert page.count("<h1") == 1 and '<h4 class="mb-4">' not in page, url


def test_import_page_shows_a_duplicate_external_id_as_a_row_error(client, app, org, login):
    login(org.hr)
    data = b"login,name,external_id\nn.one,N One,E-1\nn.two,N Two,E-1\n"
    r = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "file": (io.BytesIO(data), "p.csv")})
    assert r.status_code == 200 and b"import-errors" in r.data and b"external_id" in r.data
    with app.app_context():
        assert not Person.select().where(Person.login.in_(["n.one", "n.two"])).exists()


def test_admin_refuses_a_period_that_ends_before_it_starts(client, app, org, login):
    from alignboard.org.models import Period

    login(org.hr)
    r = client.post("/admin/period/new/", follow_redirects=True, data={
        "kind": "month", "name": "Backwards", "start": "2031-03-31", "end": "2031-03-01"})
    assert b"cannot end before it starts" in r.data
    with app.app_context():
        assert not Period.select().where(Period.name == "Backwards").exists()


def test_admin_refuses_a_week_that_does_not_start_on_monday(client, app, org, login):
    from alignboard.org.models import Period

    login(org.hr)
    # 2031-01-08 is a Wednesday.
    r = client.post("/admin/period/new/", follow_redirects=True, data={
        "kind": "week", "name": "2031-W02x", "start": "2031-01-08", "end": "2031-01-14"})
    assert b"start on a Monday" in r.data
    r = client.post("/admin/period/new/", data={
        "kind": "week", "name": "2031-W02", "start": "2031-01-06", "end": "2031-01-12"})
    assert r.status_code == 302
    with app.app_context():
        assert [p.name for p in Period.select().where(Period.kind == "week")] == ["2031-W02"]


def test_admin_refuses_a_short_week_and_an_overlapping_period(client, app, org, login):
    """The admin asks Period.problems, as the API does: one set of calendar rules."""
    from alignboard.org.models import Period

    login(org.hr)
    r = client.post("/admin/period/new/", follow_redirects=True, data={
        "kind": "week", "name": "short", "start": "2031-01-06", "end": "2031-01-10"})
    assert b"A week lasts seven days" in r.data
    r = client.post("/admin/period/new/", data={
        "kind": "quarter", "name": "2031-Q1", "start": "2031-01-01", "end": "2031-03-31"})
    assert r.status_code == 302
    r = client.post("/admin/period/new/", follow_redirects=True, data={
        "kind": "quarter", "name": "odd", "start": "2031-03-01", "end": "2031-05-31"})
    assert "It overlaps 2031-Q1 (2031-01-01 to 2031-03-31)" in r.get_data(as_text=True)
    with app.app_context():
        q1 = Period.get(Period.name == "2031-Q1")
        assert [p.name for p in Period.select()] == ["2031-Q1"]
    # Editing a period without moving it does not clash with itself.
    r = client.post(f"/admin/period/edit/?id={q1.id}", data={
        "kind": "quarter", "name": "Q1 2031", "start": "2031-01-01", "end": "2031-03-31"})
    assert r.status_code == 302
    with app.app_context():
        assert Period.get_by_id(q1.id).name == "Q1 2031"


def test_no_admin_page_fails_on_an_over_long_or_garbled_id_or_page(app, client, org, login):
    """?id= and ?page= come from the address bar: a number beyond 64 bits, a negative page
    or a word must be "no such record" or an empty page on every admin view, never a 500
    from the database driver."""
    from flask_admin.contrib.peewee import ModelView

    from alignboard.admin import get

    login(org.admin)
    huge = "99999999999999999999999"
    views = [v for v in get(app)._views if isinstance(v, ModelView)]
    assert {"person", "unit", "period", "forms_submissions"} <= {v.endpoint for v in views}
    for view in views:
        base = f"/admin/{view.endpoint}"
        for page in (huge, "-3"):
            r = client.get(f"{base}/?page={page}")
            assert r.status_code == 200, (base, page, r.status_code)
        for action in ("edit", "details"):
            if not getattr(view, "can_edit" if action == "edit" else "can_view_details"):
                continue
            for bad in (huge, "abc", "0"):
                r = client.get(f"{base}/{action}/?id={bad}")
                assert r.status_code == 302, (base, action, bad, r.status_code)
                with client.session_transaction() as s:
                    assert "Record does not exist." in str(s.pop("_flashes", [])), (base, bad)
    # A forged row id in a bulk delete is dropped; the real one is still deleted.
    from alignboard.org.models import Period

    with app.app_context():
        period = Period.create(kind="year", name="2040", start="2040-01-01", end="2040-12-31")
    r = client.post("/admin/period/action/", data={"action": "delete",
                                                   "rowid": [huge, str(period.id)]})
    assert r.status_code == 302
    with app.app_context():
        assert not Period.select().where(Period.id == period.id).exists()


def test_every_admin_list_exports_csv_and_xlsx(app, client, org, login):
    """Each list page shows "Export csv" and "Export xlsx" links: both must give a file
    (tablib is installed with the app), not a 500 about a missing package."""
    import io

    from flask_admin.contrib.peewee import ModelView
    from openpyxl import load_workbook

    from alignboard.admin import get

    login(org.admin)
    views = [v for v in get(app)._views if isinstance(v, ModelView) and v.can_export]
    assert {"person", "unit", "period", "role"} <= {v.endpoint for v in views}
    for view in views:
        for fmt in view.export_types:
            r = client.get(f"/admin/{view.endpoint}/export/{fmt}/")
            assert r.status_code == 200, (view.endpoint, fmt, r.status_code)
            assert f".{fmt}" in r.headers["Content-Disposition"], view.endpoint
    r = client.get("/admin/person/export/xlsx/")
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert "rob" in [c.value for c in sheet["A"]] + [c.value for c in sheet["B"]]
    assert "rob" in client.get("/admin/person/export/csv/").data.decode()


def test_a_name_stored_with_a_control_character_still_exports_to_xlsx(app, client, org,
                                                                      login):
    """A name written before the inputs refused control characters must not make the
    people list's "Export xlsx" a 500: openpyxl cannot write the character, so it is left
    out of the cell. The CSV keeps the value as stored."""
    import io

    from openpyxl import load_workbook

    from alignboard.org.models import Person

    with app.app_context():
        Person.update(name="Rob\u0007 Bell").where(Person.id == org.rob.id).execute()
    login(org.hr)
    r = client.get("/admin/person/export/xlsx/")
    assert r.status_code == 200
    cells = [c.value for row in load_workbook(io.BytesIO(r.data)).active.iter_rows()
             for c in row]
    assert "Rob Bell" in cells
    assert "Rob\u0007 Bell" in client.get("/admin/person/export/csv/").data.decode()


def test_import_page_dry_run_shows_the_first_names_and_refuses_big5(client, org, login):
    """HR sees the names as read before importing, and a Big5 file is refused in Chinese,
    asking for UTF-8."""
    login(org.hr)
    data = "login,name\nzhang.san,张三\nli.si,李四\n".encode("gbk")
    page = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "dry_run": "1", "file": (io.BytesIO(data), "p.csv")}
    ).get_data(as_text=True)
    sample = page.split('id="import-sample"')[1].split("</ul>")[0]
    assert "zhang.san: 张三" in sample and "li.si: 李四" in sample
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/org_import/"})
    big5 = "login,name\nb.f,陳大文\n".encode("big5")
    page = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "dry_run": "1", "file": (io.BytesIO(big5), "p.csv")}
    ).get_data(as_text=True)
    assert "import-errors" in page and "请另存为“CSV UTF-8”" in page
    assert "import-sample" not in page
