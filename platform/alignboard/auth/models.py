import hashlib
import secrets

import peewee as pw

from ..db import BaseModel, utcnow
from ..org.models import Person


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(BaseModel):
    """A bearer token for the REST API. Only its SHA-256 is stored: shown once, never again."""

    person = pw.ForeignKeyField(Person, backref="tokens", on_delete="CASCADE")
    name = pw.CharField(max_length=100, default="")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_used_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)

    @classmethod
    def issue(cls, person, name=""):
        """Create a token for ``person``; return ``(token_row, secret)``."""
        secret = "ab_" + secrets.token_urlsafe(32)
        row = cls.create(person=person, name=name, token_hash=_digest(secret))
        return row, secret

    @classmethod
    def lookup(cls, secret):
        """The active person holding ``secret``, or None."""
        row = (cls.select(cls, Person).join(Person)
               .where((cls.token_hash == _digest(secret)) & cls.revoked_at.is_null())
               .first())
        if row is None or not row.person.active:
            return None
        cls.update(last_used_at=utcnow()).where(cls.id == row.id).execute()
        return row.person

    def revoke(self):
        self.revoked_at = utcnow()
        self.save()
