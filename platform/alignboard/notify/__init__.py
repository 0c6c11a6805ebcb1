"""Notifications: the in-app inbox, the delivery queue with retries, and the channels
(inbox, e-mail, webhook, DingTalk/WeCom/Feishu robots, form task, flag, action pack)
registered through the ``register_channels`` hook."""


def init_app(app, api, admin):
    from . import admin as notify_admin, api as notify_api, views

    api.register_blueprint(notify_api.bp)
    views.register(app)
    notify_admin.register(admin)
