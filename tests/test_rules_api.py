"""/api/v1/rule-firings: the firing log, scoped like everything else."""
from alignboard import events
from alignboard.notify import delivery
from alignboard.rules import worker

EVERY_SUBMISSION = {"key": "thanks", "name": "Thanks",
                    "trigger": {"type": "event", "event": "form.submitted"},
                    "actions": [{"channel": "inbox", "to": ["subject", "manager"],
                                 "title": "Thanks {subject_name}"}]}


def fire_for(app, *people):
    with app.app_context():
        for i, p in enumerate(people, 1):
            events.publish("form.submitted", submission_id=i, form_key="visit_log", version=1,
                           person_id=p.id, period_id=None, data={"duration_minutes": 5},
                           submitted_at="2017-03-01T10:00:00")
        worker.process_events()
        delivery.deliver_due()


def test_rep_sees_only_firings_about_themselves(client, app, org, auth, make_rule):
    make_rule(EVERY_SUBMISSION)
    fire_for(app, org.rob, org.rae, org.ray)
    mine = client.get("/api/v1/rule-firings/", headers=auth(org.rob)).get_json()
    assert [f["subject"] for f in mine] == ["rob"]
    assert mine[0]["rule"] == "thanks" and mine[0]["recipients"] == ["rob", "mia"]
    assert mine[0]["outcomes"][0]["status"] == "sent"
    assert mine[0]["facts"]["kind"] == "event"
    others = client.get("/api/v1/rule-firings/", headers=auth(org.rae)).get_json()[0]["id"]
    assert client.get(f"/api/v1/rule-firings/{others}",
                      headers=auth(org.rob)).status_code == 404


def test_manager_sees_their_subtree_and_hr_everything(client, app, org, auth, make_rule):
    make_rule(EVERY_SUBMISSION)
    fire_for(app, org.rob, org.rae, org.ray)
    mia = client.get("/api/v1/rule-firings/", headers=auth(org.mia)).get_json()
    assert sorted(f["subject"] for f in mia) == ["rae", "rob"]
    hr = client.get("/api/v1/rule-firings/?rule=thanks&subject=ray",
                    headers=auth(org.hr)).get_json()
    assert [f["subject"] for f in hr] == ["ray"]
    assert client.get("/api/v1/rule-firings/").status_code == 401
