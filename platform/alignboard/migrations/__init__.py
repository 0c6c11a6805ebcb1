"""Versioned schema migrations.

Each migration is a module ``mNNNN_name.py`` in this package with a function
``up(db, migrator)``. A migration defines the tables it creates as frozen copies, never by
importing the live models: migration 1 must create the same tables forever, whatever the
models look like later, so that an old database upgrades step by step and keeps its data.
Applied migrations are recorded by name in ``schema_migration``.
"""
import importlib
import logging
import pkgutil

import peewee
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

from ..db import utcnow

log = logging.getLogger(__name__)


def frozen_base(db):
    """A base class for a migration's frozen table definitions, bound to ``db``."""
    class Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    return Base


def existing_table(base, table_name):
    """A stand-in model for a table an earlier migration made, so that a migration's new
    tables can point foreign keys at it without redefining its columns."""
    class Meta:
        pass
    Meta.table_name = table_name
    return type(table_name.title().replace("_", ""), (base,), {"Meta": Meta,
                                                                "__module__": __name__})


def _table(db):
    class SchemaMigration(peewee.Model):
        name = peewee.CharField(max_length=200, unique=True)
        applied_at = peewee.DateTimeField(default=utcnow)

        class Meta:
            database = db
            table_name = "schema_migration"

    return SchemaMigration


def available():
    """All migrations shipped with this version, in order, as ``(name, module)``."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("m"))
    return [(n, importlib.import_module(f"{__name__}.{n}")) for n in names]


def applied(db):
    """Names of the migrations already applied to ``db`` (empty for a new database)."""
    table = _table(db)
    if not db.table_exists(table._meta.table_name):
        return []
    return [row.name for row in table.select().order_by(table.name)]


def pending(db):
    done = set(applied(db))
    return [(n, m) for n, m in available() if n not in done]


def upgrade(db, target=None):
    """Apply every pending migration up to and including ``target`` (a name); return names.

    Each migration runs in its own transaction, so a failing one leaves the database at the
    previous step.
    """
    table = _table(db)
    db.create_tables([table], safe=True)
    migrator = (PostgresqlMigrator(db) if isinstance(db, peewee.PostgresqlDatabase)
                else SqliteMigrator(db))
    done = []
    for name, module in pending(db):
        with db.atomic():
            log.info("applying migration %s", name)
            module.up(db, migrator)
            table.create(name=name)
        done.append(name)
        if target and name == target:
            break
    return done


def is_current(db):
    return not pending(db)
