"""Goals: objectives and key results (KR-points) per person and unit, the cascade with health
cards, alignment and OKR hygiene checks, and weighted inheritance of targets. See README
"Goals and key results"."""


def init_app(app, api, admin):
    from . import admin as goals_admin, api as goals_api, checkins

    checkins.subscribe()

    api.register_blueprint(goals_api.bp)
    goals_admin.register(admin)
