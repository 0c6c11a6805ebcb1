"""Connectors: connections to source systems, field mapping, incremental sync, webhooks.

Connector plugins provide ``Connector`` classes (``connectors.base``) through the
``register_connectors`` hook; an admin turns one into a ``Connection`` with settings, a
field mapping and a schedule. Sync runs write through ``records.store.upsert`` only.
"""


def init_app(app, api, admin):
    from . import admin as connectors_admin, api as connectors_api, cli, jobs, webhooks  # noqa: F401 (jobs registers tasks)

    app.register_blueprint(webhooks.bp)
    api.register_blueprint(connectors_api.bp)
    connectors_admin.register(admin)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
