"""Forms: HR builds definitions (versioned), reps fill them, every answer is validated.

Pieces: ``definition`` (checking a definition), ``fieldtypes``/``builtin_types`` (field
types as plugins), ``schema`` (definition -> marshmallow schema), ``submissions`` (who,
how often, edits, the ``form.submitted`` event), ``store`` (versions, YAML/JSON files),
``exports`` (CSV/XLSX), and the API, admin, rep pages and CLI.
"""


def init_app(app, api, admin):
    from . import admin as forms_admin, api as forms_api, cli, views

    api.register_blueprint(forms_api.bp)
    forms_admin.register(admin)
    app.register_blueprint(views.bp)
    views.add_home_card()
    app.cli.add_command(cli.forms_cli)
