"""Flags and colours rules set (``SubjectFlag``), shown where people look at the subject.

``register`` adds ``for_submission`` to the forms area's ``SUBMISSION_FLAGS`` hook, so that
a rep sees "valid: no" on the visit the rule flagged; forms never imports notify (data
flows forms -> rules -> notify). ``GET /api/v1/flags`` reads them for one subject the
caller may see (``can_see_subject``).
"""
from .models import SubjectFlag

SUBJECT_TYPES = ("submission", "record", "person", "unit")


def flags_of(subject_type, subject_id):
    """The flags on one subject, by key, as dicts with ``key``, ``value``, ``note`` and
    ``updated_at``."""
    q = (SubjectFlag.select().where((SubjectFlag.subject_type == subject_type) &
                                    (SubjectFlag.subject_id == subject_id))
         .order_by(SubjectFlag.key))
    return [{"key": f.key, "value": f.value, "note": f.note, "updated_at": f.updated_at}
            for f in q]


def for_submission(submission):
    """The flags on a submission, for its page."""
    return flags_of("submission", submission.id)


def can_see_subject(viewer, subject_type, subject_id):
    """Whether ``viewer`` may see the subject, by the same scopes as the subject's own
    pages and endpoints (a rep: their own; a manager: their subtree; hr/exec: all)."""
    from ..forms.exports import visible_submissions
    from ..forms.models import Submission
    from ..org import scopes
    from ..org.models import Unit
    from ..records.api import visible_records
    from ..records.models import Record

    if subject_type == "submission":
        return visible_submissions(viewer).where(Submission.id == subject_id).exists()
    if subject_type == "record":
        return visible_records(viewer).where(Record.id == subject_id).exists()
    if subject_type == "person":
        return scopes.can_see_person(viewer, subject_id)
    if subject_type == "unit":
        return scopes.visible_units(viewer).where(Unit.id == subject_id).exists()
    return False


def register():
    """Show flags on the submission pages (safe to call twice)."""
    from ..forms import views as forms_views

    forms_views.add_submission_flags(for_submission)
