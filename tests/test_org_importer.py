"""Importing people and units: every row checked, all or nothing, any common encoding."""
import io

from openpyxl import Workbook

from alignboard.org import importer
from alignboard.org.models import Person, Unit

UNITS = "code,name,kind,parent\nco,Company,company,\nnorth,North,region,co\nt1,Team 1,team,north\n"


def people(rows):
    return ("login,name,unit,manager,role\n" + rows).encode()


def test_dry_run_reports_and_writes_nothing(app):
    with app.app_context():
        report = importer.import_units(UNITS.encode(), "u.csv", dry_run=True)
        assert report.ok and sorted(report.created) == ["co", "north", "t1"]
        assert Unit.select().count() == 0


def test_units_then_people_import(app):
    with app.app_context():
        assert importer.import_units(UNITS.encode(), "u.csv").ok
        report = importer.import_people(people(
            "boss,The Boss,co,,manager\nrep.one,Rep One,t1,boss,rep\n"), "p.csv")
        assert report.ok, report.errors
        rep = Person.get(Person.login == "rep.one")
        assert rep.manager.login == "boss" and rep.unit.code == "t1"
        assert Unit.get(Unit.code == "t1").path.startswith(Unit.get(Unit.code == "co").path)


def test_manager_cycle_is_a_row_error_and_nothing_is_written(app):
    with app.app_context():
        importer.import_units(UNITS.encode(), "u.csv")
        report = importer.import_people(people(
            "a,A,t1,b,rep\nb,B,t1,c,rep\nc,C,t1,a,rep\nd,D,t1,,rep\n"), "p.csv")
        assert not report.ok
        assert any("cycle" in e["message"] and e["column"] == "manager"
                   for e in report.errors)
        assert Person.select().count() == 0


def test_missing_manager_and_duplicate_login_are_row_errors(app):
    with app.app_context():
        importer.import_units(UNITS.encode(), "u.csv")
        report = importer.import_people(people(
            "a,A,t1,ghost,rep\nb,B,t1,,rep\nb,B again,t1,,rep\n"), "p.csv")
        rows = {(e["row"], e["column"]) for e in report.errors}
        assert (2, "manager") in rows and (4, "login") in rows
        assert Person.select().count() == 0


def test_unknown_column_is_refused(app):
    with app.app_context():
        report = importer.import_people(b"login,name,shoe_size\na,A,42\n", "p.csv")
        assert not report.ok and "shoe_size" in report.errors[0]["message"]


def test_over_long_and_control_characters_are_refused(app):
    with app.app_context():
        report = importer.import_people(
            ("login,name\n" + "a," + "x" * 201 + "\nb,bad\x07name\n").encode(), "p.csv")
        messages = [e["message"] for e in report.errors]
        assert any("longer than 200" in m for m in messages)
        assert any("control characters" in m for m in messages)
        assert Person.select().count() == 0


def test_gbk_file_from_excel_is_read(app):
    with app.app_context():
        importer.import_units(UNITS.encode(), "u.csv")
        data = "login,name,unit\nzhang.san,张三,t1\n".encode("gbk")
        assert importer.import_people(data, "p.csv").ok
        assert Person.get(Person.login == "zhang.san").name == "张三"


def test_utf8_with_bom_is_read(app):
    with app.app_context():
        data = "\ufeffcode,name\nhq,总部\n".encode("utf-8")
        assert importer.import_units(data, "u.csv").ok
        assert Unit.get(Unit.code == "hq").name == "总部"


def test_binary_garbage_is_a_clear_error(app):
    with app.app_context():
        report = importer.import_people(b"\x00\x01\x02binary", "p.csv")
        assert not report.ok and "binary" in report.errors[0]["message"]


def test_xlsx_is_read(app):
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "kind"])
    ws.append(["x1", "Excel Unit", "team"])
    buf = io.BytesIO()
    wb.save(buf)
    with app.app_context():
        assert importer.import_units(buf.getvalue(), "units.xlsx").ok
        assert Unit.get(Unit.code == "x1").name == "Excel Unit"


def test_html_in_names_is_stored_as_given(app):
    with app.app_context():
        assert importer.import_units(b"code,name\nevil,<b>Evil</b>\n", "u.csv").ok
        assert Unit.get(Unit.code == "evil").name == "<b>Evil</b>"


def test_reimport_updates_and_can_reshuffle_managers(app):
    with app.app_context():
        importer.import_units(UNITS.encode(), "u.csv")
        importer.import_people(people("a,A,t1,,rep\nb,B,t1,a,rep\n"), "p.csv")
        report = importer.import_people(people("a,A,t1,b,rep\nb,B,t1,,manager\n"), "p.csv")
        assert report.ok and sorted(report.updated) == ["a", "b"]
        assert Person.get(Person.login == "a").manager.login == "b"


def test_unit_cycle_in_file_is_refused(app):
    with app.app_context():
        report = importer.import_units(b"code,name,parent\nx,X,y\ny,Y,x\n", "u.csv")
        assert not report.ok and "cycle" in report.errors[0]["message"]
        assert Unit.select().count() == 0


def test_duplicate_external_id_in_the_file_is_a_row_error_and_nothing_is_written(app):
    with app.app_context():
        report = importer.import_people(
            b"login,name,external_id\na,A,E-1\nb,B,E-2\nc,C,E-1\n", "p.csv")
        assert not report.ok
        assert [(e["row"], e["column"]) for e in report.errors] == [(4, "external_id")]
        assert "row 2" in report.errors[0]["message"]
        assert Person.select().count() == 0


def test_external_id_of_another_stored_person_is_a_row_error(app):
    with app.app_context():
        assert importer.import_people(b"login,name,external_id\nold,Old,E-1\n", "p.csv").ok
        report = importer.import_people(b"login,name,external_id\nnew,New,E-1\n", "p.csv")
        assert [(e["row"], e["column"]) for e in report.errors] == [(2, "external_id")]
        assert "'old'" in report.errors[0]["message"]
        assert not Person.select().where(Person.login == "new").exists()
        # The same person keeping their id is fine.
        assert importer.import_people(
            b"login,name,external_id\nold,Old,E-1\n", "p.csv").ok


def test_duplicate_external_id_in_the_cli_is_reported_not_a_traceback(app, runner, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"login,name,external_id\na,A,E-1\nb,B,E-1\n")
    result = runner.invoke(args=["import-people", str(path)])
    assert result.exit_code == 1
    assert "row 3, column external_id: duplicate external_id 'E-1'" in result.output
    with app.app_context():
        assert Person.select().count() == 0


def test_a_clash_only_the_database_sees_is_reported_and_rolled_back(app):
    """Two people swapping external ids pass the row checks but clash mid-write."""
    with app.app_context():
        assert importer.import_people(
            b"login,name,external_id\na,A,E-1\nb,B,E-2\n", "p.csv").ok
        report = importer.import_people(
            b"login,name,external_id\na,A renamed,E-2\nb,B,E-1\n", "p.csv")
        assert not report.ok and "nothing was imported" in report.errors[0]["message"]
        assert not report.created and not report.updated
        assert Person.get(Person.login == "a").name == "A"


def test_a_quote_that_never_closes_is_a_row_error_and_nothing_is_written(app):
    with app.app_context():
        report = importer.import_people(b'login,name\nq.q,"unterminated\nr.r,R\n', "p.csv")
        assert not report.ok
        assert report.errors[0]["row"] == 2 and "unterminated quote" in \
            report.errors[0]["message"]
        assert Person.select().count() == 0


def test_closed_quotes_over_several_lines_are_still_read():
    from alignboard import tabular

    columns, rows = tabular.read(b'code,note\na,"two\nlines"\nb,"x"y\n', "f.csv")
    assert [(r["note"], r["__row__"]) for r in rows] == [("two\nlines", 2), ("xy", 3)]


def test_line_breaks_and_tabs_in_login_name_and_code_are_refused(app):
    with app.app_context():
        report = importer.import_people(
            b'login,name\n"a\nb",A\nc,"C\tC"\n', "p.csv")
        assert {(e["row"], e["column"]) for e in report.errors} == {(2, "login"), (3, "name")}
        assert all("line break or tab" in e["message"] for e in report.errors)
        report = importer.import_units(b'code,name\n"t\t1",T\n', "u.csv")
        assert [(e["row"], e["column"]) for e in report.errors] == [(2, "code")]
        assert Person.select().count() == 0 and Unit.select().count() == 0


def test_imported_password_shorter_than_8_characters_is_a_row_error(app):
    with app.app_context():
        report = importer.import_people(
            b"login,name,password\na,A,long-enough\nb,B,short\n", "p.csv")
        assert [(e["row"], e["column"]) for e in report.errors] == [(3, "password")]
        assert "shorter than 8" in report.errors[0]["message"]
        assert Person.select().count() == 0
        assert importer.import_people(b"login,name,password\nb,B,12345678\n", "p.csv").ok
        assert Person.get(Person.login == "b").check_password("12345678")


def test_a_header_column_without_a_name_is_refused(app):
    """A blank column name between named ones would drop its values without a word."""
    with app.app_context():
        report = importer.import_people(b"login,,name\nb.f,x,B F\n", "p.csv")
        assert not report.ok and not Person.select().exists()
        assert "column(s) 2 of the header have no name" in report.errors[0]["message"]
        # Empty cells after the last name, as spreadsheets keep them, are harmless...
        assert importer.import_people(b"login,name,,\nb.f,B F,,\n", "p.csv").ok
        # ...unless a row has a value there.
        report = importer.import_people(b"login,name,\nc.g,C G,oops\n", "p.csv")
        assert not report.ok and "more values than the header" in report.errors[0]["message"]


def test_big5_and_shift_jis_files_are_refused_asking_for_utf8(app):
    """GBK reads almost any bytes: a Big5 (Taiwan, Hong Kong) or Shift-JIS (Japan) file
    would be stored as garbled names (陳大文 -> 朝ゅ) without a word. Read as GBK they hold
    kana, Cyrillic, private-use or mostly rare characters, which Chinese names do not."""
    files = {"big5": "login,name\nb.f,陳大文\n",
             "shift_jis": "login,name\nt.y,山田太郎\ns.h,佐藤花子\n"}
    with app.app_context():
        for encoding, text in files.items():
            report = importer.import_people(text.encode(encoding), "p.csv")
            assert not report.ok, encoding
            message = report.errors[0]["message"]
            assert "not UTF-8" in message and "'CSV UTF-8'" in message, message
            units = importer.import_units(
                "code,name\ntw,台灣分公司\njp,東京支社\n".encode(encoding), "u.csv")
            assert not units.ok and "not UTF-8" in units.errors[0]["message"], encoding
        assert Person.select().count() == 0 and Unit.select().count() == 0


def test_a_gbk_file_with_a_rare_character_in_a_name_still_imports(app):
    """Real names hold a rare character now and then (喆, 堃: outside GB2312)."""
    data = ("login,name\nzhang.san,张三\nwang.zhe,王喆\nchen.kun,陈堃\nli.si,李四\n"
            "zhao.liu,赵六\n").encode("gbk")
    with app.app_context():
        report = importer.import_people(data, "p.csv")
        assert report.ok, report.errors
        assert Person.get(Person.login == "chen.kun").name == "陈堃"


def test_a_dry_run_lists_the_first_names_as_read(app):
    """Some encodings (EUC-KR, CP1251) read as valid Chinese: the dry run shows the first
    few names so that a person sees 辫刮霖 where 김민준 was meant."""
    korean = "login,name\nk.m,김민준\n".encode("euc-kr")
    rows = "".join(f"p{i},Person {i}\n" for i in range(8))
    with app.app_context():
        report = importer.import_people(korean, "p.csv", dry_run=True)
        assert report.ok and report.sample == [("k.m", "辫刮霖")]
        report = importer.import_people(("login,name\n" + rows).encode(), "p.csv",
                                        dry_run=True)
        assert report.sample == [(f"p{i}", f"Person {i}") for i in range(5)]
        units = importer.import_units(UNITS.encode(), "u.csv", dry_run=True)
        assert units.sample[0] == ("co", "Company")
