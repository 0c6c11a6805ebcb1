"""The in-app inbox: API and portal page, own notifications only, unread count, mark read."""
from alignboard.notify.models import Notification


def notify(app, person, title):
    with app.app_context():
        return Notification.create(person=person, title=title, body="b").id


def test_inbox_api_lists_only_my_notifications_with_the_unread_count(client, app, org, auth):
    notify(app, org.rob, "one")
    notify(app, org.rob, "two")
    theirs = notify(app, org.rae, "not yours")
    r = client.get("/api/v1/inbox/", headers=auth(org.rob))
    assert [n["title"] for n in r.get_json()] == ["two", "one"]
    assert r.headers["X-Unread-Count"] == "2"
    assert client.post(f"/api/v1/inbox/{theirs}/read", headers=auth(org.rob)).status_code == 404
    first = r.get_json()[1]["id"]
    read = client.post(f"/api/v1/inbox/{first}/read", headers=auth(org.rob)).get_json()
    assert read["read"] is True
    assert client.get("/api/v1/inbox/unread-count", headers=auth(org.rob)).get_json() == {
        "unread": 1}
    assert [n["title"] for n in client.get("/api/v1/inbox/?unread=true",
                                           headers=auth(org.rob)).get_json()] == ["two"]
    assert client.post("/api/v1/inbox/read-all", headers=auth(org.rob)).get_json()["marked"] == 1
    assert client.get("/api/v1/inbox/unread-count", headers=auth(org.rae)).get_json() == {
        "unread": 1}


def test_inbox_page_shows_unread_and_marks_read(client, app, org, login):
    nid = notify(app, org.rob, "Meeting reminder")
    login(org.rob)
    home = client.get("/").get_data(as_text=True)
    assert 'id="inbox-unread">1<' in home
    page = client.get("/inbox").get_data(as_text=True)
    assert "Meeting reminder" in page and 'id="unread-count">1<' in page
    assert client.post(f"/inbox/{nid}/read").status_code == 302
    assert 'id="unread-count">0<' in client.get("/inbox").get_data(as_text=True)
