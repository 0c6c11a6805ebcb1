"""The csv connector: encodings, XLSX, folders, incremental files, malformed rows."""
import pytest
from marshmallow import ValidationError

from alignboard.connectors import service, sync
from alignboard.connectors.models import Connection, SyncFailure
from alignboard.records.models import Record

MAPPING = {"external_id": "编号", "type": "visit",
           "fields": [{"source": "客户", "target": "customer"},
                      {"source": "时长", "target": "minutes", "convert": "number"}],
           "owner": {"source": "销售", "match": "login"}}
TEXT = "编号,客户,时长,销售\nV1,华为,45,rob\nV2,腾讯,30,rae\n"


def make(app, path, **settings):
    with app.app_context():
        return service.create("files", "csv", {"path": str(path), **settings}, MAPPING).id


def run(app, cid, **kw):
    with app.app_context():
        return sync.run(Connection.get_by_id(cid), **kw)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_reads_utf8_bom_and_gbk(app, org, shipped, tmp_path, encoding):
    path = tmp_path / "visits.csv"
    path.write_bytes(TEXT.encode(encoding))
    result = run(app, make(app, path))
    assert (result.status, result.created) == ("succeeded", 2), result.message
    with app.app_context():
        assert Record.get(Record.external_id == "V1").fields == {"customer": "华为",
                                                                 "minutes": 45.0}


def test_reads_xlsx(app, org, shipped, tmp_path):
    from openpyxl import Workbook
    wb = Workbook()
    for line in TEXT.strip().splitlines():
        wb.active.append(line.split(","))
    wb.active.append(["V3", "字节", 12.5, "rob"])
    wb.save(tmp_path / "visits.xlsx")
    result = run(app, make(app, tmp_path / "visits.xlsx"))
    assert (result.status, result.created) == ("succeeded", 3)
    with app.app_context():
        assert Record.get(Record.external_id == "V3").fields["minutes"] == 12.5


def test_folder_reads_new_files_only_on_the_next_run(app, org, shipped, tmp_path):
    (tmp_path / "visits-1.csv").write_text(TEXT)
    (tmp_path / "notes.txt").write_text("ignored")
    cid = make(app, tmp_path, pattern="visits-*.csv")
    assert run(app, cid).created == 2
    (tmp_path / "visits-2.csv").write_text("编号,客户,时长,销售\nV9,小米,5,ray\n")
    second = run(app, cid)
    assert (second.processed, second.created) == (1, 1)
    with app.app_context():
        assert set(Connection.get_by_id(cid).cursor["done"]) == {"visits-1.csv",
                                                                 "visits-2.csv"}


def test_malformed_row_is_logged_and_the_others_are_stored(app, org, shipped, tmp_path):
    path = tmp_path / "visits.csv"
    path.write_text(TEXT + "V4,阿里,10,rob,extra,values\nV5,京东,20,rob\n")
    result = run(app, make(app, path))
    assert (result.status, result.created, result.failed) == ("succeeded", 3, 1)
    with app.app_context():
        failure = SyncFailure.get()
    assert failure.row_ref == "visits.csv:4" and "6 values but the header names 4" in \
        failure.reason


def test_binary_file_fails_the_run_with_advice(app, org, shipped, tmp_path):
    path = tmp_path / "visits.csv"
    path.write_bytes(b"\x00\x01\x02binary")
    result = run(app, make(app, path))
    assert result.status == "failed" and "looks binary" in result.message


def test_relative_path_is_refused(app, org, shipped):
    with app.app_context(), pytest.raises(ValidationError) as err:
        service.create("files", "csv", {"path": "data/visits.csv"}, MAPPING)
    assert err.value.messages["settings"]["path"] == [
        "give an absolute path (the worker may run elsewhere)"]


def test_files_outside_the_allowed_folders_are_refused(app, org, shipped, tmp_path):
    app.config["CONNECTOR_FILE_ROOTS"] = [str(tmp_path / "imports")]
    with app.app_context(), pytest.raises(ValidationError) as err:
        service.create("files", "csv", {"path": "/etc/passwd"}, MAPPING)
    assert "outside the folders files may be read from" in str(err.value.messages)
    with app.app_context(), pytest.raises(ValidationError):
        service.create("files", "csv", {"path": str(tmp_path / "imports/../x.csv")}, MAPPING)
