"""The per-connection webhook URL: HMAC signature, replay protection, rows via the mapping."""
import json
import time
from datetime import timedelta

from alignboard.connectors import base, secrets, service
from alignboard.connectors.models import Connection, SyncRun, WebhookDelivery
from alignboard.db import utcnow
from alignboard.records.models import Record

MAPPING = {"external_id": "id", "type": "visit",
           "fields": [{"source": "minutes", "target": "minutes", "convert": "number"}],
           "owner": {"source": "rep", "match": "email"}}


def setup(app):
    with app.app_context():
        c = service.create("hook", "webhook", {"records_path": "items"}, MAPPING)
        secret = secrets.decrypt_text(c.webhook_secret)
        return c.id, secret


def post(client, cid, body, secret, timestamp=None, delivery="d-1", signature=None):
    raw = json.dumps(body).encode()
    ts = str(int(timestamp if timestamp is not None else time.time()))
    sig = signature or "sha256=" + base.sign(secret, ts, raw)
    return client.post(f"/api/v1/hooks/{cid}", data=raw, content_type="application/json",
                       headers={"X-Alignboard-Timestamp": ts, "X-Alignboard-Signature": sig,
                                "X-Alignboard-Delivery": delivery})


def test_signed_delivery_is_stored_through_the_mapping(app, client, org, shipped):
    cid, secret = setup(app)
    r = post(client, cid, {"items": [{"id": "v1", "minutes": "45", "rep": "rob@example.test"}]},
             secret)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["created"] == 1
    with app.app_context():
        rec = Record.get()
        assert (rec.type, rec.owner_id, rec.fields) == ("visit", org.rob.id, {"minutes": 45.0})
        assert SyncRun.get().trigger == "webhook"


def test_forged_signature_is_refused_and_stores_nothing(app, client, org, shipped):
    cid, secret = setup(app)
    r = post(client, cid, {"items": [{"id": "v1"}]}, secret, signature="sha256=" + "0" * 64)
    assert r.status_code == 401
    assert "signature does not match" in r.get_json()["message"]
    r = post(client, cid, {"items": [{"id": "v1"}]}, "a guessed secret")
    assert r.status_code == 401
    with app.app_context():
        assert Record.select().count() == 0 and SyncRun.select().count() == 0


def test_replayed_delivery_is_refused(app, client, org, shipped):
    cid, secret = setup(app)
    body = {"items": [{"id": "v1", "minutes": "1"}]}
    assert post(client, cid, body, secret).status_code == 200
    again = post(client, cid, body, secret)
    assert again.status_code == 409 and "replay refused" in again.get_json()["message"]


def test_captured_delivery_resent_under_a_new_delivery_id_is_refused(app, client, org,
                                                                      shipped):
    """The delivery header is not signed: the repeated signature marks the replay."""
    cid, secret = setup(app)
    ts = str(int(time.time()))
    old = {"items": [{"id": "v1", "minutes": "10"}]}
    assert post(client, cid, old, secret, timestamp=ts, delivery="d-old").status_code == 200
    new = {"items": [{"id": "v1", "minutes": "20"}]}
    assert post(client, cid, new, secret, delivery="d-new").status_code == 200
    again = post(client, cid, old, secret, timestamp=ts, delivery="d-forged")
    assert again.status_code == 409 and "replay refused" in again.get_json()["message"]
    with app.app_context():
        assert Record.get().fields == {"minutes": 20.0}


def test_delivery_keys_older_than_the_signature_window_are_pruned(app, client, org, shipped):
    cid, secret = setup(app)
    assert post(client, cid, {"items": [{"id": "v1"}]}, secret, delivery="d-1").status_code == 200
    with app.app_context():
        WebhookDelivery.update(received_at=utcnow() - timedelta(hours=1)).execute()
    assert post(client, cid, {"items": [{"id": "v2"}]}, secret, delivery="d-2").status_code == 200
    with app.app_context():
        kept = {d.delivery_id for d in WebhookDelivery.select()}
    assert "d-1" not in kept and "d-2" in kept


def test_stale_timestamp_is_refused_even_with_a_valid_signature(app, client, org, shipped):
    cid, secret = setup(app)
    r = post(client, cid, {"items": []}, secret, timestamp=time.time() - 3600)
    assert r.status_code == 401 and "stale or replayed" in r.get_json()["message"]


def test_unreadable_body_answers_422(app, client, org, shipped):
    cid, secret = setup(app)
    r = post(client, cid, {"other": 1}, secret)
    assert r.status_code == 422 and "no 'items'" in r.get_json()["message"]


def test_webhook_needs_no_csrf_token_even_with_csrf_on(app, client, org, shipped):
    app.config["WTF_CSRF_ENABLED"] = True
    cid, secret = setup(app)
    assert post(client, cid, {"items": []}, secret).status_code == 200


def test_unknown_connection_answers_404(client, org, shipped):
    assert client.post("/api/v1/hooks/999", data=b"{}").status_code == 404


def test_new_secret_replaces_the_old_one(app, client, org, shipped):
    cid, secret = setup(app)
    with app.app_context():
        fresh = service.new_webhook_secret(Connection.get_by_id(cid))
    assert post(client, cid, {"items": []}, secret).status_code == 401
    assert post(client, cid, {"items": []}, fresh, delivery="d-2").status_code == 200


def test_push_connection_created_by_api_returns_its_secret_once(app, client, org, auth,
                                                               shipped):
    h = auth(org.admin)
    r = client.post("/api/v1/connections/", headers=h, json={
        "name": "pushed", "connector": "webhook", "settings": {},
        "mapping": {"external_id": "id", "type": "visit"}})
    body = r.get_json()
    assert r.status_code == 201 and body["webhook_url"].endswith(f"/api/v1/hooks/{body['id']}")
    secret = body["webhook_secret"]
    assert "webhook_secret" not in client.get(f"/api/v1/connections/{body['id']}",
                                              headers=h).get_json()
    assert post(client, body["id"], [{"id": "v9"}], secret).status_code == 200


def test_push_connection_created_in_the_admin_shows_its_secret_once(app, client, org, login,
                                                                   shipped):
    login(org.admin)
    r = client.post("/admin/connections/new/webhook", data={"name": "pushed"},
                    follow_redirects=True)
    with app.app_context():
        c = Connection.get(Connection.name == "pushed")
        secret = secrets.decrypt_text(c.webhook_secret)
    assert secret in r.get_data(as_text=True)
    assert secret not in client.get(f"/admin/connections/{c.id}/edit").get_data(as_text=True)
