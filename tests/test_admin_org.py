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


def _page(response):
    import html

    return html.unescape(response.get_data(as_text=True))


def test_a_cycle_names_the_chosen_manager_and_parent_in_both_languages(client, app, org,
                                                                        login):
    """The walk up the chain ends at the person (unit) being saved: the message must name
    the manager (parent) that was chosen, in the reader's language."""
    login(org.hr)
    mia_form = {"login": "mia", "name": "Mia", "role": org.mia.role_id, "unit": org.team_a.id,
                "manager": org.rob.id, "active": "y"}
    unit_form = {"code": "co", "name": "Company", "kind": "company", "parent": org.team_a.id}
    page = _page(client.post(f"/admin/person/edit/?id={org.mia.id}", data=mia_form,
                             follow_redirects=True))
    assert "mia cannot report to rob: rob already reports to mia" in page
    page = _page(client.post(f"/admin/unit/edit/?id={org.company.id}", data=unit_form,
                             follow_redirects=True))
    assert "unit 'co' cannot be placed under 'team-a', one of its own descendants" in page

    client.post("/language", data={"locale": "zh_CN", "next": "/admin/"})
    page = _page(client.post(f"/admin/person/edit/?id={org.mia.id}", data=mia_form,
                             follow_redirects=True))
    assert "mia 不能向 rob 汇报：rob 已经（直接或间接）向 mia 汇报" in page
    assert "cannot report to" not in page
    page = _page(client.post(f"/admin/unit/edit/?id={org.company.id}", data=unit_form,
                             follow_redirects=True))
    assert "单元“co”不能放在“team-a”之下" in page and "descendant" not in page
    with app.app_context():
        assert Person.get(Person.login == "mia").manager.login == "exec"
        assert Unit.get(Unit.code == "co").parent is None


def _labels(page):
    """{field: label text} of a Flask-Admin form page."""
    import re

    return {name: " ".join(text.replace("&nbsp;", " ").split())
            for name, text in re.findall(r'<label for="(\w+)"[^>]*>([^<]*)</label>', page)}


def _cells(page, pattern):
    import re

    return [" ".join(m.split()) for m in re.findall(pattern, page, re.S)]


def test_the_chinese_admin_labels_forms_lists_and_choices_in_chinese(client, app, org,
                                                                     login):
    """Issue 2: the HR admin in Chinese. The form labels, the list headers and the choice
    labels (kinds, scopes, roles) follow the reader's language, not only the menu."""
    from alignboard.org.models import Period

    with app.app_context():
        Period.create(kind="quarter", name="2031-Q1", start="2031-01-01", end="2031-03-31")
    login(org.hr)
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/"})
    options = r"<option[^>]*>([^<]*)</option>"
    headers = r'<th class="column-header[^"]*">\s*<a [^>]*>([^<]*)</a>'

    page = client.get("/admin/person/new/").get_data(as_text=True)
    assert _labels(page) == {
        "login": "账号", "name": "名称", "email": "邮箱", "external_id": "外部编号",
        "unit": "单元", "manager": "经理", "role": "角色", "active": "启用",
        "locale": "语言", "new_password": "新密码"}
    assert {"销售代表", "人力资源/BP"} <= set(_cells(page, options))
    assert "rep" not in _cells(page, options)
    page = client.get(f"/admin/person/edit/?id={org.rob.id}").get_data(as_text=True)
    assert _labels(page)["login"] == "账号" and _labels(page)["manager"] == "经理"

    page = client.get("/admin/unit/new/").get_data(as_text=True)
    assert _labels(page) == {"code": "编码", "name": "名称", "kind": "类型",
                             "parent": "上级单元", "leader": "负责人"}
    assert {"公司", "大区", "团队", "其他"} <= set(_cells(page, options))

    page = client.get("/admin/period/new/").get_data(as_text=True)
    assert _labels(page) == {"kind": "类型", "name": "名称", "start": "开始",
                             "end": "结束(含)"}
    assert _cells(page, options) == ["年", "季度", "月", "周"]

    page = client.get("/admin/role/new/").get_data(as_text=True)
    assert _labels(page)["scope"] == "可见范围"
    assert _cells(page, options) == ["仅本人数据", "所负责的单元及其下级", "全部"]

    page = client.get("/admin/person/").get_data(as_text=True)
    assert _cells(page, headers) == ["账号", "名称", "邮箱", "单元", "经理", "角色", "启用"]
    assert "销售代表" in _cells(page, r'<td class="col-role">(.*?)</td>')
    page = client.get("/admin/unit/").get_data(as_text=True)
    assert _cells(page, headers) == ["编码", "名称", "类型", "上级单元", "负责人"]
    assert _cells(page, r'<td class="col-kind">(.*?)</td>') == [
        "公司", "大区", "团队", "大区", "团队"]
    page = client.get("/admin/period/").get_data(as_text=True)
    assert _cells(page, headers) == ["类型", "名称", "开始", "结束(含)"]
    assert _cells(page, r'<td class="col-kind">(.*?)</td>') == ["季度"]


def test_the_admin_refuses_a_taken_login_code_or_external_id_in_words(client, app, org,
                                                                      login):
    """Not the driver's "UNIQUE constraint failed: person.login" (which also reads
    differently on PostgreSQL): the field says the value is taken, in the reader's language."""
    login(org.hr)
    person = {"login": "rob", "name": "Rob Two", "role": org.rob.role_id, "active": "y",
              "external_id": "E-9"}
    r = client.post("/admin/person/new/", data=person)
    page = _page(r)
    assert r.status_code == 200 and "Login rob is already taken" in page
    assert "UNIQUE" not in page
    with app.app_context():
        Person.update(external_id="E-9").where(Person.login == "mia").execute()
    page = _page(client.post("/admin/person/new/", data=dict(person, login="rob.two")))
    assert "External id E-9 is already taken" in page and "UNIQUE" not in page
    # Editing a person keeps their own login and external id.
    r = client.post(f"/admin/person/edit/?id={org.mia.id}", data={
        "login": "mia", "name": "Mia M", "role": org.mia.role_id, "unit": org.team_a.id,
        "manager": org.exec.id, "active": "y", "external_id": "E-9"})
    assert r.status_code == 302
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/"})
    page = _page(client.post("/admin/unit/new/", data={"code": "team-a", "name": "A2",
                                                       "kind": "team"}))
    assert "编码 team-a 已被使用" in page and "UNIQUE" not in page
    with app.app_context():
        assert Person.select().where(Person.name == "Rob Two").count() == 0
        assert Unit.select().where(Unit.name == "A2").count() == 0
        assert Person.get(Person.login == "mia").name == "Mia M"


def test_the_admin_refuses_what_the_api_refuses_in_logins_emails_and_names(client, app, org,
                                                                          login):
    """The API's login and e-mail rules (org/schemas.py) and the one-line rule for names,
    logins and codes apply in the admin too: nothing is stored."""
    login(org.hr)
    base = {"name": "Bad", "role": org.rob.role_id, "active": "y"}
    page = _page(client.post("/admin/person/new/", data=dict(base, login="Bad Login<b>")))
    assert "'Bad Login<b>' may hold only lower-case letters" in page
    page = _page(client.post("/admin/person/new/", data=dict(base, login="bad.mail",
                                                             email="notmail")))
    assert "'notmail' is not an e-mail address" in page
    page = _page(client.post("/admin/person/new/", data=dict(base, login="bad.name",
                                                             name="Z\x07")))
    assert "Must be one line, without tabs or control characters." in page
    page = _page(client.post("/admin/unit/new/", data={"code": "sp ace\t", "name": "Tab\tbed",
                                                       "kind": "team"}))
    assert page.count("Must be one line, without tabs or control characters.") == 2
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/"})
    page = _page(client.post("/admin/period/new/", data={
        "kind": "year", "name": "20\x1b31", "start": "2031-01-01", "end": "2031-12-31"}))
    assert "Must be one line" not in page and "不能含有" in page
    with app.app_context():
        from alignboard.org.models import Period

        assert not Person.select().where(Person.name.in_(["Bad", "Z\x07"])).exists()
        assert not Unit.select().where(Unit.kind == "team", Unit.code != "team-a",
                                       Unit.code != "team-b").exists()
        assert not Period.select().exists()


def test_the_export_picker_of_the_chinese_forms_admin_lists_chinese_titles(client, forms,
                                                                          org, login):
    login(org.hr)
    picker = r'<select name="form_key".*?</select>'
    page = client.get("/admin/forms_admin/").get_data(as_text=True)
    assert "Weekly report" in _cells(page, picker)[0]
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/"})
    page = client.get("/admin/forms_admin/").get_data(as_text=True)
    options = _cells(_cells(page, picker)[0], r"<option[^>]*>([^<]*)</option>")
    assert "周报" in options and "客户拜访记录" in options
    assert "Weekly report" not in options


def test_error_pages_have_a_title_and_description_in_the_readers_language(client, app, org,
                                                                         login):
    """Werkzeug's pages are English only ("Unprocessable Entity" above the Chinese NUL
    message): pages outside /api get ours, with the status kept; the API stays JSON."""
    login(org.hr)
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/"})
    r = client.post("/admin/unit/new/", data={"code": "east", "name": "East\x00",
                                              "kind": "region"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "无法处理该请求" in page
    assert _cells(page, r'id="error-description">(.*?)<') == [
        "name：无法保存 NUL 字符（代码 0）。请返回，删除该字符后重新提交。"]
    assert "Unprocessable Entity" not in page
    r = client.get("/no/such/page")
    page = r.get_data(as_text=True)
    assert r.status_code == 404 and "找不到页面" in page and "此地址没有内容" in page
    assert "Not Found" not in page and "requested URL" not in page
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.get_json()["status"] == 404
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = client.post("/admin/org_import/", content_type="multipart/form-data", data={
        "what": "people", "file": (io.BytesIO(b"x" * 2000), "p.csv")})
    page = r.get_data(as_text=True)
    assert r.status_code == 413 and "请求过大" in page and "Request Entity" not in page

    login(org.rob)
    r = client.get("/admin/person/")
    page = r.get_data(as_text=True)
    assert r.status_code == 403 and "不允许" in page and "Forbidden" not in page
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "Page not found" in page and "There is nothing at this address" in page


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


def test_the_chinese_admin_says_a_refused_save_in_chinese(client, app, org, login):
    """Flask-Admin's own "Failed to create/save record." banner is not in its Chinese
    catalogue; ours supplies it."""
    login(org.hr)
    client.post("/language", data={"locale": "zh_CN", "next": "/admin/"})
    page = client.post("/admin/unit/new/", data={"code": "team-a", "name": "X",
                                                 "kind": "team"},
                       follow_redirects=True).get_data(as_text=True)
    assert "创建记录失败。" in page and "Failed to" not in page
    page = client.post(f"/admin/person/edit/?id={org.rob.id}", data={
        "login": "Bad Login", "name": "Rob", "unit": org.team_a.id, "role": org.rob.role_id},
        follow_redirects=True).get_data(as_text=True)
    assert "保存记录失败。" in page and "Failed to" not in page


def test_a_forged_choice_in_an_admin_form_is_not_a_valid_choice(client, app, org, login):
    """A unit, manager or role sent as text or as a number too large to be an id is refused
    beside the field on both databases (PostgreSQL would otherwise fail on the lookup)."""
    login(org.hr)
    for role in ("rep", str(2 ** 70)):
        r = client.post(f"/admin/person/edit/?id={org.rob.id}", data={
            "login": "rob", "name": "Rob", "unit": org.team_a.id, "role": role},
            follow_redirects=True)
        assert r.status_code == 200
        assert "Not a valid choice" in r.get_data(as_text=True)
    r = client.post("/admin/unit/new/", data={"code": "east", "name": "East",
                                              "kind": "region", "parent": "north"},
                    follow_redirects=True)
    assert r.status_code == 200 and "Not a valid choice" in r.get_data(as_text=True)
    with app.app_context():
        assert Person.get_by_id(org.rob.id).role.key == "rep"
        assert not Unit.select().where(Unit.code == "east").exists()
