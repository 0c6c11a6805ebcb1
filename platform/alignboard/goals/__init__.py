"""Goals: objectives and key results (KR-points) per person and unit, the cascade with health
cards, alignment and OKR hygiene checks, and weighted inheritance of targets. See README
"Goals and key results"."""


def init_app(app, api, admin):
    from . import admin as goals_admin, api as goals_api, checkins, views

    checkins.subscribe()
    from ..portal import views as portal_views
    from . import portal
    if portal.CARD not in portal_views.HOME_CARDS:
        portal_views.HOME_CARDS.append(portal.CARD)

    api.register_blueprint(goals_api.bp)
    app.register_blueprint(views.bp)
    goals_admin.register(admin)
