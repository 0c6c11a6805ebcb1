"""Alignboard plugin: the ``rest`` connector, a generic JSON REST pull.

GET ``url`` with an optional auth header, take the records at ``records_path`` (dotted),
and page through with one of: ``page`` (page number), ``offset``, ``cursor`` (a token the
answer carries at ``cursor_path``), ``next_link`` (a URL the answer carries at
``next_path``, or the ``Link: <...>; rel="next"`` header), or ``none``.

Incremental: with ``since_field`` set, the cursor keeps the largest value of that record
field seen, and the next run sends it as the ``since_param`` query parameter. Within a run
the cursor holds the page position, so a killed run resumes at the page after the last
stored one.
"""
import re
from urllib.parse import urljoin

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from alignboard import hookimpl
from alignboard.connectors.base import Batch, Connector, ConnectorError

__version__ = "0.1.0"

PAGINATIONS = ("none", "page", "offset", "cursor", "next_link")
MAX_PAGES = 100000


class RestSettings(Schema):
    url = fields.Url(required=True, require_tld=False, schemes={"http", "https"},
                     metadata={"label": "URL", "placeholder": "https://api.example.com/deals"})
    auth_header = fields.String(load_default="Authorization", metadata={
        "label": "Auth header name"})
    auth_value = fields.String(load_default="", metadata={
        "label": "Auth header value", "secret": True,
        "description": "e.g. Bearer abc123 (stored encrypted)"})
    records_path = fields.String(load_default="", metadata={
        "label": "Path to the records", "description": "dotted, e.g. data.items; empty: "
                                                         "the answer is the list"})
    pagination = fields.String(load_default="none", validate=validate.OneOf(PAGINATIONS))
    page_param = fields.String(load_default="page")
    start_page = fields.Integer(load_default=1)
    size_param = fields.String(load_default="page_size", metadata={
        "label": "Page size parameter"})
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=10000))
    offset_param = fields.String(load_default="offset")
    cursor_param = fields.String(load_default="cursor")
    cursor_path = fields.String(load_default="next_cursor", metadata={
        "label": "Path to the next cursor in the answer"})
    next_path = fields.String(load_default="next", metadata={
        "label": "Path to the next page URL in the answer",
        "description": "empty: use the Link header"})
    since_field = fields.String(load_default="", metadata={
        "label": "Incremental: record field", "description": "e.g. updated_at"})
    since_param = fields.String(load_default="updated_since", metadata={
        "label": "Incremental: query parameter"})

    @validates_schema
    def _since(self, data, **kwargs):
        if data.get("since_field") and not data.get("since_param"):
            raise ValidationError("name the query parameter that takes the value",
                                  "since_param")


def dig(document, path):
    value = document
    for step in [s for s in (path or "").split(".") if s]:
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def flatten(record, prefix=""):
    """{"owner": {"email": "x"}} -> {"owner.email": "x"}: nested fields become mappable."""
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def link_next(header):
    for part in (header or "").split(","):
        match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', part)
        if match:
            return match.group(1)
    return None


class RestConnector(Connector):
    key = "rest"
    title = "JSON REST API"
    description = "Pulls JSON records from any REST endpoint, page by page."
    Settings = RestSettings

    def _get(self, url, settings, params):
        headers = {}
        if settings.get("auth_value"):
            headers[settings.get("auth_header") or "Authorization"] = settings["auth_value"]
        response = self.http.request("GET", url, params=params, headers=headers)
        if response.status in (401, 403):
            raise ConnectorError(f"{settings['url']} refused the credentials (HTTP "
                                 f"{response.status}): check the auth header value")
        if response.status >= 400:
            raise ConnectorError(f"{url} answered HTTP {response.status}: "
                                 f"{' '.join(response.text.split())[:120]!r}")
        return response, response.json()

    def pull(self, settings, cursor):
        cursor = dict(cursor or {})
        since = cursor.get("since")
        newest = cursor.get("newest", since)
        mode = settings.get("pagination", "none")
        position = cursor.get("position")
        url = settings["url"]
        for _ in range(MAX_PAGES):
            params = {}
            if since and settings.get("since_field"):
                params[settings["since_param"]] = since
            if mode == "page":
                page = position if position is not None else settings.get("start_page", 1)
                params[settings["page_param"]] = page
                params[settings["size_param"]] = settings["page_size"]
            elif mode == "offset":
                offset = position or 0
                params[settings["offset_param"]] = offset
                params[settings["size_param"]] = settings["page_size"]
            elif mode == "cursor" and position:
                params[settings["cursor_param"]] = position
            target = position if (mode == "next_link" and position) else url
            if mode == "next_link" and position:
                params = {}
            response, body = self._get(target, settings, params)
            records = dig(body, settings.get("records_path"))
            if records is None:
                records = []
            if not isinstance(records, list):
                raise ConnectorError(f"the answer has no list of records at "
                                     f"{settings.get('records_path') or 'its top level'!r}")
            rows = [flatten(r) if isinstance(r, dict) else r for r in records]
            if settings.get("since_field"):
                values = [str(r.get(settings["since_field"])) for r in rows
                          if isinstance(r, dict) and r.get(settings["since_field"]) is not None]
                if values:
                    newest = max([v for v in (newest, *values) if v])
            nxt = None
            if mode == "page" and rows:
                nxt = (position if position is not None else settings.get("start_page", 1)) + 1
            elif mode == "offset" and rows:
                nxt = (position or 0) + len(rows)
            elif mode == "cursor":
                nxt = dig(body, settings.get("cursor_path")) or None
            elif mode == "next_link":
                nxt = (dig(body, settings.get("next_path")) if settings.get("next_path")
                       else None) or link_next(response.headers.get("link"))
                # A next link may be relative ("/items?page=2"): resolve it like a browser.
                nxt = urljoin(target, str(nxt)) if nxt else None
            # Page and offset paging end on an empty page, not a short one: many servers
            # cap the page size below what was asked, so every page of theirs looks short.
            if nxt is not None and nxt == position:
                raise ConnectorError(f"the source gave the same next page twice ({nxt!r}): "
                                     "check the pagination settings")
            for i, row in enumerate(rows):
                if isinstance(row, dict):
                    row.setdefault("__row__", f"page {position or 'first'} #{i + 1}")
            if nxt is None:
                # The pull is complete: the next run starts over from the newest value seen.
                yield Batch(rows, {"since": newest, "newest": newest})
                return
            position = nxt
            yield Batch(rows, {"since": since, "newest": newest, "position": position})
        raise ConnectorError(f"more than {MAX_PAGES} pages: check the pagination settings")


@hookimpl
def register_connectors():
    return [RestConnector]
