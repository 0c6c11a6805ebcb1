"""The REST API under /api/v1: flask-smorest, OpenAPI document and offline Swagger UI.

Every error under /api answers JSON ``{"status", "error", "message", "errors"}``, where
``errors`` maps field names to lists of messages, never an HTML page.
"""
import logging
from functools import wraps

import swagger_ui_bundle
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify, request, send_from_directory
from flask_login import current_user
from flask_smorest import Api, abort
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from ..db import MAX_ID
from ..i18n import N_
from ..validation import nul_errors

log = logging.getLogger(__name__)

SWAGGER_STATIC = "/api/v1/docs/static"


def schema_name(schema):
    """OpenAPI component names: "PersonSchema" -> "Person", a partial one -> "PersonPatch"."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    return name


class ErrorSchema(Schema):
    """The body of every error under /api (see ``error_body``); documented as ``Error``."""

    status = fields.Integer(metadata={"description": "HTTP status code", "example": 422})
    error = fields.String(metadata={"description": "HTTP reason phrase",
                                    "example": "Unprocessable Entity"})
    message = fields.String(metadata={"description": "what went wrong, for a person"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "messages per field (absent when the error concerns no field)",
        "example": {"amount": ["Must be greater than or equal to 0."]}})


class AlignboardApi(Api):
    # flask-smorest documents its own error body by default; ours has other keys.
    ERROR_SCHEMA = ErrorSchema


def init_app(app):
    """Create the app's ``Api`` (one per app: tests build many apps) and return it."""
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", SWAGGER_STATIC + "/")
    api = AlignboardApi(spec_kwargs={
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "a token from `alignboard token LOGIN`"}}},
        "security": [{"bearer": []}]})
    api.init_app(app)
    app.extensions["alignboard.api"] = api

    @app.route(SWAGGER_STATIC + "/<path:filename>")
    def swagger_static(filename):
        # Swagger UI is served from the installed package: the docs page works offline.
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    app.before_request(_refuse_nul)

    # Replaces flask-smorest's handler: JSON under /api, the usual pages elsewhere.
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
    return api


def _is_api():
    return request.path.startswith("/api/")


def shows_nul_beside_the_field(view):
    """Mark a page view that refuses NUL characters itself, beside the field (the form fill
    pages): the request-wide check below then leaves it alone."""
    view.shows_nul_beside_the_field = True
    return view


def _refuse_nul():
    """422 for a NUL character anywhere in a request's query, form or JSON body.

    PostgreSQL cannot store NUL in text, so such a value would be a 500 at the first
    write. Checking the request once here covers every resource and every field (people's
    names, form answers, admin forms, ...) of every area, instead of each schema and each
    admin view remembering to. The API answers JSON naming the fields; a page answers an
    error page (the browser's back button keeps what was typed)."""
    errors = {}
    for source in (request.args, request.form):
        for key in source:
            errors.update(nul_errors({key: source.getlist(key)}))
    if _is_api() and request.is_json:
        # silent: a body that is not JSON at all is the view's 400, not ours.
        errors.update(nul_errors(request.get_json(silent=True)))
    if not errors:
        return None
    if _is_api():
        fail(422, "The request has invalid fields: see errors.", errors)
    from flask import current_app
    from flask_babel import gettext
    from werkzeug.exceptions import UnprocessableEntity

    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "shows_nul_beside_the_field", False):
        return None
    raise UnprocessableEntity(gettext(
        "%(fields)s: a NUL character (code 0) cannot be stored. Go back, remove it and "
        "send again.", fields=", ".join(sorted(errors))))


def _flatten(messages):
    """webargs nests messages by location ({"json": {...}}); clients want {field: [...]}."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    if set(messages) <= {"json", "query", "form", "files", "headers", "path", "view_args"}:
        merged = {}
        for part in messages.values():
            merged.update(part if isinstance(part, dict) else {"_schema": part})
        return merged
    return messages


def error_body(status, message, errors=None):
    body = {"status": status, "error": _reason(status), "message": message}
    if errors:
        body["errors"] = errors
    return body


def _reason(status):
    from http import HTTPStatus
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# Titles and the usual explanation of the errors a page can meet, in the reader's
# language (Werkzeug's own pages are English only). A description the raiser wrote itself
# (the NUL refusal, a 404 naming what is missing) is shown instead of the usual one.
ERROR_PAGES = {
    400: (N_("Bad request"), N_("The request could not be understood. Go back and try "
                                "again.")),
    403: (N_("Not allowed"), N_("Your role may not open this page.")),
    404: (N_("Page not found"), N_("There is nothing at this address. Check the link, or "
                                   "start again from your page.")),
    405: (N_("Not possible here"), N_("This address does not take this kind of request.")),
    413: (N_("Request too large"), N_("The request is larger than the server accepts. Go "
                                      "back and send less, or a smaller file.")),
    422: (N_("The request could not be processed"),
          N_("Some of what was sent cannot be used. Go back, correct it and send again.")),
    500: (N_("Internal error"), N_("Something went wrong on the server; it has been logged. "
                                   "Try again later.")),
}


def error_page(exc):
    """An HTTP error as a page of ours (see ERROR_PAGES), keeping its status and headers
    (Allow, Retry-After...). Should rendering fail in turn, Werkzeug's plain page is
    answered: an error page must never become a second error."""
    from flask import render_template
    from flask_babel import gettext

    if exc.response is not None or exc.code is None:
        return exc
    title, usual = ERROR_PAGES.get(exc.code, (None, None))
    custom = exc.description != type(exc).description
    try:
        body = render_template(
            "error.html", code=exc.code,
            title=gettext(title) if title else exc.name,
            description=exc.description if custom or not usual else gettext(usual))
    except Exception:
        log.exception("could not render the error page for %s", exc.code)
        return exc
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return body, exc.code, headers


def _handle_http(exc):
    if not _is_api():
        return error_page(exc)
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or (_flatten(data["messages"]) if "messages" in data else None)
    message = data.get("message") or exc.description
    if exc.code == 422 and errors and not data.get("message"):
        message = "The request has invalid fields: see errors."
    elif exc.code == 400 and errors and "_schema" in errors and not data.get("message"):
        message = "; ".join(map(str, errors["_schema"]))
    response = jsonify(error_body(exc.code, message, errors))
    response.status_code = exc.code
    for key, value in (exc.get_headers() if hasattr(exc, "get_headers") else []):
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def _handle_unexpected(exc):
    log.exception("unhandled error on %s %s", request.method, request.path)
    if _is_api():
        response = jsonify(error_body(500, "Internal error; it has been logged."))
        response.status_code = 500
        return response
    return error_page(InternalServerError())


def fail(status, message, errors=None):
    """Abort the request with a JSON error (``errors``: {field: [messages]})."""
    kwargs = {"message": message}
    if errors:
        kwargs["errors"] = errors
    abort(status, **kwargs)


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            fail(401, "Authentication required: send 'Authorization: Bearer TOKEN'.")
        return view(*args, **kwargs)
    return wrapper


def configure_required(view):
    """Only roles that may configure (hr, admin) pass."""
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.role.can_configure:
            fail(403, "Your role may read but not change this.")
        return view(*args, **kwargs)
    return wrapper


def page(query, pagination_parameters):
    """One page of a peewee query; sets the total for flask-smorest's X-Pagination header.

    A page whose first row lies beyond the largest offset the database can take is refused
    with 422: flask-smorest only checks that ``page`` is at least 1, and the database would
    overflow on the offset instead of finding nothing."""
    params = pagination_parameters
    if (params.page - 1) * params.page_size > MAX_ID:
        fail(422, "The request has invalid fields: see errors.",
             {"page": [f"must be at most {MAX_ID // params.page_size + 1}"]})
    pagination_parameters.item_count = query.count()
    return list(query.paginate(pagination_parameters.page, pagination_parameters.page_size))


PAGINATE = {"page_size": 50, "max_page_size": 500}


class MessageSchema(Schema):
    message = fields.String()
