"""Organisation: units as a tree, people with one manager and one unit, roles, periods."""


def init_app(app, api, admin):
    from . import admin as org_admin, api as org_api

    for bp in org_api.BLUEPRINTS:
        api.register_blueprint(bp)
    org_admin.register(admin)
