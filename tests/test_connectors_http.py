"""The connectors' HTTP client: retries with backoff on 429/5xx/timeouts, clear errors."""
import time

import pytest

from alignboard.connectors.http import HttpClient, SourceError


def client(**kw):
    waits = []
    c = HttpClient(timeout=kw.pop("timeout", 2), retries=kw.pop("retries", 3), backoff=1.0,
                   sleep=waits.append, **kw)
    return c, waits


def test_backoff_doubles_and_honours_retry_after(source):
    answers = [(429, {"e": 1}, {"Retry-After": "7"}), (503, {"e": 2}), (502, {"e": 3}),
               (200, {"ok": True})]
    source.route("GET", "/x", lambda req: answers.pop(0))
    c, waits = client()
    assert c.request("GET", source.url + "/x").json() == {"ok": True}
    assert waits == [7.0, 2.0, 4.0]


def test_gives_up_after_the_retries_naming_the_status(source):
    source.route("GET", "/x", lambda req: (429, {"error": "rate limited"}))
    c, waits = client(retries=2)
    with pytest.raises(SourceError, match=r"HTTP 429 \(rate limited\) 3 time\(s\)"):
        c.request("GET", source.url + "/x")
    assert len(waits) == 2


def test_client_errors_are_not_retried(source):
    source.route("GET", "/x", lambda req: (404, {"error": "no"}))
    c, waits = client()
    assert c.request("GET", source.url + "/x").status == 404 and waits == []


def test_timeouts_are_retried(source):
    calls = []

    def slow(req):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.5)
        return 200, {"ok": True}
    source.route("GET", "/x", slow)
    c, waits = client(timeout=0.2)
    assert c.request("GET", source.url + "/x").json() == {"ok": True} and len(waits) == 1


def test_refused_connection_is_reported():
    c, _ = client(retries=1)
    with pytest.raises(SourceError, match="cannot connect"):
        c.request("GET", "http://127.0.0.1:9/nothing")


def test_html_and_broken_json_are_named(source):
    source.route("GET", "/html", lambda req: (200, "<!DOCTYPE html><p>Sign in</p>",
                                              {"Content-Type": "text/html"}))
    source.route("GET", "/bad", lambda req: (200, "{not json", {"Content-Type":
                                                               "application/json"}))
    c, _ = client()
    with pytest.raises(SourceError, match="answered an HTML page instead of JSON"):
        c.request("GET", source.url + "/html").json()
    with pytest.raises(SourceError, match="answered invalid JSON"):
        c.request("GET", source.url + "/bad").json()
