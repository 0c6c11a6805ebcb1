"""Alignboard plugin: the ``csv`` connector (CSV and XLSX files, uploaded or in a folder).

Files are read with ``alignboard.tabular`` (UTF-8, UTF-8 with BOM, GBK; XLSX first sheet);
column names are matched in lower case. The cursor remembers, per file, its SHA-256 and how
many rows were stored, so an unchanged file is skipped, a changed file is read again (the
records store's upsert turns that into updates), and a run killed in the middle of a file
resumes at the next row.
"""
import csv
import fnmatch
import hashlib
import io
import os

from flask import current_app, has_app_context
from marshmallow import Schema, ValidationError, fields, validate, validates

from alignboard import hookimpl
from alignboard.connectors.base import Batch, Connector, ConnectorError
from alignboard.tabular import TabularError, decode, read

__version__ = "0.1.0"


class CsvSettings(Schema):
    path = fields.String(required=True, validate=validate.Length(min=1, max=1000), metadata={
        "label": "File or folder",
        "description": "A .csv/.xlsx file, or a folder whose matching files are read in name "
                       "order. Files uploaded in the admin go to this connection's folder."})
    pattern = fields.String(load_default="*.csv,*.xlsx", metadata={
        "label": "File name pattern (folder)",
        "description": "Comma-separated patterns, e.g. deals_*.csv"})
    batch_size = fields.Integer(load_default=500, validate=validate.Range(min=1, max=10000),
                                metadata={"label": "Rows per transaction"})

    @validates("path")
    def _absolute(self, value, **kwargs):
        if not os.path.isabs(value):
            raise ValidationError("give an absolute path (the worker may run elsewhere)")
        if has_app_context():
            problem = outside_roots(value)
            if problem:
                raise ValidationError(problem)


def allowed_roots():
    """Folders the csv connector may read: uploads, <instance>/imports, the demo data, and
    ``ALIGNBOARD_CONNECTOR_FILE_ROOTS`` (a JSON list). Everything else on the server (the
    instance folder with its secret key, /etc...) stays out of reach of admins."""
    from alignboard import demo

    config = current_app.config
    roots = [config.get("UPLOAD_FOLDER", ""), os.path.join(current_app.instance_path, "imports"),
             demo.DATA]
    extra = config.get("CONNECTOR_FILE_ROOTS") or []
    roots += [extra] if isinstance(extra, str) else list(extra)
    return [os.path.realpath(r) for r in roots if r]


def outside_roots(path):
    real = os.path.realpath(path)
    roots = allowed_roots()
    if any(real == r or real.startswith(r + os.sep) for r in roots):
        return None
    return (f"{path} is outside the folders files may be read from ({', '.join(roots)}); "
            "upload the file in the admin, put it in one of them, or add a folder to "
            "ALIGNBOARD_CONNECTOR_FILE_ROOTS")


def read_rows(data, name):
    """Rows of a CSV/XLSX file as dicts; a malformed row becomes an ``__error__`` row.

    ``alignboard.tabular.read`` refuses a whole file for one row with too many values (right
    for an org import, where nothing may be written unless all is valid); a sync stores the
    good rows and reports the bad one instead.
    """
    if name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        _, rows = read(data, name)
        return rows
    text = decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise TabularError(f"the CSV is malformed: {exc}") from None
    if not table or not any(h.strip() for h in table[0]):
        raise TabularError("the first row must name the columns")
    header = [h.strip().lower() for h in table[0]]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise TabularError(f"column(s) named twice in the header: {', '.join(twice)}")
    rows = []
    for number, values in enumerate(table[1:], start=2):
        values = [v.strip() for v in values]
        if not any(values):
            continue
        row = {h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h}
        row["__row__"] = number
        if len(values) > len(header) and any(values[len(header):]):
            row["__error__"] = (f"the row has {len(values)} values but the header names "
                                f"{len(header)} columns (an unquoted comma?)")
        rows.append(row)
    return rows


class CsvConnector(Connector):
    key = "csv"
    title = "CSV / XLSX files"
    description = "Reads CSV (UTF-8, UTF-8 with BOM, GBK) and XLSX files from a folder or " \
                  "an upload."
    Settings = CsvSettings
    accepts_upload = True

    def files(self, settings):
        path = settings["path"]
        if has_app_context() and outside_roots(path):
            raise ConnectorError(outside_roots(path))
        if os.path.isfile(path):
            return [path]
        if not os.path.isdir(path):
            raise ConnectorError(f"{path!r} is neither a file nor a folder on this server")
        patterns = [p.strip() for p in (settings.get("pattern") or "*").split(",") if p.strip()]
        return [os.path.join(path, n) for n in sorted(os.listdir(path))
                if os.path.isfile(os.path.join(path, n))
                and any(fnmatch.fnmatch(n.lower(), p.lower()) for p in patterns)]

    def pull(self, settings, cursor):
        cursor = dict(cursor or {})
        done = dict(cursor.get("done") or {})
        size = int(settings.get("batch_size") or 500)
        pending = []
        for path in self.files(settings):
            with open(path, "rb") as f:
                data = f.read()
            name = os.path.basename(path)
            sha = hashlib.sha256(data).hexdigest()
            if done.get(name) == sha:
                continue
            try:
                rows = read_rows(data, name)
            except TabularError as exc:
                raise ConnectorError(f"{name}: {exc}") from None
            start = cursor.get("row", 0) if (cursor.get("file"), cursor.get("sha")) == \
                (name, sha) else 0
            pending.append((name, sha, rows, start))
        total = sum(len(rows) - start for _, _, rows, start in pending)
        for name, sha, rows, start in pending:
            for offset in range(start, len(rows), size):
                chunk = rows[offset:offset + size]
                for row in chunk:
                    row["__row__"] = f"{name}:{row['__row__']}"
                yield Batch(chunk, {"done": done, "file": name, "sha": sha,
                                    "row": offset + len(chunk)}, total)
            done = {**done, name: sha}
            yield Batch([], {"done": done}, total)


@hookimpl
def register_connectors():
    return [CsvConnector]
