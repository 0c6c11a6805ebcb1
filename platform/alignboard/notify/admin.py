"""Admin views: deliveries (with failures and a retry action), notifications, tasks, flags."""
from flask import flash
from flask_admin.actions import action
from flask_babel import gettext as _, lazy_gettext as _l

from ..admin import SecureModelView
from . import delivery
from .models import Delivery, FormTask, Notification, SubjectFlag

CATEGORY = _l("Rules")


class DeliveryView(SecureModelView):
    """Every action the worker sends; failed ones show their reason and next retry."""
    can_create = can_edit = False
    can_view_details = True
    column_list = ["id", "firing_id", "channel", "status", "attempts", "next_attempt_at",
                   "last_error", "result", "updated_at"]
    column_filters = ["status", "channel"]
    column_default_sort = ("id", True)
    column_labels = {"firing_id": _l("Firing"), "channel": _l("Channel"),
                     "status": _l("Status"), "attempts": _l("Attempts"),
                     "next_attempt_at": _l("Next attempt (UTC)"),
                     "last_error": _l("Last error"), "result": _l("Result")}

    @action("retry", _l("Retry now"), _l("Retry the selected failed deliveries now?"))
    def action_retry(self, ids):
        n = delivery.retry_now([int(i) for i in ids])
        flash(_("%(n)d delivery(ies) will be retried by the worker.", n=n), "success")


class NotificationView(SecureModelView):
    can_create = can_edit = False
    column_list = ["person", "kind", "title", "created_at", "read_at"]
    column_filters = ["kind"]
    column_searchable_list = ["title"]
    column_default_sort = ("id", True)


class FormTaskView(SecureModelView):
    column_list = ["person", "form_key", "due_date", "status", "title", "created_at"]
    column_filters = ["status", "form_key", "due_date"]
    form_columns = ["person", "form_key", "due_date", "status", "title"]
    column_default_sort = ("due_date", True)


class SubjectFlagView(SecureModelView):
    can_create = False
    column_list = ["subject_type", "subject_id", "key", "value", "note", "updated_at"]
    column_filters = ["subject_type", "key", "value"]
    form_columns = ["value", "note"]


def register(admin):
    admin.add_view(DeliveryView(Delivery, name=_l("Deliveries"), category=CATEGORY))
    admin.add_view(NotificationView(Notification, name=_l("Notifications"),
                                    category=CATEGORY))
    admin.add_view(FormTaskView(FormTask, name=_l("Form tasks"), category=CATEGORY))
    admin.add_view(SubjectFlagView(SubjectFlag, name=_l("Flags and colours"),
                                   category=CATEGORY))
