"""Notifications: the in-app inbox, the delivery queue with retries, and the channels
(inbox, e-mail, webhook, DingTalk/WeCom/Feishu robots, form task, flag, action pack)
registered through the ``register_channels`` hook. Form tasks reach the person's forms
page through the forms area's ``DUE_TASKS`` hook and close on ``form.submitted``
(``form_tasks``); flags set on a submission show on its page through the
``SUBMISSION_FLAGS`` hook (``flags``)."""


def init_app(app, api, admin):
    from . import admin as notify_admin, api as notify_api, flags, form_tasks, views

    form_tasks.register()
    flags.register()
    api.register_blueprint(notify_api.bp)
    api.register_blueprint(notify_api.flags_bp)
    views.register(app)
    notify_admin.register(admin)
