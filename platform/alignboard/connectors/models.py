"""Connections (a configured connector), their sync runs, failed rows and webhook deliveries."""
import peewee as pw

from ..db import BaseModel, JSONField, utcnow

# "queued": created when a sync is handed to the worker, so the admin sees it at once and the
# worker's task runs that very row; the task turns it "running" when it starts.
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "interrupted")


class Connection(BaseModel):
    """One configured source: which connector, its settings, its mapping, its schedule.

    ``settings`` holds the plain settings; ``secrets`` the settings the connector's schema
    marks secret, encrypted as one Fernet token (see ``connectors.secrets``). ``cursor`` is
    where the next incremental pull starts; it only moves together with the records of the
    batch it follows, in one transaction.
    """

    name = pw.CharField(max_length=100, unique=True)
    connector = pw.CharField(max_length=64)
    settings = JSONField(default=dict)
    secrets = pw.TextField(null=True)
    mapping = JSONField(default=dict)
    # Minutes between scheduled pulls; 0 means on demand only.
    schedule_minutes = pw.IntegerField(default=0)
    enabled = pw.BooleanField(default=True)
    cursor = JSONField(null=True)
    webhook_secret = pw.TextField(null=True)
    last_run_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    def __str__(self):
        return f"{self.name} ({self.connector})"


class SyncRun(BaseModel):
    """One pull or webhook delivery: when, how far, what it did."""

    connection = pw.ForeignKeyField(Connection, backref="runs", on_delete="CASCADE")
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
    # A run lost with its worker is resumed by a new run: ``resume_of`` is the id of the run
    # it continues, ``attempt`` its place in that chain (1 for a run nobody resumed).
    attempt = pw.IntegerField(default=1)
    resume_of = pw.IntegerField(null=True)
    # Read the source from the start (ignoring the cursor): kept so that a queued run lost
    # with its worker is queued again the way it was asked for.
    full = pw.BooleanField(default=False)

    def __str__(self):
        return f"run {self.id} of {self.connection.name}: {self.status}"


class SyncFailure(BaseModel):
    """A source row a run could not store, with the reason, so an admin can fix the source."""

    run = pw.ForeignKeyField(SyncRun, backref="failures", on_delete="CASCADE")
    row_ref = pw.CharField(max_length=200, default="")
    external_id = pw.CharField(max_length=200, null=True)
    reason = pw.TextField()
    data = JSONField(null=True)
    created_at = pw.DateTimeField(default=utcnow)


class WebhookDelivery(BaseModel):
    """Delivery ids already accepted per connection: a replayed delivery is refused."""

    connection = pw.ForeignKeyField(Connection, backref="deliveries", on_delete="CASCADE")
    delivery_id = pw.CharField(max_length=200)
    received_at = pw.DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("connection", "delivery_id"), True),)
