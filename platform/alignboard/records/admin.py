from flask_babel import lazy_gettext as _l

from ..admin import SecureModelView
from .models import Record


class RecordView(SecureModelView):
    """Records are written by connectors; the admin reads and searches them."""
    can_create = can_edit = can_delete = False
    can_view_details = True
    column_list = ["type", "external_id", "owner", "owner_ref", "occurred_at", "version",
                   "updated_at"]
    column_searchable_list = ["external_id", "owner_ref"]
    column_filters = ["type", "connection_id", "occurred_at"]
    column_default_sort = ("occurred_at", True)
    column_labels = {"type": _l("Type"), "external_id": _l("External id"),
                     "owner": _l("Owner"), "owner_ref": _l("Owner in source"),
                     "occurred_at": _l("Occurred at"), "version": _l("Version"),
                     "updated_at": _l("Updated")}


def register(admin):
    admin.add_view(RecordView(Record, name=_l("Records"), category=_l("Data")))
