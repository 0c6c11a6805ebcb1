"""Flags and colours rules set (``SubjectFlag``), shown where people look at the subject.

``register`` adds ``for_submission`` to the forms area's ``SUBMISSION_FLAGS`` hook, so that
a rep sees "valid: no" on the visit the rule flagged; forms never imports notify (data
flows forms -> rules -> notify).
"""
from .models import SubjectFlag


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


def register():
    """Show flags on the submission pages (safe to call twice)."""
    from ..forms import views as forms_views

    forms_views.add_submission_flags(for_submission)
