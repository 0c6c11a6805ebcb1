"""The salesforce connector against a loopback server answering Salesforce's documented
shapes: OAuth refresh, SOQL query, nextRecordsUrl paging, INVALID_SESSION_ID, limits."""
import time
from urllib.parse import parse_qs

from alignboard.connectors import service, sync
from alignboard.connectors.models import Connection
from alignboard.records.models import Record

V = "v59.0"


def opp(i, stage="Closed Won", amount=60000, email="rob@example.test"):
    return {"attributes": {"type": "Opportunity",
                           "url": f"/services/data/{V}/sobjects/Opportunity/006{i:015d}"},
            "Id": f"006{i:015d}", "Name": f"Deal {i}", "StageName": stage, "Amount": amount,
            "CloseDate": "2017-03-01",
            "Owner": {"attributes": {"type": "User"}, "Email": email},
            "Account": {"attributes": {"type": "Account"}, "Name": "Acme"},
            "LastModifiedDate": f"2017-03-0{1 + i % 8}T10:00:00.000+0000"}


def make(app, source, **settings):
    values = {"instance_url": source.url, "login_url": source.url, "client_id": "cid",
              "client_secret": "csecret", "refresh_token": "rtoken"}
    values.update(settings)
    with app.app_context():
        return service.create("sf", "salesforce", values).id


def token_route(source, tokens):
    def token(req):
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        if form.get("refresh_token") != "rtoken" or form.get("client_secret") != "csecret":
            return 400, {"error": "invalid_grant", "error_description": "authentication failure"}
        tokens.append(f"tok{len(tokens) + 1}")
        return 200, {"access_token": tokens[-1], "instance_url": source.url,
                     "token_type": "Bearer", "issued_at": str(int(time.time() * 1000)),
                     "signature": "x"}
    source.route("POST", "/services/oauth2/token", token)


def run(app, cid, **kw):
    with app.app_context():
        return sync.run(Connection.get_by_id(cid), **kw)


def test_pages_through_nextrecordsurl_and_maps_the_won_big_deal_to_collection(
        app, org, shipped, source):
    tokens = []
    token_route(source, tokens)

    def query(req):
        assert req.headers["Authorization"] == "Bearer tok1"
        assert req.query["q"].startswith("SELECT Id, Name, StageName")
        assert req.query["q"].endswith("ORDER BY LastModifiedDate ASC")
        return 200, {"totalSize": 3, "done": False,
                     "nextRecordsUrl": f"/services/data/{V}/query/01gD0000002HU6KIAW-2000",
                     "records": [opp(1), opp(2, stage="Prospecting", amount=None)]}
    source.route("GET", f"/services/data/{V}/query", query)
    source.route("GET", f"/services/data/{V}/query/01gD0000002HU6KIAW-2000",
                 lambda req: (200, {"totalSize": 3, "done": True, "records": [opp(3)]}))
    cid = make(app, source)
    result = run(app, cid)
    assert (result.status, result.created, result.total) == ("succeeded", 3, 3), result.message
    with app.app_context():
        rec = Record.get(Record.external_id == opp(1)["Id"])
        assert rec.type == "collection" and rec.owner_id == org.rob.id
        assert rec.fields["stage"] == "won" and rec.fields["account"] == "Acme"
        assert Record.get(Record.external_id == opp(2)["Id"]).type == "deal"
        cursor = Connection.get_by_id(cid).cursor
    assert cursor["since"] == "2017-03-04T10:00:00.000+0000"


def test_next_run_asks_only_for_records_changed_since_the_cursor(app, org, shipped, source):
    token_route(source, [])
    queries = []

    def query(req):
        queries.append(req.query["q"])
        return 200, {"totalSize": 1, "done": True, "records": [opp(1)]}
    source.route("GET", f"/services/data/{V}/query", query)
    cid = make(app, source)
    run(app, cid)
    second = run(app, cid)
    assert "WHERE LastModifiedDate >= 2017-03-02T10:00:00Z ORDER BY" in queries[1]
    assert (second.created, second.unchanged) == (0, 1)


def test_expired_session_is_refreshed_once_and_the_query_retried(app, org, shipped, source):
    tokens = []
    token_route(source, tokens)

    def query(req):
        if req.headers["Authorization"] == "Bearer tok1":
            return 401, [{"message": "Session expired or invalid",
                          "errorCode": "INVALID_SESSION_ID"}]
        return 200, {"totalSize": 1, "done": True, "records": [opp(1)]}
    source.route("GET", f"/services/data/{V}/query", query)
    result = run(app, make(app, source))
    assert (result.status, result.created) == ("succeeded", 1)
    assert tokens == ["tok1", "tok2"]


def test_wrong_credentials_fail_the_run_clearly_and_store_nothing(app, org, shipped, source):
    token_route(source, [])
    result = run(app, make(app, source, refresh_token="revoked"))
    assert result.status == "failed"
    assert "Salesforce refused the credentials (invalid_grant" in result.message
    with app.app_context():
        assert Record.select().count() == 0


def test_rate_limit_and_server_errors_are_retried_then_reported(app, org, shipped, source):
    token_route(source, [])
    calls = []

    def query(req):
        calls.append(1)
        if len(calls) == 1:
            return 503, "<html>Service Unavailable</html>", {"Content-Type": "text/html"}
        if len(calls) == 2:
            return 429, {"message": "slow down"}, {"Retry-After": "0"}
        return 200, {"totalSize": 1, "done": True, "records": [opp(1)]}
    source.route("GET", f"/services/data/{V}/query", query)
    result = run(app, make(app, source))
    assert (result.status, result.created, len(calls)) == ("succeeded", 1, 3)


def test_request_limit_exceeded_and_malformed_query_stop_with_salesforce_message(
        app, org, shipped, source):
    token_route(source, [])
    source.route("GET", f"/services/data/{V}/query", lambda req: (
        403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]))
    result = run(app, make(app, source))
    assert result.status == "failed" and "API request limit exceeded" in result.message
    source.route("GET", f"/services/data/{V}/query", lambda req: (
        400, [{"message": "unexpected token: FORM", "errorCode": "MALFORMED_QUERY"}]))
    with app.app_context():
        cid = Connection.get(Connection.name == "sf").id
    result = run(app, cid)
    assert "MALFORMED_QUERY: unexpected token: FORM" in result.message


def test_html_login_page_instead_of_json_is_reported(app, org, shipped, source):
    token_route(source, [])
    source.route("GET", f"/services/data/{V}/query", lambda req: (
        200, "<!DOCTYPE html><html><body>Login</body></html>", {"Content-Type": "text/html"}))
    result = run(app, make(app, source))
    assert result.status == "failed" and "answered an HTML page instead of JSON" in result.message


def test_expired_query_locator_restarts_the_query_from_the_last_stored_value(
        app, org, shipped, source):
    token_route(source, [])
    cid = make(app, source)
    with app.app_context():
        c = Connection.get_by_id(cid)
        c.cursor = {"since": None, "newest": "2017-03-01T00:00:00.000+0000",
                    "next": f"/services/data/{V}/query/01gOLD-2000"}
        c.save()
    source.route("GET", f"/services/data/{V}/query/01gOLD-2000", lambda req: (
        400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]))
    queries = []

    def query(req):
        queries.append(req.query["q"])
        return 200, {"totalSize": 1, "done": True, "records": [opp(1)]}
    source.route("GET", f"/services/data/{V}/query", query)
    result = run(app, cid)
    assert result.status == "succeeded" and result.created == 1
    assert "LastModifiedDate >= 2017-03-01T00:00:00Z" in queries[0]


def test_records_tied_on_the_last_timestamp_survive_an_expired_query_locator(
        app, org, shipped, source):
    """Page 1 stores two of three records sharing one LastModifiedDate; page 2's locator
    expires, so the query restarts from that date and must read the third one again."""
    token_route(source, [])
    tied = [dict(opp(i), LastModifiedDate="2017-03-05T10:00:00.000+0000") for i in (1, 2, 3)]
    queries = []

    def query(req):
        queries.append(req.query["q"])
        if len(queries) == 1:
            return 200, {"totalSize": 3, "done": False,
                         "nextRecordsUrl": f"/services/data/{V}/query/01gTIE-2",
                         "records": tied[:2]}
        # Salesforce's answer to "LastModifiedDate >= 2017-03-05T10:00:00Z".
        since_inclusive = ">= 2017-03-05T10:00:00Z" in req.query["q"]
        return 200, {"totalSize": 3, "done": True,
                     "records": tied if since_inclusive else []}
    source.route("GET", f"/services/data/{V}/query", query)
    source.route("GET", f"/services/data/{V}/query/01gTIE-2", lambda req: (
        400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]))
    cid = make(app, source)
    result = run(app, cid)
    assert result.status == "succeeded", result.message
    with app.app_context():
        assert {r.external_id for r in Record.select()} == {t["Id"] for t in tied}
