"""The rest connector on a loopback JSON API: page, offset, cursor and next-link paging,
incremental ``since``, auth header, and the answers a real API gives when things go wrong."""
from alignboard.connectors import service, sync
from alignboard.connectors.models import Connection
from alignboard.records.models import Record

MAPPING = {"external_id": "id", "type": "deal",
           "fields": [{"source": "amount", "target": "amount", "convert": "number"},
                      {"source": "owner.login", "target": "owner_login"}],
           "owner": {"source": "owner.login", "match": "login"}}
ITEMS = [{"id": f"R{i}", "amount": str(i * 10), "owner": {"login": "rob"},
          "updated_at": f"2017-01-0{i + 1}"} for i in range(5)]


def make(app, source, **settings):
    values = {"url": source.url + "/deals", "auth_value": "Bearer s3cret",
              "records_path": "data"}
    values.update(settings)
    with app.app_context():
        return service.create("api", "rest", values, MAPPING).id


def run(app, cid):
    with app.app_context():
        return sync.run(Connection.get_by_id(cid))


def test_page_number_paging_with_auth_header_and_nested_fields(app, org, shipped, source):
    def deals(req):
        assert req.headers["Authorization"] == "Bearer s3cret"
        page, size = int(req.query["page"]), int(req.query["page_size"])
        return 200, {"data": ITEMS[(page - 1) * size:page * size]}
    source.route("GET", "/deals", deals)
    result = run(app, make(app, source, pagination="page", page_size=2))
    assert (result.status, result.created) == ("succeeded", 5), result.message
    # The short third page does not end the pull: the empty fourth one does.
    assert [r.query["page"] for r in source.hits("/deals")] == ["1", "2", "3", "4"]
    with app.app_context():
        rec = Record.get(Record.external_id == "R3")
        assert rec.owner_id == org.rob.id and rec.fields == {"amount": 30.0,
                                                             "owner_login": "rob"}


def test_offset_paging(app, org, shipped, source):
    source.route("GET", "/deals", lambda req: (200, {"data": ITEMS[
        int(req.query["offset"]):int(req.query["offset"]) + int(req.query["page_size"])]}))
    result = run(app, make(app, source, pagination="offset", page_size=3))
    assert result.created == 5
    assert [r.query["offset"] for r in source.hits("/deals")] == ["0", "3", "5"]


def test_page_paging_reads_every_page_of_a_server_capping_the_page_size(app, org, shipped,
                                                                        source):
    """Asked for 100 rows a page, the server sends at most 2: each page is short."""
    def deals(req):
        page, size = int(req.query["page"]), min(int(req.query["page_size"]), 2)
        return 200, {"data": ITEMS[(page - 1) * size:page * size]}
    source.route("GET", "/deals", deals)
    result = run(app, make(app, source, pagination="page", page_size=100))
    assert (result.status, result.created) == ("succeeded", 5), result.message


def test_offset_paging_reads_every_page_of_a_server_capping_the_page_size(app, org, shipped,
                                                                          source):
    source.route("GET", "/deals", lambda req: (200, {"data": ITEMS[
        int(req.query["offset"]):int(req.query["offset"]) + 2]}))
    result = run(app, make(app, source, pagination="offset", page_size=50))
    assert (result.status, result.created) == ("succeeded", 5), result.message


def test_cursor_paging(app, org, shipped, source):
    def deals(req):
        start = int(req.query.get("cursor", "0"))
        nxt = str(start + 2) if start + 2 < len(ITEMS) else None
        return 200, {"data": ITEMS[start:start + 2], "meta": {"next": nxt}}
    source.route("GET", "/deals", deals)
    result = run(app, make(app, source, pagination="cursor", cursor_path="meta.next"))
    assert result.created == 5 and len(source.hits("/deals")) == 3


def test_next_link_paging_from_the_link_header(app, org, shipped, source):
    def deals(req):
        start = int(req.query.get("from", "0"))
        headers = {}
        if start + 2 < len(ITEMS):
            headers["Link"] = f'<{source.url}/deals?from={start + 2}>; rel="next"'
        return 200, {"data": ITEMS[start:start + 2]}, headers
    source.route("GET", "/deals", deals)
    result = run(app, make(app, source, pagination="next_link", next_path=""))
    assert result.created == 5 and len(source.hits("/deals")) == 3


def test_next_link_paging_follows_a_relative_link_from_the_body(app, org, shipped, source):
    def deals(req):
        start = int(req.query.get("from", "0"))
        nxt = f"/deals?from={start + 2}" if start + 2 < len(ITEMS) else None
        return 200, {"data": ITEMS[start:start + 2], "links": {"next": nxt}}
    source.route("GET", "/deals", deals)
    result = run(app, make(app, source, pagination="next_link", next_path="links.next"))
    assert (result.status, result.created) == ("succeeded", 5), result.message
    assert [r.query.get("from") for r in source.hits("/deals")] == [None, "2", "4"]


def test_incremental_since_sends_the_newest_value_seen(app, org, shipped, source):
    source.route("GET", "/deals", lambda req: (200, {"data": [
        i for i in ITEMS if i["updated_at"] > req.query.get("updated_since", "")]}))
    cid = make(app, source, since_field="updated_at")
    first, second = run(app, cid), run(app, cid)
    assert (first.created, second.processed) == (5, 0)
    assert source.hits("/deals")[1].query["updated_since"] == "2017-01-05"


def test_wrong_credentials_and_html_and_broken_rows(app, org, shipped, source):
    source.route("GET", "/deals", lambda req: (401, {"error": "unauthorized"}))
    cid = make(app, source)
    result = run(app, cid)
    assert result.status == "failed" and "refused the credentials (HTTP 401)" in result.message
    source.route("GET", "/deals", lambda req: (200, "<html><body>proxy login</body></html>",
                                               {"Content-Type": "text/html"}))
    assert "HTML page instead of JSON" in run(app, cid).message
    source.route("GET", "/deals", lambda req: (200, {"data": [
        {"id": "ok", "amount": "1", "owner": {"login": "rob"}}, "not a row",
        {"id": "bad", "amount": "one", "owner": {"login": "rob"}}]}))
    result = run(app, cid)
    assert (result.status, result.created, result.failed) == ("succeeded", 1, 2)


def test_server_error_after_retries_keeps_what_was_stored(app, org, shipped, source):
    source.route("GET", "/deals", lambda req: (200, {"data": ITEMS}))
    cid = make(app, source)
    run(app, cid)
    source.route("GET", "/deals", lambda req: (500, {"error": "boom"}))
    result = run(app, cid)
    assert result.status == "failed" and "HTTP 500 (server error) 3 time(s)" in result.message
    with app.app_context():
        assert Record.select().count() == 5


def test_secret_is_stored_encrypted_and_shown_masked(app, org, shipped, source):
    cid = make(app, source)
    with app.app_context():
        c = Connection.get_by_id(cid)
        assert "s3cret" not in (c.secrets or "") and "s3cret" not in str(c.settings)
        assert service.masked_settings(c)["auth_value"] == "••••cret"
        assert sync.settings_of(c)["auth_value"] == "Bearer s3cret"
