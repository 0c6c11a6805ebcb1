"""Metrics over form submissions (the forms area's contract): alignboard.forms.models
provides Form, FormVersion and Submission."""
from datetime import date, datetime

import pytest

from alignboard import events
from alignboard.forms import models as forms_models
from alignboard.metrics import definitions
from alignboard.metrics.models import MetricValue
from alignboard.metrics.rebuild import rebuild
from alignboard.org.models import Period

DEFINITION = {"fields": [{"key": "minutes", "type": "number"},
                         {"key": "location", "type": "text"}]}


@pytest.fixture
def visit_form(app, crm_people):
    with app.app_context():
        form = forms_models.Form.create(key="visit_log", title="Visit log")
        version = forms_models.FormVersion.create(form=form, version=1, definition=DEFINITION)
        return form.id, version.id


def _submit(person, data, when, form_ids, status="submitted", submission=None):
    form_id, version_id = form_ids
    if submission is None:
        submission = forms_models.Submission.create(
            form=form_id, form_version=version_id, person=person, status=status, data=data,
            submitted_at=when if status == "submitted" else None,
            created_at=when, updated_at=when)
        edited = False
    else:
        submission.data, submission.submitted_at, submission.updated_at = data, when, when
        submission.save()
        edited = True
    if status == "submitted":
        payload = dict(submission_id=submission.id, form_key="visit_log", version=1,
                       person_id=person.id, period_id=None, data=data,
                       submitted_at=when.isoformat())
        if edited:
            payload["edited"] = True
        events.publish("form.submitted", **payload)
    return submission


def _valid_visits():
    return definitions.save(dict(
        key="valid_visits", name="Valid visits", kind="aggregate", source="form",
        form_key="visit_log", aggregation="count", period_kinds="week", by_person=True,
        by_unit=True), filters=[{"field": "minutes", "op": "ge", "value": "30"},
                                {"field": "location", "op": "not_empty"}])


def _value(metric, person, day):
    week = Period.get((Period.kind == "week") & (Period.start <= day) & (Period.end >= day))
    row = MetricValue.get_or_none((MetricValue.metric == metric)
                                  & (MetricValue.subject_type == "person")
                                  & (MetricValue.subject_id == person.id)
                                  & (MetricValue.period == week))
    return row.value if row else None


def test_valid_visits_count_as_they_are_submitted(app, visit_form, crm_people):
    rob = crm_people.rob
    with app.app_context():
        metric = _valid_visits()
        day = datetime(2017, 2, 14, 9)
        _submit(rob, {"minutes": 45, "location": "Shanghai"}, day, visit_form)
        _submit(rob, {"minutes": 10, "location": "Shanghai"}, day, visit_form)
        _submit(rob, {"minutes": 50, "location": ""}, day, visit_form)
        _submit(rob, {"minutes": 90, "location": "Suzhou"}, day, visit_form, status="draft")
        assert _value(metric, rob, date(2017, 2, 14)) == 1
        _submit(rob, {"minutes": 30, "location": "Hangzhou"}, day, visit_form)
        assert _value(metric, rob, date(2017, 2, 14)) == 2


def test_an_edited_submission_moves_out_of_its_old_week(app, visit_form, crm_people):
    rob = crm_people.rob
    with app.app_context():
        metric = _valid_visits()
        s = _submit(rob, {"minutes": 45, "location": "A"}, datetime(2017, 2, 14), visit_form)
        assert _value(metric, rob, date(2017, 2, 14)) == 1
        _submit(rob, {"minutes": 45, "location": "A"}, datetime(2017, 2, 21), visit_form,
                submission=s)
        assert _value(metric, rob, date(2017, 2, 14)) is None
        assert _value(metric, rob, date(2017, 2, 21)) == 1


def test_form_metrics_rebuild_to_the_same_values(app, visit_form, crm_people):
    with app.app_context():
        _valid_visits()
        for i, person in enumerate((crm_people.rob, crm_people.rae, crm_people.ray)):
            for d in range(1, 20, 3):
                _submit(person, {"minutes": 20 + 5 * d, "location": "X"},
                        datetime(2017, 3, d, 10), visit_form)
        before = {(v.subject_type, v.subject_id, v.period_id): (v.value, v.n)
                  for v in MetricValue.select()}
        assert rebuild()["changed"] == 0
        after = {(v.subject_type, v.subject_id, v.period_id): (v.value, v.n)
                 for v in MetricValue.select()}
        assert after == before and before


def test_a_first_submission_starts_everyones_zeros_on_both_paths(app, visit_form, crm_people):
    # The form's first submission is where its count's data begins: from its week on, every
    # active person shows 0, the incremental path as the rebuild.
    org = crm_people
    with app.app_context():
        metric = _valid_visits()
        _submit(org.rob, {"minutes": 45, "location": "Shanghai"}, datetime(2017, 2, 14, 9),
                visit_form)
        assert _value(metric, org.rae, date(2017, 2, 14)) == 0
        assert _value(metric, org.rae, date(2017, 2, 7)) is None
        before = {(v.subject_type, v.subject_id, v.period_id, v.value, v.colour)
                  for v in MetricValue.select().where(MetricValue.metric == metric)}
        assert rebuild()["changed"] == 0
        assert {(v.subject_type, v.subject_id, v.period_id, v.value, v.colour)
                for v in MetricValue.select().where(MetricValue.metric == metric)} == before
