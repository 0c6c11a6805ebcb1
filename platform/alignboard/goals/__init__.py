"""Goals: objectives and key results (KR-points), cascade, alignment and hygiene checks."""


def init_app(app, api, admin):
    pass
