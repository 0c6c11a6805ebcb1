"""Read CSV and XLSX files into rows of text, whatever encoding a spreadsheet tool chose.

Used by every file import (people, units, the csv connector). Files from Excel in China are
often GBK; files from elsewhere UTF-8, sometimes with a byte-order mark. All three are read;
anything else is refused with a message that says how to save the file.
"""
import csv
import io
import re
from datetime import date, datetime

# Messages reach the import page: in the reader's language there, English in the CLI.
from .i18n import say as _


class TabularError(ValueError):
    """The file cannot be read as a table; the message tells the user what to do.

    ``row`` is the row (as a person counts them, header = 1) where the problem is, if known.
    """

    def __init__(self, message, row=None):
        super().__init__(message)
        self.row = row


def xlsx_text(value):
    """``value`` with the characters an XLSX cell cannot hold (C0 controls but tab and line
    breaks) removed; anything not text unchanged.

    Every XLSX writer passes its text cells through here: openpyxl raises on such a
    character, so one name or answer stored before the inputs refused them (or written
    straight to the database) would otherwise break the whole export with a 500."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


# Characters a GBK (Chinese Excel) file may hold but a Chinese name, code or customer never
# does; they are what another encoding turns into when read as GBK: Big5 gives kana,
# Cyrillic and private-use characters, Shift-JIS rare ideographs. Kana, hangul, Cyrillic,
# box drawing, private use (also the planes 15-16 gb18030 maps to).
_NOT_IN_GBK_NAMES = re.compile(
    "[\u0400-\u052f\u1100-\u11ff\u2500-\u257f\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\uac00-\ud7af\ue000-\uf8ff\uff66-\uff9f\U000f0000-\U0010ffff]")
_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003ffff]")
# Rare ideographs: outside GB2312's 6,763 common ones. A real name has one now and then
# (喆, 堃), so only a file where they are at least this many and this share is refused.
_RARE_AT_LEAST, _RARE_SHARE = 3, 0.4


def _in_gb2312(char):
    try:
        char.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _garbled_as_gbk(text):
    """True when ``text`` (bytes that were not UTF-8, read as GBK) holds what a GBK file
    from a Chinese office would not: the file was most likely in another encoding."""
    if _NOT_IN_GBK_NAMES.search(text):
        return True
    ideographs = _IDEOGRAPH.findall(text)
    if len(ideographs) < _RARE_AT_LEAST:
        return False
    common = {c: _in_gb2312(c) for c in set(ideographs)}
    rare = sum(1 for c in ideographs if not common[c])
    return rare >= _RARE_AT_LEAST and rare > _RARE_SHARE * len(ideographs)


def decode(data):
    """Bytes of a text file -> str, trying UTF-8 (with or without BOM), then GBK.

    GBK (gb18030) accepts almost any bytes, so a Big5 or Shift-JIS file would be read as
    nonsense without an error and its names stored garbled: such text is refused (see
    ``_garbled_as_gbk``). EUC-KR and CP1251 come out as common Chinese characters and
    cannot be told apart from a GBK file this way; the import's dry run lists the first
    names read, for a person to check."""
    if b"\x00" in data[:4096]:
        raise TabularError(_("the file looks binary (it contains NUL bytes): upload a CSV "
                             "saved as UTF-8 or GBK, or an .xlsx workbook"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and not _garbled_as_gbk(text):
        return text
    if text is not None:
        raise TabularError(_("the file is not UTF-8, and read as GBK it holds characters "
                             "Chinese names do not (kana, hangul, Cyrillic, rare or private "
                             "characters): it is probably Big5, Shift-JIS or another "
                             "encoding. Save it as 'CSV UTF-8' and upload it again"))
    raise TabularError(_("the file is neither UTF-8 nor GBK text: save it as 'CSV UTF-8' "
                         "and upload it again"))


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != datetime.min.time() \
            else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read(data, filename="upload.csv"):
    """Return ``(columns, rows)``: column names (stripped, lower case) and one dict per row.

    Each row dict also holds ``"__row__"``, the line number a person sees in the file
    (the header is row 1). Rows that are entirely empty are dropped.
    """
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")):
        table = _read_xlsx(data)
    elif name.endswith(".xls"):
        raise TabularError(_("old .xls workbooks are not supported: save it as .xlsx or CSV"))
    else:
        table = _read_csv(data)
    if not table:
        raise TabularError(_("the file is empty: it needs a header row and at least one row"))
    header = [str(h or "").strip().lower() for h in table[0]]
    if not any(header):
        raise TabularError(_("the first row must name the columns"))
    # Blank cells after the last name are dropped (spreadsheets often keep a few); values
    # under them are then reported as more values than columns. A blank between names is
    # refused: its values would otherwise be dropped without a word.
    while not header[-1]:
        header.pop()
    blanks = [str(i + 1) for i, h in enumerate(header) if not h]
    if blanks:
        raise TabularError(_("column(s) %(numbers)s of the header have no name: name them "
                             "or delete them", numbers=", ".join(blanks)))
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise TabularError(_("column(s) named twice in the header: %(names)s",
                             names=", ".join(dupes)))
    rows = []
    for number, values in enumerate(table[1:], start=2):
        values = [_cell(v).strip() for v in values]
        if not any(values):
            continue
        if len(values) > len(header) and any(values[len(header):]):
            raise TabularError(_("row %(n)d has more values than the header has columns",
                                 n=number))
        row = {h: (values[i] if i < len(values) else "") for i, h in enumerate(header)}
        row["__row__"] = number
        rows.append(row)
    return header, rows


def _read_csv(data):
    text = decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    _refuse_unterminated_quote(text, dialect)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise TabularError(_("the CSV is malformed: %(reason)s", reason=exc)) from exc


def _refuse_unterminated_quote(text, dialect):
    """Raise when a quote never closes: the lenient reader would silently swallow every
    row after it into one cell."""
    rows = 0
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    try:
        for _row in reader:
            rows += 1
    except csv.Error as exc:
        # Strict mode also refuses text right after a closing quote, which the lenient
        # reader has always accepted; only the end of the file inside quotes is refused.
        if "unexpected end of data" in str(exc):
            raise TabularError(_("unterminated quote: a \" on this row never closes, so the "
                                 "rows after it would be lost; close the quote or remove it"),
                               row=rows + 1) from exc


def _read_xlsx(data):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TabularError(_("the workbook cannot be opened: %(reason)s", reason=exc)) from exc
    try:
        sheet = wb.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        wb.close()
