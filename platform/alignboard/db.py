"""The database: one proxy every model binds to, opened from ``DATABASE_URL``.

SQLite (the embedded default) runs in WAL mode with foreign keys on; PostgreSQL is the scale
path. Each request opens a connection and closes it at teardown, as peewee's
``playhouse.flask_utils`` does.
"""
import json
import logging
from datetime import datetime, timezone

from flask import request
import peewee
from playhouse.db_url import connect
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    # Readers and a writer from another process (worker, CLI) wait instead of failing.
    "busy_timeout": 5000,
    "synchronous": "normal",
}


def utcnow():
    """The current time as a naive UTC datetime, the form every timestamp is stored in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class JSONField(peewee.TextField):
    """A JSON document stored as text, so SQLite and PostgreSQL behave the same."""

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

    def python_value(self, value):
        if value is None:
            return None
        return json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


def open_database(url):
    """Return an unconnected peewee database for ``url`` (sqlite:/// or postgresql://)."""
    if url.startswith("sqlite"):
        # Every transaction takes the write lock when it begins. A deferred transaction that
        # reads and then writes fails at once ("database is locked") when another process
        # committed in between, since WAL cannot wait it out; an immediate one waits for
        # the busy timeout instead. Writers are serialised by SQLite anyway.
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if url.startswith(("postgres://", "postgresql://")):
        return connect(url)
    raise ValueError(
        f"DATABASE_URL {url!r} is not supported: use sqlite:///PATH or "
        "postgresql://USER@HOST:PORT/NAME")


# The largest id the database can compare with (a signed 64-bit integer); a larger Python
# int makes the SQLite driver raise OverflowError instead of finding nothing.
MAX_ID = 2**63 - 1


def id_in_range(value):
    """True when ``value`` can be an id at all (and so be looked up without overflow)."""
    return 0 < value <= MAX_ID


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL, capped at MAX_ID: a longer number matches no route and
    answers 404, as any id that names nothing."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def manages_connection(view):
    """Mark a view that connects to the database itself and handles its failure."""
    view.manages_connection = True
    return view


def init_app(app):
    """Bind the proxy to the app's database and manage a connection per request."""
    db = open_database(app.config["DATABASE_URL"])
    database.initialize(db)
    # Before any blueprint adds its routes, so that they all use it.
    app.url_map.converters["int"] = IdConverter
    app.extensions["alignboard.db"] = db

    @app.before_request
    def _connect():
        # A view that opens the connection itself (the health check) must be reached even
        # when the database is down, so that it can report that as JSON.
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if getattr(view, "manages_connection", False):
            return
        database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not database.is_closed():
            database.close()

    return db


def dialect():
    """'sqlite' or 'postgres', for the few places that must differ."""
    return "postgres" if isinstance(database.obj, peewee.PostgresqlDatabase) else "sqlite"
