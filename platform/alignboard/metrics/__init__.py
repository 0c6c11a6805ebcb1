"""Metrics: definitions built in the admin, values kept current as data arrives, targets,
pace and colour rules. See README "Metrics, targets and colours".
"""


def init_app(app, api, admin):
    from . import admin as metrics_admin, api as metrics_api, cli, updates
    from . import jobs  # noqa: F401 (registers the daily recolouring)

    updates.subscribe()
    api.register_blueprint(metrics_api.bp)
    metrics_admin.register(admin)
    app.cli.add_command(cli.metrics)
    from ..portal import views as portal_views
    from . import portal
    if portal.CARD not in portal_views.HOME_CARDS:
        portal_views.HOME_CARDS.append(portal.CARD)
