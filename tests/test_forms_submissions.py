"""Who may fill a form, how often, until when a sent one may change."""
from datetime import timedelta

import pytest

from alignboard.forms import store
from alignboard.forms.models import Submission
from alignboard.forms.submissions import SubmissionError, may_fill, save

SIMPLE = {"key": "note", "title": "Note",
          "fields": [{"key": "text", "type": "text", "label": "Text", "required": True}]}


def _form(app, **top):
    with app.app_context():
        form, _, _ = store.save_definition(dict(SIMPLE, **top))
    return form


def test_access_by_role_and_unit_subtree(app, org):
    form = _form(app, access={"roles": ["rep"], "units": ["north"]})
    with app.app_context():
        d = form.definition
        assert may_fill(d, org.rob) and may_fill(d, org.rae)
        assert not may_fill(d, org.ray)      # a rep, but in the south
        assert not may_fill(d, org.mia)      # in the north, but a manager
        with pytest.raises(SubmissionError) as info:
            save(form, org.ray, {"text": "x"})
        assert info.value.status == 403


def test_edit_allowed_within_the_hours_after_sending(app, org):
    form = _form(app, edit={"allowed": True, "hours": 2})
    with app.app_context():
        s = save(form, org.rob, {"text": "first"})
        save(form, org.rob, {"text": "second"}, submission=s)
        Submission.update(submitted_at=s.submitted_at - timedelta(hours=3)).where(
            Submission.id == s.id).execute()
        s = Submission.get_by_id(s.id)
        with pytest.raises(SubmissionError) as info:
            save(form, org.rob, {"text": "third"}, submission=s)
        assert info.value.status == 403
        assert Submission.get_by_id(s.id).data == {"text": "second"}


def test_edit_until_the_period_ends_when_no_hours_are_set(app, org):
    form = _form(app, edit={"allowed": True}, frequency={"kind": "free", "period": "week"})
    with app.app_context():
        s = save(form, org.rob, {"text": "now"})
        save(form, org.rob, {"text": "still this week"}, submission=s)
        Submission.update(submitted_at=s.submitted_at - timedelta(days=8)).where(
            Submission.id == s.id).execute()
        from alignboard.org.models import Period
        old_week = Period.get((Period.kind == "week")
                              & (Period.start <= s.period.start - timedelta(days=7))
                              & (Period.end >= s.period.start - timedelta(days=7)))
        Submission.update(period=old_week).where(Submission.id == s.id).execute()
        with pytest.raises(SubmissionError):
            save(form, org.rob, {"text": "too late"}, submission=Submission.get_by_id(s.id))


def test_someone_else_cannot_edit_my_submission(app, org):
    form = _form(app, edit={"allowed": True})
    with app.app_context():
        s = save(form, org.rob, {"text": "mine"})
        with pytest.raises(SubmissionError):
            save(form, org.rae, {"text": "hers"}, submission=s)
        with pytest.raises(SubmissionError) as info:
            save(form, org.rob, {"text": "for rae"}, actor=org.rae)
        assert info.value.status == 403


def test_old_version_submissions_keep_displaying_and_exporting(app, org):
    from alignboard.forms import exports

    form = _form(app)
    with app.app_context():
        save(form, org.rob, {"text": "v1 answer"})
        store.save_definition(dict(SIMPLE, fields=[
            {"key": "rating", "type": "rating", "label": "Rating", "required": True}]))
        from alignboard.forms.models import Form
        form = Form.get_by_id(form.id)
        save(form, org.rob, {"rating": 4})
        header, rows = exports.table(org.hr, form)
    assert header[-2:] == ["rating", "text"]
    assert [r[5] for r in rows] == [1, 2]
    assert rows[0][-1] == "v1 answer" and rows[1][-2] == 4


def test_the_database_keeps_one_per_period_even_if_the_check_is_raced(app, org, monkeypatch):
    from alignboard.forms import submissions

    form = _form(app, frequency={"kind": "once_per_period", "period": "week"})
    with app.app_context():
        save(form, org.rob, {"text": "first"})
        # Pretend a concurrent request passed the check before the first one committed.
        monkeypatch.setattr(submissions, "existing_for_period",
                            lambda *a, **k: Submission.select().where(Submission.id < 0))
        with pytest.raises(SubmissionError) as info:
            save(form, org.rob, {"text": "second"})
        assert info.value.status == 409
        assert Submission.select().count() == 1
