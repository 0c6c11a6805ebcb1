"""Trigger rules: rules as data (trigger, conditions, actions), compiled to durable_rules
rulesets; event, schedule, absence, count and streak triggers with fire-once episodes; the
worker, the scheduler, the backtest, YAML load/export, the firing log."""


def init_app(app, api, admin):
    from . import admin as rules_admin, api as rules_api, jobs
    from .cli import rules_cli

    api.register_blueprint(rules_api.bp)
    api.register_blueprint(rules_api.rules_bp)
    rules_admin.register(admin)
    app.cli.add_command(rules_cli)
    jobs.subscribe()
