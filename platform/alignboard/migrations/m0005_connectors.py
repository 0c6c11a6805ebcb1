"""Connections, sync runs, failed rows and webhook deliveries (issue 4: connectors)."""
import peewee as pw

from ..db import JSONField, utcnow
from . import frozen_base


def up(db, migrator):
    Base = frozen_base(db)

    class Connection(Base):
        name = pw.CharField(max_length=100, unique=True)
        connector = pw.CharField(max_length=64)
        settings = JSONField(default=dict)
        secrets = pw.TextField(null=True)
        mapping = JSONField(default=dict)
        schedule_minutes = pw.IntegerField(default=0)
        enabled = pw.BooleanField(default=True)
        cursor = JSONField(null=True)
        webhook_secret = pw.TextField(null=True)
        last_run_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField(default=utcnow)
        updated_at = pw.DateTimeField(default=utcnow)

    class SyncRun(Base):
        connection = pw.ForeignKeyField(Connection, on_delete="CASCADE")
        trigger = pw.CharField(max_length=32, default="manual")
        status = pw.CharField(max_length=16, default="running", index=True)
        started_at = pw.DateTimeField(default=utcnow)
        finished_at = pw.DateTimeField(null=True)
        heartbeat_at = pw.DateTimeField(default=utcnow)
        processed = pw.IntegerField(default=0)
        total = pw.IntegerField(null=True)
        created = pw.IntegerField(default=0)
        updated = pw.IntegerField(default=0)
        unchanged = pw.IntegerField(default=0)
        failed = pw.IntegerField(default=0)
        message = pw.TextField(default="")
        cursor_start = JSONField(null=True)

    class SyncFailure(Base):
        run = pw.ForeignKeyField(SyncRun, on_delete="CASCADE")
        row_ref = pw.CharField(max_length=200, default="")
        external_id = pw.CharField(max_length=200, null=True)
        reason = pw.TextField()
        data = JSONField(null=True)
        created_at = pw.DateTimeField(default=utcnow)

    class WebhookDelivery(Base):
        connection = pw.ForeignKeyField(Connection, on_delete="CASCADE")
        delivery_id = pw.CharField(max_length=200)
        received_at = pw.DateTimeField(default=utcnow, index=True)

        class Meta:
            indexes = ((("connection", "delivery_id"), True),)

    db.create_tables([Connection, SyncRun, SyncFailure, WebhookDelivery])
