"""Notification channels, registered through the ``register_channels`` hook.

A channel is a class with a unique ``key``, a ``title``, a marshmallow ``Settings`` schema
(what a rule action configures), ``needs_recipients`` and ``send(message, recipients,
settings)``, which returns a short result text or raises ``ChannelError`` (or anything:
the delivery is retried with backoff either way). ``message`` is a dict with ``title``,
``body``, ``links`` ([{"text", "url"}]), ``rule``, ``firing_id`` and ``subject`` ({"type",
"id", "key", "login", "name"}); ``recipients`` are org ``Person`` objects.

The built-in channels are this module, registered as a plugin (``plugins.BUILTIN``):
in-app inbox, e-mail over SMTP, signed webhook, DingTalk / WeCom / Feishu group robots,
form task, flag or colour, suggested action pack.
"""
import base64
import hashlib
import hmac
import json
import logging
import os
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from email.message import EmailMessage

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate as v

from ..db import utcnow
from ..hookspecs import hookimpl
from . import form_tasks
from .models import FormTask, Notification, SubjectFlag

log = logging.getLogger(__name__)


class ChannelError(RuntimeError):
    """A delivery failed; the message says why (it is shown in the admin)."""


def secret_value(value):
    """``env:NAME`` reads the secret from the environment, so YAML files carry no secrets."""
    if isinstance(value, str) and value.startswith("env:"):
        resolved = os.environ.get(value[4:])
        if resolved is None:
            raise ChannelError(f"environment variable {value[4:]} is not set")
        return resolved
    return value or ""


def _http_url(value):
    parts = urllib.parse.urlparse(value or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("give an http:// or https:// URL")


def _text(message):
    lines = [message.get("title") or ""]
    if message.get("body"):
        lines += ["", message["body"]]
    for link in message.get("links") or []:
        lines.append(f"- {link.get('text', '')}: {link.get('url', '')}")
    return "\n".join(lines).strip()


def _markdown(message):
    lines = [f"### {message.get('title') or ''}"]
    if message.get("body"):
        lines += ["", message["body"]]
    for link in message.get("links") or []:
        lines.append(f"- [{link.get('text', '')}]({link.get('url', '')})")
    return "\n".join(lines)


def post_json(url, body, timeout, headers=None):
    """POST ``body`` as JSON; return the decoded JSON answer (or {}); raise ChannelError."""
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"{url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChannelError(f"{url} could not be reached: {reason}") from None
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {}


class Channel:
    key = ""
    title = ""
    needs_recipients = True

    class Settings(Schema):
        pass

    def send(self, message, recipients, settings):  # pragma: no cover - interface
        raise NotImplementedError


class HttpSettings(Schema):
    url = fields.String(required=True, validate=_http_url)
    secret = fields.String(load_default="")
    timeout = fields.Float(load_default=5.0, validate=v.Range(min=0.1, max=60))


class InboxChannel(Channel):
    key, title = "inbox", "In-app inbox"

    def send(self, message, recipients, settings):
        for person in recipients:
            Notification.create(person=person, kind=message.get("kind", "alert"),
                                title=message.get("title", "")[:300],
                                body=message.get("body", ""), links=message.get("links", []),
                                firing_id=message.get("firing_id"))
        return f"{len(recipients)} notification(s)"


class EmailChannel(Channel):
    """E-mail over SMTP; the server comes from ALIGNBOARD_SMTP_HOST / _PORT / _FROM /
    _USER / _PASSWORD / _STARTTLS (defaults localhost:25, no login)."""
    key, title = "email", "E-mail"

    def send(self, message, recipients, settings):
        cfg = current_app.config
        to = [p.email for p in recipients if p.email]
        if not to:
            raise ChannelError("none of the recipients has an e-mail address")
        mail = EmailMessage()
        mail["Subject"] = message.get("title", "")
        mail["From"] = cfg.get("SMTP_FROM", "alignboard@localhost")
        mail["To"] = ", ".join(to)
        mail.set_content(_text(message))
        host, port = cfg.get("SMTP_HOST", "localhost"), int(cfg.get("SMTP_PORT", 25))
        try:
            with smtplib.SMTP(host, port, timeout=float(cfg.get("SMTP_TIMEOUT", 10))) as smtp:
                if cfg.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if cfg.get("SMTP_USER"):
                    smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD", ""))
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP {host}:{port} failed: {exc}") from None
        return f"mailed {len(to)}"


class WebhookChannel(Channel):
    """POST JSON to a URL. With a secret, ``X-Alignboard-Signature: sha256=<hex>`` is the
    HMAC-SHA256 of ``<X-Alignboard-Timestamp>.<body>`` keyed with the secret."""
    key, title = "webhook", "Signed webhook"
    needs_recipients = False
    Settings = HttpSettings

    def send(self, message, recipients, settings):
        body = {"rule": message.get("rule"), "title": message.get("title"),
                "body": message.get("body"), "links": message.get("links", []),
                "subject": message.get("subject"), "firing_id": message.get("firing_id"),
                "recipients": [p.login for p in recipients]}
        raw = json.dumps(body, ensure_ascii=False, sort_keys=True)
        ts = str(int(time.time()))
        headers = {"X-Alignboard-Timestamp": ts}
        secret = secret_value(settings.get("secret"))
        if secret:
            sig = hmac.new(secret.encode(), f"{ts}.{raw}".encode(), hashlib.sha256).hexdigest()
            headers["X-Alignboard-Signature"] = "sha256=" + sig
        req = urllib.request.Request(settings["url"], data=raw.encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(req, timeout=settings.get("timeout", 5)) as resp:
                return f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"{settings['url']} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ChannelError(f"{settings['url']} could not be reached: "
                               f"{getattr(exc, 'reason', exc)}") from None


def _check_errcode(answer, robot):
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, "0", None):
        msg = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage")
        raise ChannelError(f"{robot} robot refused the message: {code} {msg}")


class DingTalkChannel(Channel):
    """DingTalk custom robot: markdown message; with a secret, the URL gets ``timestamp``
    (ms) and ``sign`` = base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>"))."""
    key, title = "dingtalk", "DingTalk group robot"
    needs_recipients = False
    Settings = HttpSettings

    @staticmethod
    def signed_url(url, secret, timestamp_ms):
        to_sign = f"{timestamp_ms}\n{secret}".encode()
        sign = base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest())
        sep = "&" if "?" in url else "?"
        return (f"{url}{sep}timestamp={timestamp_ms}&sign="
                f"{urllib.parse.quote_plus(sign.decode())}")

    def send(self, message, recipients, settings):
        url = settings["url"]
        secret = secret_value(settings.get("secret"))
        if secret:
            url = self.signed_url(url, secret, int(time.time() * 1000))
        body = {"msgtype": "markdown",
                "markdown": {"title": message.get("title", ""), "text": _markdown(message)},
                "at": {"atMobiles": [], "atUserIds": [], "isAtAll": False}}
        _check_errcode(post_json(url, body, settings.get("timeout", 5)), "DingTalk")
        return "DingTalk ok"


class WeComChannel(Channel):
    """WeCom (企业微信) group robot: markdown message to the robot's webhook URL."""
    key, title = "wecom", "WeCom group robot"
    needs_recipients = False
    Settings = HttpSettings

    def send(self, message, recipients, settings):
        body = {"msgtype": "markdown", "markdown": {"content": _markdown(message)}}
        _check_errcode(post_json(settings["url"], body, settings.get("timeout", 5)), "WeCom")
        return "WeCom ok"


class FeishuChannel(Channel):
    """Feishu / Lark custom bot: text message; with a secret, the body carries
    ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key="<timestamp>\\n<secret>", ""))."""
    key, title = "feishu", "Feishu group robot"
    needs_recipients = False
    Settings = HttpSettings

    @staticmethod
    def sign(secret, timestamp):
        key = f"{timestamp}\n{secret}".encode()
        return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()

    def send(self, message, recipients, settings):
        body = {"msg_type": "text", "content": {"text": _text(message)}}
        secret = secret_value(settings.get("secret"))
        if secret:
            ts = str(int(time.time()))
            body.update(timestamp=ts, sign=self.sign(secret, ts))
        _check_errcode(post_json(settings["url"], body, settings.get("timeout", 5)), "Feishu")
        return "Feishu ok"


class FormTaskSettings(Schema):
    form_key = fields.String(required=True, validate=v.Length(min=1, max=100))
    due_in_days = fields.Integer(load_default=0, validate=v.Range(min=0, max=365))


class FormTaskChannel(Channel):
    """Creates a form task due for each recipient (due today + ``due_in_days``, local);
    it shows on their /my/forms page until they send the form (see ``form_tasks``)."""
    key, title = "form_task", "Create a form task"
    Settings = FormTaskSettings

    def send(self, message, recipients, settings):
        from ..org import periods

        # Due relative to the day the rule fired for (a Friday schedule: that Friday).
        base = periods.today()
        if message.get("day"):
            try:
                base = date.fromisoformat(message["day"])
            except ValueError:
                pass
        due = base + timedelta(days=settings.get("due_in_days", 0))
        made = done = 0
        for person in recipients:
            _, created = FormTask.get_or_create(
                person=person, form_key=settings["form_key"], due_date=due,
                defaults={"title": message.get("title", "")[:300],
                          "firing_id": message.get("firing_id")})
            made += created
            # Someone who already sent the form (the weekly report on Wednesday) gets
            # the task closed at once, not a reminder of work done.
            done += form_tasks.close_covered(person.id, settings["form_key"])
        result = f"{made} task(s) due {due.isoformat()}"
        return f"{result}, {done} already done" if done else result


class FlagSettings(Schema):
    key = fields.String(load_default="colour", validate=v.Length(min=1, max=64))
    value = fields.String(required=True, validate=v.Length(min=1, max=200))


class FlagChannel(Channel):
    """Sets a flag or colour on the firing's subject (e.g. valid = no, colour = red)."""
    key, title = "flag", "Set a flag or colour"
    needs_recipients = False
    Settings = FlagSettings

    def send(self, message, recipients, settings):
        subject = message.get("subject") or {}
        if subject.get("id") is None:
            raise ChannelError("the firing has no subject to flag")
        flag, created = SubjectFlag.get_or_create(
            subject_type=subject["type"], subject_id=subject["id"], key=settings["key"],
            defaults={"value": settings["value"], "note": message.get("title", ""),
                      "firing_id": message.get("firing_id")})
        if not created:
            flag.value, flag.note = settings["value"], message.get("title", "")
            flag.firing_id, flag.updated_at = message.get("firing_id"), utcnow()
            flag.save()
        return f"{subject['type']} {subject['id']}: {settings['key']} = {settings['value']}"


def _link_url(value):
    # Links end up as <a href> in inboxes: only web addresses and site paths, never
    # javascript: or data: URLs.
    if not (value.startswith(("http://", "https://")) or
            (value.startswith("/") and not value.startswith("//"))):
        raise ValidationError("a link must start with http://, https:// or /")


class LinkSchema(Schema):
    text = fields.String(required=True, validate=v.Length(min=1, max=200))
    url = fields.String(required=True, validate=_link_url)


class ActionPackSettings(Schema):
    text = fields.String(required=True, validate=v.Length(min=1))
    links = fields.List(fields.Nested(LinkSchema), load_default=list)


class ActionPackChannel(Channel):
    """Attaches a suggested action pack (text and links) in the recipients' inboxes."""
    key, title = "action_pack", "Suggested action pack"
    Settings = ActionPackSettings

    def send(self, message, recipients, settings):
        pack = dict(message, kind="action_pack", body=settings["text"],
                    links=settings.get("links", []))
        return InboxChannel().send(pack, recipients, {})


BUILTIN_CHANNELS = [InboxChannel, EmailChannel, WebhookChannel, DingTalkChannel,
                    WeComChannel, FeishuChannel, FormTaskChannel, FlagChannel,
                    ActionPackChannel]


@hookimpl
def register_channels():
    return BUILTIN_CHANNELS


def available(app=None):
    """Channels of the current app by key (instances), from every plugin."""
    from .. import plugins

    app = app or current_app._get_current_object()
    cache = app.extensions.setdefault("alignboard.channels", {})
    if not cache:
        for cls in plugins.current_for(app).call("register_channels"):
            try:
                key = cls.key
                if not key or key in cache:
                    log.error("channel %r skipped: empty or duplicate key", cls)
                    continue
                cache[key] = cls()
            except Exception:
                log.exception("channel %r could not be created", cls)
    return cache
