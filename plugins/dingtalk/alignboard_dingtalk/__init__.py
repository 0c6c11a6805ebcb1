"""Alignboard plugin: the ``dingtalk`` connector (DingTalk attendance punch results).

Written against DingTalk's documented server API (oapi.dingtalk.com):

- ``GET /gettoken?appkey=..&appsecret=..`` answers ``{"errcode": 0, "access_token": "...",
  "expires_in": 7200}``; a wrong key or secret answers a non-zero ``errcode`` and ``errmsg``.
- ``POST /attendance/list?access_token=..`` with ``{"workDateFrom": "yyyy-MM-dd HH:mm:ss",
  "workDateTo": ..., "userIdList": [..at most 50..], "offset": 0, "limit": 50}`` (a window
  of at most 7 days) answers ``{"errcode": 0, "errmsg": "ok", "recordresult": [{"id",
  "userId", "checkType", "timeResult", "locationResult", "userCheckTime" (epoch ms),
  "workDate", "baseCheckTime", ...}], "hasMore": bool}``.
- Errors come with HTTP 200 and a non-zero ``errcode``: 40014 (invalid access_token) and
  42001 (access_token expired) make the connector fetch a new token and retry once;
  90002/90006/90018 (call frequency over the limit) are retried with backoff; anything else
  stops the run with DingTalk's ``errmsg``.

The cursor holds the window start and the offset inside it; finished windows move it on.
The last two days are read again on every run, since late punches and corrections arrive
afterwards: the records store's upsert turns them into updates, never duplicates.
"""
from datetime import date, datetime, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates

from alignboard import hookimpl
from alignboard.connectors.base import Batch, Connector, ConnectorError

__version__ = "0.1.0"

TOKEN_ERRORS = {40014, 42001}
RATE_ERRORS = {90002, 90006, 90018}
PAGE = 50
WINDOW_DAYS = 7
OVERLAP_DAYS = 2


class DingTalkSettings(Schema):
    base_url = fields.Url(load_default="https://oapi.dingtalk.com", require_tld=False,
                          schemes={"https", "http"}, metadata={"label": "API base URL"})
    app_key = fields.String(required=True, metadata={"label": "AppKey"})
    app_secret = fields.String(required=True, metadata={"label": "AppSecret", "secret": True})
    user_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1),
                           metadata={"label": "DingTalk user ids",
                                     "description": "the people whose punches to read"})
    start_date = fields.Date(required=True, metadata={
        "label": "Read from (first run)", "description": "YYYY-MM-DD"})
    rate_limit_retries = fields.Integer(load_default=3, validate=validate.Range(min=0, max=10))

    @validates("user_ids")
    def _ids(self, value, **kwargs):
        if any(not v.strip() for v in value):
            raise ValidationError("empty user id")


class DingTalkConnector(Connector):
    key = "dingtalk"
    title = "DingTalk attendance"
    description = "Punch results from DingTalk attendance (oapi.dingtalk.com)."
    Settings = DingTalkSettings
    suggested_mapping = {
        "external_id": "id", "type": "attendance",
        "fields": [{"source": "checkType", "target": "check_type"},
                   {"source": "timeResult", "target": "time_result"},
                   {"source": "locationResult", "target": "location_result"},
                   {"source": "userCheckTime", "target": "checked_at", "convert": "datetime",
                    "formats": ["epoch_ms"]}],
        "owner": {"source": "userId", "match": "external_id", "unmatched": "keep"},
        "occurred_at": {"sources": ["userCheckTime"], "formats": ["epoch_ms"]}}

    token = None
    today = None  # tests may pin "today"

    def _token(self, settings):
        response = self.http.request("GET", settings["base_url"].rstrip("/") + "/gettoken",
                                     params={"appkey": settings["app_key"],
                                             "appsecret": settings["app_secret"]})
        body = response.json()
        if body.get("errcode") != 0 or not body.get("access_token"):
            raise ConnectorError(f"DingTalk refused the AppKey/AppSecret (errcode "
                                 f"{body.get('errcode')}: {body.get('errmsg')})")
        self.token = body["access_token"]

    def _call(self, settings, path, payload):
        refreshed = False
        rate_tries = 0
        while True:
            if self.token is None:
                self._token(settings)
            response = self.http.request(
                "POST", settings["base_url"].rstrip("/") + path,
                params={"access_token": self.token}, json_body=payload)
            if response.status >= 400:
                raise ConnectorError(f"DingTalk answered HTTP {response.status} on {path}")
            body = response.json()
            code = body.get("errcode", 0)
            if code == 0:
                return body
            if code in TOKEN_ERRORS and not refreshed:
                self.token, refreshed = None, True
                continue
            if code in RATE_ERRORS and rate_tries < int(settings.get("rate_limit_retries", 3)):
                rate_tries += 1
                self.http.sleep(self.http.backoff * (2 ** (rate_tries - 1)))
                continue
            hint = " (rate limit: retried, still refused)" if code in RATE_ERRORS else ""
            raise ConnectorError(f"DingTalk {path} errcode {code}: {body.get('errmsg')}{hint}")

    def pull(self, settings, cursor):
        cursor = dict(cursor or {})
        today = self.today or date.today()
        start = date.fromisoformat(cursor["from"]) if cursor.get("from") else \
            _as_date(settings["start_date"])
        offset = int(cursor.get("offset", 0))
        users = settings["user_ids"]
        while start <= today:
            end = min(start + timedelta(days=WINDOW_DAYS - 1), today)
            for group_start in range(int(cursor.get("group", 0)), len(users), 50):
                group = users[group_start:group_start + 50]
                while True:
                    body = self._call(settings, "/attendance/list", {
                        "workDateFrom": f"{start.isoformat()} 00:00:00",
                        "workDateTo": f"{end.isoformat()} 23:59:59",
                        "userIdList": group, "offset": offset, "limit": PAGE})
                    rows = []
                    for item in body.get("recordresult") or []:
                        row = dict(item)
                        row["__row__"] = f"{row.get('userId')} {row.get('id')}"
                        rows.append(row)
                    more = bool(body.get("hasMore"))
                    offset = offset + len(rows) if more else 0
                    position = {"from": start.isoformat(), "offset": offset,
                                "group": group_start if more else group_start + 50}
                    yield Batch(rows, position)
                    if not more:
                        break
                cursor["group"] = 0
            if end >= today:
                # Done up to today; start the next run a little back for late punches.
                back = max(_as_date(settings["start_date"]),
                           today - timedelta(days=OVERLAP_DAYS))
                yield Batch([], {"from": back.isoformat(), "offset": 0, "group": 0})
                return
            start, offset = end + timedelta(days=1), 0
            yield Batch([], {"from": start.isoformat(), "offset": 0, "group": 0})


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@hookimpl
def register_connectors():
    return [DingTalkConnector]
