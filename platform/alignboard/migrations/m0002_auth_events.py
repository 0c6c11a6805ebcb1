"""API tokens, a per-person language, and the event outbox."""
import peewee as pw

from playhouse.migrate import migrate

from ..db import utcnow
from . import existing_table, frozen_base


def up(db, migrator):
    Base = frozen_base(db)

    Person = existing_table(Base, "person")

    class ApiToken(Base):
        person = pw.ForeignKeyField(Person, backref="tokens", on_delete="CASCADE")
        name = pw.CharField(max_length=100, default="")
        token_hash = pw.CharField(max_length=64, unique=True)
        created_at = pw.DateTimeField(default=utcnow)
        last_used_at = pw.DateTimeField(null=True)
        revoked_at = pw.DateTimeField(null=True)

    class Event(Base):
        name = pw.CharField(max_length=100, index=True)
        payload = pw.TextField()
        created_at = pw.DateTimeField(default=utcnow, index=True)

    db.create_tables([ApiToken, Event])
    migrate(migrator.add_column("person", "locale", pw.CharField(max_length=16, null=True)))
