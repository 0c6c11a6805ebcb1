"""A small JSON HTTP client for connectors: timeouts, retries with backoff, clear errors.

Built on the standard library so a connector plugin needs nothing else. 429 and 5xx
answers, timeouts and refused connections are retried with exponential backoff (honouring
``Retry-After`` up to a cap); everything else is answered at once. ``Response.json()``
refuses an HTML page (a login portal, a proxy error) with a message saying so.
"""
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .base import ConnectorError

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}


class SourceError(ConnectorError):
    """The source answered something unusable; ``status`` is the HTTP status or None."""

    def __init__(self, message, status=None, body=""):
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    url: str

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        """The body as JSON; a clear SourceError for HTML or broken JSON."""
        ctype = self.headers.get("content-type", "")
        head = self.text.lstrip()[:200]
        if "html" in ctype or head.lower().startswith(("<!doctype", "<html")):
            raise SourceError(f"{_short(self.url)} answered an HTML page instead of JSON "
                              f"(HTTP {self.status}): {' '.join(head.split())[:80]!r}; "
                              "check the URL and the credentials", self.status, head)
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise SourceError(f"{_short(self.url)} answered invalid JSON (HTTP {self.status}):"
                              f" {exc}", self.status, head) from None


def _short(url):
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class HttpClient:
    """``request`` with retries. ``sleep`` is injectable so tests need not wait."""

    def __init__(self, timeout=30.0, retries=3, backoff=1.0, max_wait=60.0, sleep=time.sleep):
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.max_wait, self.sleep = max_wait, sleep
        self.attempts = 0  # requests sent, for logs and tests

    def request(self, method, url, params=None, headers=None, json_body=None, data=None,
                retry=True):
        """Send one request; return a ``Response`` for any 2xx-4xx answer except 429.

        Raises ``SourceError`` when the source is unreachable, times out, or keeps
        answering 429/5xx after the retries.
        """
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(data, dict):
            data = urllib.parse.urlencode(data).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        headers.setdefault("Accept", "application/json")
        attempts = (self.retries + 1) if retry else 1
        last = None
        for attempt in range(attempts):
            if attempt:
                wait = min(self.max_wait, self.backoff * (2 ** (attempt - 1)))
                retry_after = getattr(last, "retry_after", None)
                if retry_after is not None:
                    wait = min(self.max_wait, max(wait, retry_after))
                log.info("retrying %s %s in %.1f s (%s)", method, _short(url), wait, last)
                self.sleep(wait)
            self.attempts += 1
            try:
                response = self._send(method, url, headers, data)
            except _Retryable as exc:
                last = exc
                continue
            if response.status in RETRY_STATUSES:
                last = _Retryable(f"HTTP {response.status}", response)
                last.retry_after = _retry_after(response.headers.get("retry-after"))
                continue
            return response
        if last and last.response is not None:
            r = last.response
            hint = "rate limited" if r.status == 429 else "server error"
            raise SourceError(f"{_short(url)} answered HTTP {r.status} ({hint}) "
                              f"{attempts} time(s); giving up for now: "
                              f"{' '.join(r.text.split())[:120]!r}", r.status, r.text)
        raise SourceError(f"{_short(url)}: {last} ({attempts} attempt(s))")

    def _send(self, method, url, headers, data):
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return Response(resp.status, _lower(resp.headers), resp.read(), url)
        except urllib.error.HTTPError as exc:
            body = exc.read() if exc.fp else b""
            return Response(exc.code, _lower(exc.headers), body, url)
        except (socket.timeout, TimeoutError) as exc:
            raise _Retryable(f"timed out after {self.timeout} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise _Retryable(f"timed out after {self.timeout} s") from exc
            raise _Retryable(f"cannot connect: {exc.reason}") from exc
        except (ConnectionError, OSError) as exc:
            raise _Retryable(f"connection failed: {exc}") from exc


class _Retryable(Exception):
    def __init__(self, message, response=None):
        super().__init__(message)
        self.response = response
        self.retry_after = None


def _lower(headers):
    return {k.lower(): v for k, v in (headers.items() if headers else [])}


def _retry_after(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def client_for(config):
    """An ``HttpClient`` configured from the app config (tests shorten the waits)."""
    return HttpClient(timeout=float(config.get("CONNECTOR_HTTP_TIMEOUT", 30)),
                      retries=int(config.get("CONNECTOR_HTTP_RETRIES", 3)),
                      backoff=float(config.get("CONNECTOR_HTTP_BACKOFF", 1.0)))
