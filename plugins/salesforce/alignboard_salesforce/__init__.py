"""Alignboard plugin: the ``salesforce`` connector (Salesforce REST API, query resource).

Written against Salesforce's documented REST API:

- OAuth 2.0 refresh-token flow: ``POST {login_url}/services/oauth2/token`` with
  ``grant_type=refresh_token``, ``client_id``, ``client_secret``, ``refresh_token``; the answer
  holds ``access_token`` and ``instance_url``. A wrong or revoked token answers 400
  ``{"error": "invalid_grant", "error_description": ...}``.
- Query: ``GET {instance_url}/services/data/vXX.X/query?q=<SOQL>`` answers
  ``{"totalSize", "done", "nextRecordsUrl", "records": [{"attributes": {...}, ...}]}``; while
  ``done`` is false, ``GET {instance_url}{nextRecordsUrl}`` gives the next batch.
- Errors are a list ``[{"message", "errorCode"}]``: 401 ``INVALID_SESSION_ID`` (the access
  token expired: refreshed once, then retried), 400 ``MALFORMED_QUERY``/``INVALID_FIELD``,
  403 ``REQUEST_LIMIT_EXCEEDED`` (the org's API limit), 400/404 ``INVALID_QUERY_LOCATOR``
  (a ``nextRecordsUrl`` older than ~15 minutes: the query is started again).

Incremental: the SOQL gets ``WHERE <incremental_field> > <last value seen>`` and ``ORDER BY``
that field; the cursor keeps the value, and within a run the ``nextRecordsUrl``. Nested
objects (``Owner.Email``) become dotted field names for the mapping.
"""
from datetime import datetime, timezone

from marshmallow import Schema, fields, validate

from alignboard import hookimpl
from alignboard.connectors.base import Batch, Connector, ConnectorError

__version__ = "0.1.0"

DEFAULT_SOQL = ("SELECT Id, Name, StageName, Amount, CloseDate, Owner.Email, "
                "Account.Name, LastModifiedDate FROM Opportunity")


class SalesforceSettings(Schema):
    instance_url = fields.Url(required=True, require_tld=False, schemes={"https", "http"},
                              metadata={"label": "Instance URL",
                                        "placeholder": "https://yourorg.my.salesforce.com"})
    login_url = fields.Url(load_default="https://login.salesforce.com", require_tld=False,
                           schemes={"https", "http"}, metadata={
                               "label": "Login URL",
                               "description": "https://test.salesforce.com for sandboxes"})
    api_version = fields.String(load_default="v59.0", validate=validate.Regexp(
        r"^v\d+\.\d$", error="like v59.0"))
    client_id = fields.String(required=True, metadata={"label": "Connected app consumer key"})
    client_secret = fields.String(required=True, metadata={
        "label": "Consumer secret", "secret": True})
    refresh_token = fields.String(required=True, metadata={
        "label": "Refresh token", "secret": True})
    soql = fields.String(load_default=DEFAULT_SOQL, metadata={
        "label": "SOQL query", "widget": "textarea",
        "description": "Without ORDER BY / LIMIT when an incremental field is set."})
    incremental_field = fields.String(load_default="LastModifiedDate", metadata={
        "label": "Incremental field", "description": "empty: read everything each run"})


def flatten(record, prefix=""):
    out = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _errors(response):
    try:
        body = response.json()
    except ConnectorError:
        return "", response.text[:120]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0].get("errorCode", ""), body[0].get("message", "")
    if isinstance(body, dict):
        return body.get("error", ""), body.get("error_description", "")
    return "", str(body)[:120]


class SalesforceConnector(Connector):
    key = "salesforce"
    title = "Salesforce"
    description = "Salesforce REST API: a SOQL query, paged with nextRecordsUrl."
    Settings = SalesforceSettings
    suggested_mapping = {
        "external_id": "Id", "type": "deal",
        "fields": [{"source": "StageName", "target": "stage", "convert": "text",
                    "value_map": {"Closed Won": "won", "Closed Lost": "lost"}},
                   {"source": "Amount", "target": "amount", "convert": "number"},
                   {"source": "Name", "target": "name"},
                   {"source": "Account.Name", "target": "account"},
                   {"source": "CloseDate", "target": "close_date", "convert": "date"}],
        "owner": {"source": "Owner.Email", "match": "email", "unmatched": "keep"},
        "occurred_at": {"sources": ["CloseDate"], "formats": ["iso"]},
        "conditions": [{"type": "collection", "when": [
            {"field": "stage", "op": "==", "value": "won"},
            {"field": "amount", "op": ">", "value": "50000"}]}]}

    token = None
    instance_url = None

    def authenticate(self, settings):
        response = self.http.request("POST", settings["login_url"].rstrip("/") +
                                     "/services/oauth2/token",
                                     data={"grant_type": "refresh_token",
                                           "client_id": settings["client_id"],
                                           "client_secret": settings["client_secret"],
                                           "refresh_token": settings["refresh_token"]})
        if response.status != 200:
            code, message = _errors(response)
            raise ConnectorError(f"Salesforce refused the credentials ({code or response.status}"
                                 f": {message}): check the consumer key/secret and the "
                                 "refresh token")
        body = response.json()
        if "access_token" not in body:
            raise ConnectorError("Salesforce's token answer has no access_token")
        self.token = body["access_token"]
        self.instance_url = (body.get("instance_url") or settings["instance_url"]).rstrip("/")

    def _get(self, settings, path, params=None):
        if self.token is None:
            self.authenticate(settings)
        for attempt in (1, 2):
            response = self.http.request("GET", self.instance_url + path, params=params,
                                         headers={"Authorization": f"Bearer {self.token}"})
            if response.status == 401 and attempt == 1:
                # INVALID_SESSION_ID: the access token expired or was revoked; refresh once.
                self.authenticate(settings)
                continue
            break
        if response.status == 200:
            return response.json()
        code, message = _errors(response)
        if code == "INVALID_QUERY_LOCATOR":
            raise _LocatorExpired(message)
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise ConnectorError(f"Salesforce API request limit exceeded ({message}); the "
                                 "next scheduled run continues from here")
        raise ConnectorError(f"Salesforce answered HTTP {response.status} {code}: {message}")

    def _soql(self, settings, since):
        soql = " ".join(settings["soql"].split())
        field = settings.get("incremental_field")
        if not field:
            return soql
        if since:
            # ">=", not ">": records sharing the last stored timestamp may not all have been
            # stored when a run was killed or its query locator expired; re-read rows come
            # back "unchanged" from the upsert.
            joiner = " AND " if " where " in soql.lower() else " WHERE "
            soql += f"{joiner}{field} >= {soql_literal(since)}"
        return soql + f" ORDER BY {field} ASC"

    def pull(self, settings, cursor):
        cursor = dict(cursor or {})
        since, newest = cursor.get("since"), cursor.get("newest") or cursor.get("since")
        version = settings["api_version"]
        field = settings.get("incremental_field")
        next_url = cursor.get("next")
        while True:
            try:
                body = (self._get(settings, next_url) if next_url else
                        self._get(settings, f"/services/data/{version}/query",
                                  {"q": self._soql(settings, since)}))
            except _LocatorExpired:
                # Query locators expire; start the query again from the last stored value.
                since, next_url = newest, None
                continue
            rows = []
            for i, record in enumerate(body.get("records") or []):
                row = flatten(record)
                row["__row__"] = row.get("Id") or f"#{i + 1}"
                rows.append(row)
                if field and row.get(field) and (newest is None or str(row[field]) > newest):
                    newest = str(row[field])
            total = body.get("totalSize")
            if body.get("done", True) or not body.get("nextRecordsUrl"):
                yield Batch(rows, {"since": newest, "newest": newest}, total)
                return
            next_url = body["nextRecordsUrl"]
            yield Batch(rows, {"since": since, "newest": newest, "next": next_url}, total)


def soql_literal(value):
    """'2017-03-01T10:00:00.000+0000' -> '2017-03-01T10:00:00Z': SOQL takes no fractions."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if len(str(value)) <= 10:
        return parsed.date().isoformat()
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


class _LocatorExpired(Exception):
    pass


@hookimpl
def register_connectors():
    return [SalesforceConnector]
