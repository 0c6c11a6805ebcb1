"""The one records store: everything ingested from source systems lands here.

Connectors write through ``records.store.upsert``; metrics and rules read records and
subscribe to ``record.created`` / ``record.changed``.
"""


def init_app(app, api, admin):
    from . import api as records_api, admin as records_admin

    api.register_blueprint(records_api.bp)
    records_admin.register(admin)
