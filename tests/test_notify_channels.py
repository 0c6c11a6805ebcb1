"""Channels through the register_channels hook: SMTP, webhooks and robots against real
local servers; retries with backoff; internal actions (inbox, task, flag, action pack)."""
import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import timedelta

import pytest

from alignboard import plugins
from alignboard.db import utcnow
from alignboard.notify import channels, delivery
from alignboard.notify.models import Delivery, FormTask, Notification, SubjectFlag

MESSAGE = {"title": "Behind plan", "body": "Act now", "rule": "r1", "firing_id": 7,
           "links": [{"text": "Pack", "url": "http://x.test/p"}],
           "subject": {"type": "unit", "id": 3, "key": "unit:3"}}


def test_builtin_channels_come_through_the_register_channels_hook(app):
    with app.app_context():
        keys = {c.key for c in plugins.current().call("register_channels")}
        assert {"inbox", "email", "webhook", "dingtalk", "wecom", "feishu", "form_task",
                "flag", "action_pack"} <= keys
        assert set(channels.available()) >= keys


def test_email_is_delivered_over_smtp(app, org, smtp_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
                      SMTP_FROM="rules@example.test")
    with app.app_context():
        result = channels.EmailChannel().send(MESSAGE, [org.mia, org.max], {})
    assert result == "mailed 2"
    env = smtp_server.messages[0]
    assert sorted(env.rcpt_tos) == ["max@example.test", "mia@example.test"]
    assert b"Subject: Behind plan" in env.content and b"Act now" in env.content


def test_webhook_is_signed_with_hmac_of_timestamp_and_body(app, org, http_server):
    with app.app_context():
        channels.WebhookChannel().send(MESSAGE, [org.mia], {"url": http_server.url + "/hook",
                                                             "secret": "s3cret", "timeout": 5})
    got = http_server.received[0]
    ts = got["headers"]["X-Alignboard-Timestamp"]
    expected = hmac.new(b"s3cret", f"{ts}.".encode() + got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-Alignboard-Signature"] == "sha256=" + expected
    assert json.loads(got["body"])["recipients"] == ["mia"]


def test_dingtalk_robot_gets_markdown_and_a_valid_signature(app, http_server):
    with app.app_context():
        channels.DingTalkChannel().send(MESSAGE, [], {"url": http_server.url +
                                                      "/robot/send?access_token=t",
                                                      "secret": "SECabc", "timeout": 5})
    got = http_server.received[0]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(got["path"]).query)
    ts = query["timestamp"][0]
    sign = base64.b64encode(hmac.new(b"SECabc", f"{ts}\nSECabc".encode(),
                                     hashlib.sha256).digest()).decode()
    assert query["sign"][0] == sign and query["access_token"] == ["t"]
    body = json.loads(got["body"])
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "Behind plan"
    assert "[Pack](http://x.test/p)" in body["markdown"]["text"]


def test_feishu_robot_gets_text_with_timestamp_and_sign(app, http_server):
    with app.app_context():
        channels.FeishuChannel().send(MESSAGE, [], {"url": http_server.url + "/hook/x",
                                                    "secret": "fs", "timeout": 5})
    body = json.loads(http_server.received[0]["body"])
    key = f"{body['timestamp']}\nfs".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and body["content"]["text"].startswith("Behind plan")


def test_wecom_robot_gets_markdown_and_its_refusal_is_an_error(app, http_server):
    http_server.answers.append((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    with app.app_context():
        with pytest.raises(channels.ChannelError, match="93000"):
            channels.WeComChannel().send(MESSAGE, [], {"url": http_server.url, "timeout": 5})
    assert json.loads(http_server.received[0]["body"])["msgtype"] == "markdown"


def test_failed_delivery_is_retried_with_backoff_then_given_up(app, org, http_server):
    app.config["NOTIFY_RETRY_DELAYS"] = [60, 600]
    http_server.answers += [(500, {}), (500, {}), (500, {})]
    with app.app_context():
        d = delivery.enqueue("webhook", {"url": http_server.url, "timeout": 5}, MESSAGE,
                             [org.mia.id])
        t0 = utcnow()
        assert delivery.deliver_due(t0) == {"failed": 1}
        d = Delivery.get_by_id(d.id)
        assert d.next_attempt_at == t0 + timedelta(seconds=60) and "HTTP 500" in d.last_error
        assert delivery.deliver_due(t0 + timedelta(seconds=30)) == {}  # not due yet
        assert delivery.deliver_due(t0 + timedelta(seconds=61)) == {"failed": 1}
        assert delivery.deliver_due(t0 + timedelta(seconds=700)) == {"dead": 1}
        assert Delivery.get_by_id(d.id).attempts == 3
        assert delivery.retry_now([d.id]) == 1
        assert delivery.deliver_due(utcnow() + timedelta(seconds=1)) == {"sent": 1}


def test_unreachable_endpoint_times_out_into_a_failed_delivery(app, org):
    with app.app_context():
        d = delivery.enqueue("dingtalk", {"url": "http://127.0.0.1:9/x", "timeout": 0.5},
                             MESSAGE, [])
        delivery.deliver_due()
        d = Delivery.get_by_id(d.id)
        assert d.status == "failed" and "could not be reached" in d.last_error


def test_internal_actions_write_inbox_tasks_flags_and_packs(app, org):
    with app.app_context():
        channels.InboxChannel().send(MESSAGE, [org.rob], {})
        channels.FormTaskChannel().send(MESSAGE, [org.rob], {"form_key": "weekly_report",
                                                              "due_in_days": 0})
        channels.FormTaskChannel().send(MESSAGE, [org.rob], {"form_key": "weekly_report",
                                                              "due_in_days": 0})
        channels.FlagChannel().send(MESSAGE, [], {"key": "colour", "value": "red"})
        channels.ActionPackChannel().send(MESSAGE, [org.mia], {"text": "Do X", "links": [
            {"text": "Guide", "url": "/g"}]})
        assert Notification.get(Notification.person == org.rob.id).title == "Behind plan"
        assert FormTask.select().where(FormTask.person == org.rob.id).count() == 1
        flag = SubjectFlag.get()
        assert (flag.subject_type, flag.subject_id, flag.value) == ("unit", 3, "red")
        pack = Notification.get(Notification.person == org.mia.id)
        assert pack.kind == "action_pack" and pack.links == [{"text": "Guide", "url": "/g"}]


def test_slow_endpoint_times_out_into_a_failed_delivery(app, org, http_server):
    with app.app_context():
        d = delivery.enqueue("webhook", {"url": http_server.url + "/slow", "timeout": 0.2},
                             MESSAGE, [])
        delivery.deliver_due()
        d = Delivery.get_by_id(d.id)
        assert d.status == "failed" and "timed out" in d.last_error


def test_a_plugin_channel_that_raises_fails_its_delivery_not_the_worker(app, org):
    from types import ModuleType

    from alignboard import hookimpl

    class Pager(channels.Channel):
        key, title, needs_recipients = "pager", "Pager", False

        def send(self, message, recipients, settings):
            raise ValueError("pager plugin bug")

    plugin = ModuleType("pager_plugin")
    plugin.register_channels = hookimpl(lambda: [Pager])
    with app.app_context():
        plugins.current().pm.register(plugin, name="pager_plugin")
        app.extensions.pop("alignboard.channels", None)
        assert "pager" in channels.available()
        bad = delivery.enqueue("pager", {}, MESSAGE, [])
        good = delivery.enqueue("inbox", {}, MESSAGE, [org.rob.id])
        assert delivery.deliver_due() == {"failed": 1, "sent": 1}
        assert "pager plugin bug" in Delivery.get_by_id(bad.id).last_error
        assert Delivery.get_by_id(good.id).status == "sent"


def test_action_pack_links_must_be_web_addresses(app):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        channels.ActionPackSettings().load({"text": "x", "links": [
            {"text": "bad", "url": "javascript:alert(1)"}]})
