"""Check-ins arriving through the three-field form (goal, progress, blocker)."""
from alignboard import events
from alignboard.goals import health
from alignboard.goals.models import CheckIn, KeyResult, Objective
from alignboard.org.models import Period


def _kr(app, org, title="Visits reach 10"):
    with app.app_context():
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))
        o = Objective.create(title="Visits", period=q1, owner=org.rob)
        return KeyResult.create(objective=o, title=title, target_value=10,
                                weight=100, owner=org.rob).id


def _submit(person, data, form_key="kr_checkin"):
    events.publish("form.submitted", submission_id=1, form_key=form_key, version=1,
                   person_id=person.id, period_id=None, data=data,
                   submitted_at="2017-02-14T09:00:00")


def test_a_three_field_submission_becomes_a_check_in_at_its_percent_of_target(app,
                                                                              crm_people):
    kr_id = _kr(app, crm_people)
    with app.app_context():
        _submit(crm_people.rob, {"goal": str(kr_id), "progress": 40, "blocker": "no car"})
        check_in = CheckIn.get(CheckIn.key_result == kr_id)
        assert (check_in.progress, check_in.blocker) == (4, "no car")


def test_the_goal_may_name_the_key_result_by_its_title(app, crm_people):
    kr_id = _kr(app, crm_people)
    with app.app_context():
        _submit(crm_people.rob, {"goal": "  visits REACH 10 ", "progress": 50})
        assert CheckIn.get(CheckIn.key_result == kr_id).progress == 5


def test_check_ins_on_someone_elses_key_result_or_other_forms_are_ignored(app, crm_people):
    kr_id = _kr(app, crm_people)
    with app.app_context():
        _submit(crm_people.rae, {"goal": kr_id, "progress": 90})
        _submit(crm_people.rae, {"goal": "Visits reach 10", "progress": 90})
        _submit(crm_people.rob, {"goal": kr_id, "progress": 90}, form_key="visit_log")
        _submit(crm_people.rob, {"goal": kr_id, "progress": "lots"})
        _submit(crm_people.rob, {"goal": "more visits", "progress": 90})
        assert CheckIn.select().count() == 0


def test_submitting_the_shipped_check_in_form_moves_the_key_results_progress(
        app, client, runner, crm_people, auth):
    org = crm_people
    assert runner.invoke(args=["forms", "load-templates"]).exit_code == 0
    kr_id = _kr(app, org, title="Customer visits reach 10")
    r = client.post("/api/v1/forms/kr_checkin/submissions/",
                    json={"data": {"goal": "Customer visits reach 10", "progress": 30,
                                   "blocker": "waiting for samples"}},
                    headers=auth(org.rob))
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        check_in = CheckIn.get(CheckIn.key_result == kr_id)
        assert (check_in.progress, check_in.blocker) == (3, "waiting for samples")
        kr = KeyResult.get_by_id(kr_id)
        card = health.key_result_card(kr, kr.objective)
        assert card["source"] == "check-in" and card["progress"] == 0.3
