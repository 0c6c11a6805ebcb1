"""Admin pages: connections (settings form from the connector's schema, field mapping with
form controls, upload, run now, run log with failed rows) and the installed plugins."""
import logging
import os
import re
import unicodedata
from datetime import datetime, timezone

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError

from .. import plugins
from ..admin import SecureView
from . import forms, jobs, registry, secrets, service, sync
from .base import ConnectorError
from .models import Connection, SyncFailure, SyncRun

log = logging.getLogger(__name__)

DATA = _l("Data")


def _flatten(messages, prefix=""):
    """marshmallow's nested messages -> ["field.sub: message", ...] for a flash list."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            out += _flatten(value, f"{prefix}{key}." if not isinstance(key, int)
                            else f"{prefix}{key + 1}.")
    elif isinstance(messages, list):
        for m in messages:
            out += _flatten(m, prefix)
    else:
        out.append(f"{prefix.rstrip('.')}: {messages}" if prefix else str(messages))
    return out


UPLOAD_EXTENSIONS = (".csv", ".xlsx")


def stored_name(filename):
    """The name an uploaded file is stored under, or None when it is not .csv/.xlsx.

    werkzeug's ``secure_filename`` keeps ASCII only, so ``客户拜访.csv`` would become
    ``csv`` and lose its extension. Here the extension comes from the original name, and
    the stem keeps letters and digits of any script (the name shows up in failed rows,
    "客户拜访.csv:17: ...", so it should stay readable) plus "-", "_" and ".". Path
    separators, leading dots and control characters cannot survive, so the file always
    lands inside the connection's folder.
    """
    base = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    stem, ext = os.path.splitext(base)
    ext = ext.lower()
    if ext not in UPLOAD_EXTENSIONS:
        return None
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._")[:120]
    if not stem:
        stem = "upload-" + datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return stem + ext


class ConnectionsView(SecureView):
    """List, create and edit connections; map fields; run and watch syncs."""

    def _connection(self, connection_id):
        c = Connection.get_or_none(Connection.id == connection_id)
        if c is None:
            abort(404)
        return c

    @expose("/")
    def index(self):
        connections = list(Connection.select().order_by(Connection.name))
        last = {c.id: c.runs.order_by(SyncRun.id.desc()).first() for c in connections}
        return self.render("admin/connectors_index.html", connections=connections,
                           last=last, connectors=registry.available())

    def _settings_page(self, cls, connection=None):
        stored = {}
        if connection is not None:
            stored = dict(connection.settings or {})
        secret_set = set()
        if connection is not None and connection.secrets:
            try:
                secret_set = set(secrets.decrypt(connection.secrets))
            except secrets.SecretError as exc:
                flash(str(exc), "error")
        form = forms.settings_form_class(cls.Settings, secret_set)()
        if request.method == "GET" and connection is not None:
            forms.fill_form(form, cls.Settings, stored)
        values = {"name": connection.name if connection else "",
                  "schedule_minutes": connection.schedule_minutes if connection else 0,
                  "enabled": connection.enabled if connection else True}
        if request.method == "POST":
            values = {"name": request.form.get("name", ""),
                      "schedule_minutes": request.form.get("schedule_minutes", "0") or "0",
                      "enabled": request.form.get("enabled") == "1"}
        errors = {}
        if request.method == "POST" and form.validate_on_submit():
            settings = forms.settings_from_form(form, cls.Settings)
            try:
                if connection is None:
                    connection = service.create(values["name"], cls.key, settings,
                                                schedule_minutes=values["schedule_minutes"],
                                                enabled=values["enabled"])
                    flash(_("Connection created. Now map its fields."), "success")
                    if connection.webhook_secret:
                        flash(_("Webhook secret (shown once, copy it now): %(s)s",
                                s=secrets.decrypt_text(connection.webhook_secret)), "warning")
                    return redirect(url_for(".mapping", connection_id=connection.id))
                service.update(connection, name=values["name"], settings=settings,
                               schedule_minutes=values["schedule_minutes"],
                               enabled=values["enabled"])
                flash(_("Connection saved."), "success")
                return redirect(url_for(".index"))
            except ValidationError as exc:
                errors = exc.messages
                for name, msgs in (errors.get("settings") or {}).items():
                    field = getattr(form, forms.PREFIX + name, None)
                    if field is not None:
                        field.errors = list(msgs) if isinstance(msgs, list) else [str(msgs)]
                flash(_("Nothing was saved: correct the marked fields."), "error")
            except ConnectorError as exc:
                flash(str(exc), "error")
        return self.render("admin/connectors_edit.html", form=form, cls=cls,
                           connection=connection, values=values, errors=errors,
                           masked=service.masked_settings(connection) if connection else {})

    @expose("/new/<key>", methods=["GET", "POST"])
    def new(self, key):
        cls = registry.available().get(key)
        if cls is None:
            flash(_("No installed connector %(key)s.", key=key), "error")
            return redirect(url_for(".index"))
        return self._settings_page(cls)

    @expose("/<int:connection_id>/edit", methods=["GET", "POST"])
    def edit(self, connection_id):
        c = self._connection(connection_id)
        try:
            cls = registry.get(c.connector)
        except ConnectorError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        return self._settings_page(cls, c)

    @expose("/<int:connection_id>/mapping", methods=["GET", "POST"])
    def mapping(self, connection_id):
        c = self._connection(connection_id)
        mapping = c.mapping or {}
        problems = []
        if request.method == "POST":
            from flask_wtf.csrf import validate_csrf
            if current_app.config.get("WTF_CSRF_ENABLED", True):
                validate_csrf(request.form.get("csrf_token"))
            wants_preview = request.form.get("action") == "preview"
            try:
                mapping = forms.mapping_from_form(request.form)
                if wants_preview:
                    preview = self._preview(c, mapping)
                else:
                    service.update(c, mapping=mapping)
            except ValidationError as exc:
                problems = _flatten(exc.messages.get("mapping", exc.messages))
            except ConnectorError as exc:
                problems = [str(exc)]
            except ValueError as exc:
                problems = [str(exc)]
            if wants_preview and not problems:
                return self.render("admin/connectors_mapping.html", connection=c,
                                   mapping=mapping, problems=[], preview=preview,
                                   choices=forms.MAPPING_CHOICES)
            if not problems:
                flash(_("Mapping saved. Run a full sync to apply it to stored records."),
                      "success")
                return redirect(url_for(".mapping", connection_id=c.id))
            flash(_("Nothing was saved: %(p)s", p="; ".join(problems)), "error")
        return self.render("admin/connectors_mapping.html", connection=c,
                           mapping=mapping, problems=problems, preview=None,
                           choices=forms.MAPPING_CHOICES)

    def _preview(self, connection, mapping):
        from .mapping import validate_mapping

        try:
            mapping = validate_mapping(mapping)
        except ValidationError as exc:
            raise ValidationError({"mapping": exc.messages}) from None
        names, results = sync.preview(connection, mapping)
        return {"names": names, "results": results}

    @expose("/<int:connection_id>/upload", methods=["POST"])
    def upload(self, connection_id):
        c = self._connection(connection_id)
        cls = registry.available().get(c.connector)
        if cls is None or not getattr(cls, "accepts_upload", False):
            # Checked before anything is written: a connector that does not read files has
            # no "path" setting, so the upload would only leave a stray file behind.
            flash(_("Connection %(name)s does not read files; nothing was uploaded.",
                    name=c.name), "error")
            return redirect(url_for(".edit", connection_id=c.id))
        upload = request.files.get("file")
        name = stored_name(upload.filename) if upload and upload.filename else None
        if name is None:
            flash(_("Choose a .csv or .xlsx file."), "error")
            return redirect(url_for(".edit", connection_id=c.id))
        folder = os.path.join(current_app.config["UPLOAD_FOLDER"], "connections", str(c.id))
        os.makedirs(folder, exist_ok=True)
        upload.save(os.path.join(folder, name))
        if c.settings.get("path") != folder:
            settings = dict(c.settings, path=folder)
            service.update(c, settings=settings)
        flash(_("%(name)s uploaded; run a sync to read it.", name=name), "success")
        return redirect(url_for(".index"))

    @expose("/<int:connection_id>/run", methods=["POST"])
    def run(self, connection_id):
        c = self._connection(connection_id)
        full = request.form.get("full") == "1"
        # The sync goes to the worker, never into this request: a slow source would hold a
        # web worker past gunicorn's timeout, which kills it mid-run. The run exists at once
        # (queued), and the runs page follows it. In immediate mode (no worker) the task has
        # already run when queue() returns.
        try:
            result = jobs.queue(c, trigger="admin", full=full)
        except ConnectorError as exc:  # SyncBusy included
            flash(str(exc), "error")
            return redirect(url_for(".runs", connection_id=c.id))
        if result.status == "queued":
            flash(_("Sync queued as run %(id)d: the worker (alignboard worker) runs it, and "
                    "this page follows it.", id=result.id), "info")
        else:
            level = "success" if result.status == "succeeded" else "error"
            flash(_("Sync %(status)s: %(c)d created, %(u)d updated, %(n)d unchanged, "
                    "%(f)d failed.", status=result.status, c=result.created,
                    u=result.updated, n=result.unchanged, f=result.failed) +
                  (" " + result.message if result.message else ""), level)
        return redirect(url_for(".runs", connection_id=c.id))

    @expose("/<int:connection_id>/webhook-secret", methods=["POST"])
    def webhook_secret(self, connection_id):
        c = self._connection(connection_id)
        value = service.new_webhook_secret(c)
        flash(_("New webhook secret (shown once, copy it now): %(s)s", s=value), "warning")
        return redirect(url_for(".edit", connection_id=c.id))

    @expose("/<int:connection_id>/delete", methods=["POST"])
    def delete(self, connection_id):
        c = self._connection(connection_id)
        if request.form.get("confirm") != c.name:
            flash(_("Type the connection's name to delete it."), "error")
            return redirect(url_for(".edit", connection_id=c.id))
        # Its runs, failed rows and webhook deliveries go with it (ON DELETE CASCADE); the
        # records it stored stay, since metrics and history may rely on them.
        c.delete_instance(recursive=True)
        flash(_("Connection %(name)s deleted; the records it stored are kept.", name=c.name),
              "success")
        return redirect(url_for(".index"))

    @expose("/<int:connection_id>/runs")
    def runs(self, connection_id):
        c = self._connection(connection_id)
        runs = list(c.runs.order_by(SyncRun.id.desc()).limit(100))
        return self.render("admin/connectors_runs.html", connection=c, runs=runs)

    @expose("/runs/<int:run_id>")
    def run_detail(self, run_id):
        r = SyncRun.get_or_none(SyncRun.id == run_id)
        if r is None:
            abort(404)
        failures = list(r.failures.order_by(SyncFailure.id).limit(500))
        return self.render("admin/connectors_run.html", run=r, failures=failures)


class PluginsView(SecureView):
    """Installed plugins: name, version, hooks, status and the error of a failed one."""

    @expose("/")
    def index(self):
        return self.render("admin/plugins.html", plugins=plugins.current().list())


def register(admin):
    admin.add_view(ConnectionsView(name=_l("Connections"), endpoint="connections",
                                   category=DATA))
    admin.add_view(PluginsView(name=_l("Plugins"), endpoint="plugins", category=DATA))


