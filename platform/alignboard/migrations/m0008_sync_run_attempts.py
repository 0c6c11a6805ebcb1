"""Sync runs remember which run they resume, the attempt they are and whether they read the
source from the start, so that a queued or running sync lost with its worker is queued
again or resumed, a bounded number of times."""
import peewee as pw
from playhouse.migrate import migrate


def up(db, migrator):
    migrate(migrator.add_column("sync_run", "attempt", pw.IntegerField(default=1)),
            migrator.add_column("sync_run", "resume_of", pw.IntegerField(null=True)),
            migrator.add_column("sync_run", "full", pw.BooleanField(default=False)))
