"""Flags rules set on a submission show on the submission's own page, not only in the
admin."""
from alignboard.forms.models import Submission
from alignboard.notify import delivery
from alignboard.rules import worker


def _visit_form(accounts, **changes):
    data = {"version": "1", "customer": str(accounts.acme.id), "start_at": "2026-11-20T10:00",
            "end_at": "2026-11-20T10:40", "location.lat": "31.2", "location.lng": "121.4",
            "outcome": "no_change", "action": "submit"}
    data.update(changes)
    return data


def test_seed_rule_flag_on_a_short_visit_shows_on_the_reps_submission_page(
        client, forms, org, login, accounts, app, runner):
    assert runner.invoke(args=["rules", "load-templates"]).exit_code == 0
    login(org.rob)
    short = client.post("/my/forms/visit_log/new",
                        data=_visit_form(accounts, end_at="2026-11-20T10:20"))
    long_ = client.post("/my/forms/visit_log/new", data=_visit_form(accounts))
    assert short.status_code == long_.status_code == 302
    with app.app_context():
        worker.process_events()
        delivery.deliver_due()
        assert Submission.select().count() == 2
    page = client.get(short.headers["Location"]).get_data(as_text=True)
    assert 'id="submission-flags"' in page and "valid: no" in page
    # The rule did not fire on the long visit: its page shows no flag.
    page = client.get(long_.headers["Location"]).get_data(as_text=True)
    assert 'id="submission-flags"' not in page


def test_flags_api_answers_within_the_callers_scope(client, forms, org, login, accounts, app,
                                                    runner, auth):
    assert runner.invoke(args=["rules", "load-templates"]).exit_code == 0
    login(org.rob)
    client.post("/my/forms/visit_log/new", data=_visit_form(accounts, end_at="2026-11-20T10:20"))
    with app.app_context():
        worker.process_events()
        delivery.deliver_due()
        sid = Submission.get().id
    api = app.test_client()  # no browser session: each call speaks for its token's person
    url = f"/api/v1/flags/?subject_type=submission&subject_id={sid}"
    for person in (org.rob, org.mia):  # the rep and their manager
        r = api.get(url, headers=auth(person))
        assert r.status_code == 200, person.login
        assert [(f["key"], f["value"]) for f in r.get_json()] == [("valid", "no")]
    r = api.get(url, headers=auth(org.ray))  # another rep: as if it did not exist
    assert r.status_code == 404 and "outside your scope" in r.get_json()["message"]
    r = api.get(f"/api/v1/flags/?subject_type=person&subject_id={org.rob.id}",
                headers=auth(org.rob))
    assert r.status_code == 200 and r.get_json() == []
    r = api.get("/api/v1/flags/?subject_type=planet&subject_id=1", headers=auth(org.rob))
    assert r.status_code == 422
