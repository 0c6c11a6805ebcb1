"""Check-ins arriving through the three-field form (goal, progress, blocker)."""
from alignboard import events
from alignboard.goals.models import CheckIn, KeyResult, Objective
from alignboard.org.models import Period


def _kr(app, org):
    with app.app_context():
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))
        o = Objective.create(title="Visits", period=q1, owner=org.rob)
        return KeyResult.create(objective=o, title="Visits reach 10", target_value=10,
                                weight=100, owner=org.rob).id


def _submit(person, data, form_key="kr_check_in"):
    events.publish("form.submitted", submission_id=1, form_key=form_key, version=1,
                   person_id=person.id, period_id=None, data=data,
                   submitted_at="2017-02-14T09:00:00")


def test_a_three_field_submission_becomes_a_check_in(app, crm_people):
    kr_id = _kr(app, crm_people)
    with app.app_context():
        _submit(crm_people.rob, {"goal": kr_id, "progress": 4, "blocker": "no car"})
        check_in = CheckIn.get(CheckIn.key_result == kr_id)
        assert (check_in.progress, check_in.blocker) == (4, "no car")


def test_check_ins_on_someone_elses_key_result_or_other_forms_are_ignored(app, crm_people):
    kr_id = _kr(app, crm_people)
    with app.app_context():
        _submit(crm_people.rae, {"goal": kr_id, "progress": 9})
        _submit(crm_people.rob, {"goal": kr_id, "progress": 9}, form_key="visit_log")
        _submit(crm_people.rob, {"goal": kr_id, "progress": "lots"})
        assert CheckIn.select().count() == 0
