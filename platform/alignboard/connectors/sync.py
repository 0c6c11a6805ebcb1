"""Running a sync: pull batches, map each row, upsert it, advance the cursor, log the run.

Each batch is stored in one transaction together with the cursor that follows it and the
run's counters, so a run killed at any point leaves the database at the end of the last
whole batch: the next run resumes from that cursor, and since records are upserted by
(connection, external id) nothing is lost or doubled. Inside a batch every row is stored in
a savepoint: one bad row is recorded with its reason and never aborts the run.
"""
import logging
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from marshmallow import ValidationError

from ..db import database, dialect, utcnow
from ..records import store
from . import registry, secrets
from .base import ConnectorError, Context, RowError
from .http import client_for
from .mapping import Mapping, OwnerIndex
from .models import Connection, SyncFailure, SyncRun

log = logging.getLogger(__name__)

# Failed rows kept per run: enough to fix a source, not enough to fill the disk.
MAX_FAILURES_KEPT = 1000


class SyncBusy(ConnectorError):
    """Another run of the same connection is in progress."""


def settings_of(connection, connector_cls=None):
    """The connection's settings with its secrets decrypted, loaded by the connector's
    schema (so defaults of settings added in a newer version apply)."""
    values = dict(connection.settings or {})
    try:
        values.update(secrets.decrypt(connection.secrets))
    except secrets.SecretError as exc:
        raise ConnectorError(str(exc)) from None
    cls = connector_cls or registry.get(connection.connector)
    try:
        return cls.Settings().load(values)
    except ValidationError as exc:
        raise ConnectorError(f"the connection's settings are not valid any more: "
                             f"{exc.messages}; correct them in the admin") from None


def connector_for(connection):
    cls = registry.get(connection.connector)
    app = current_app
    return cls(Context(http=client_for(app.config), log=log,
                       upload_folder=app.config.get("UPLOAD_FOLDER", "")))


def _stale_after():
    return timedelta(seconds=float(current_app.config.get("CONNECTOR_STALE_SECONDS", 600)))


# A run lost with its worker is resumed at most this often, counting the first run: a source
# that kills its worker every time (out of memory on one huge page...) must not loop forever.
MAX_ATTEMPTS = 3

WAITING = "waiting for the worker (alignboard worker)"


class NotQueued(ConnectorError):
    """The queued run a task was given has already been started, or is gone."""


class TakenOver(ConnectorError):
    """The run was taken for dead (its heartbeat went stale during one long batch) and
    marked interrupted by the recovery or by another run while it was still going."""


# How recover() words a queued run it gives up; a late task for such a run may still start
# it (see _claim), so both must agree on the wording.
GIVEN_UP = "no worker started it in "
BEHIND = "waiting behind other tasks (the worker is busy; its task is still in the queue)"


# The counters a batch moves; saved without the status, which is not the batch's to write.
_PROGRESS = ("processed", "total", "created", "updated", "unchanged", "failed",
             "heartbeat_at")


@contextmanager
def _locked(connection_id):
    """A transaction that holds the connection's lock: claims, queueing, recovery and each
    batch of a run of the same connection happen one after the other. Taken first, before
    any run's row, by every one of them: one lock order, so no deadlock on PostgreSQL."""
    # SQLite takes its write lock at BEGIN IMMEDIATE; PostgreSQL locks the connection's row.
    sqlite = dialect() == "sqlite"
    with (database.atomic("IMMEDIATE") if sqlite else database.atomic()):
        if not sqlite:
            Connection.select(Connection.id).where(Connection.id == connection_id) \
                .for_update().execute()
        yield


def _check_running(connection, exclude=None):
    """Raise SyncBusy if a run of ``connection`` is live; mark runs whose heartbeat stopped
    as interrupted on the way."""
    running = SyncRun.select().where((SyncRun.connection == connection) &
                                     (SyncRun.status == "running"))
    if exclude is not None:
        running = running.where(SyncRun.id != exclude)
    for other in running:
        if utcnow() - other.heartbeat_at >= _stale_after():
            other.status, other.finished_at = "interrupted", utcnow()
            other.message = ("stopped without finishing (process killed?); the next run "
                             "resumed from the last stored batch")
            other.save()
        else:
            raise SyncBusy(f"connection {connection.name!r} is already syncing (run "
                           f"{other.id} started {other.started_at:%Y-%m-%d %H:%M} UTC)")


def create_queued(connection, trigger, full=False, attempt=1, resume_of=None):
    """A run in the state "queued", for a sync about to be handed to the worker.

    Refused (SyncBusy) while another run of the connection is live or already queued: a
    second click on "Sync now" must not stack a second run behind the first.
    """
    with _locked(connection.id):
        _check_running(connection)
        waiting = SyncRun.select().where((SyncRun.connection == connection) &
                                         (SyncRun.status == "queued")).first()
        if waiting is not None:
            raise SyncBusy(f"connection {connection.name!r} is already queued (run "
                           f"{waiting.id}, waiting since {waiting.started_at:%Y-%m-%d %H:%M} "
                           "UTC)")
        return SyncRun.create(connection=connection, trigger=trigger, status="queued",
                              message=WAITING, full=bool(full), attempt=attempt,
                              resume_of=resume_of)


def _claim(connection, trigger, run_id=None):
    """Start a run unless one is live; runs whose heartbeat stopped are marked interrupted.

    With ``run_id`` the queued run of that id is the one started (NotQueued when a worker
    already started it or it was given up); otherwise a new run is created.
    """
    # Two workers may pick the same connection at once: serialise the check.
    with _locked(connection.id):
        mine, late = None, False
        if run_id is not None:
            mine = SyncRun.get_or_none((SyncRun.id == run_id) &
                                       (SyncRun.connection == connection))
            late = mine is not None and _given_up_but_due(mine)
            if mine is None or (mine.status != "queued" and not late):
                raise NotQueued(f"run {run_id} is {mine.status if mine else 'gone'}, not "
                                "queued; nothing to do")
        _check_running(connection, exclude=run_id)
        connection.last_run_at = utcnow()
        Connection.update(last_run_at=connection.last_run_at).where(
            Connection.id == connection.id).execute()
        if mine is None:
            return SyncRun.create(connection=connection, trigger=trigger,
                                  cursor_start=connection.cursor)
        # The time it waited in the queue is not part of the run: it starts now, and its
        # heartbeat too, or a long wait would make it look stale at once.
        mine.status, mine.message, mine.cursor_start = "running", "", connection.cursor
        if late:
            mine.message = ("started late: the recovery had given it up, but its task "
                            "reached the worker after all")
            mine.finished_at = None
        mine.started_at = mine.heartbeat_at = utcnow()
        mine.save()
        return mine


def _given_up_but_due(run):
    """True for a queued run the recovery gave up whose task reaches a worker after all
    (it was behind other tasks when the recovery looked, or a copy it had sent came late)
    while nothing else of its connection has run or waits since: the user's "Sync now"
    is then still to do, so it starts rather than being dropped in silence. Called under
    the connection's lock."""
    if run.status != "interrupted" or not (run.message or "").startswith(GIVEN_UP):
        return False
    # A later run has synced since (or is going or queued): it did what this one was for.
    return not SyncRun.select().where(
        (SyncRun.connection == run.connection_id) & (SyncRun.id != run.id) &
        ((SyncRun.id > run.id) | SyncRun.status.in_(("running", "queued")))).exists()


def _save_progress(sync_run):
    """Store the run's counters and heartbeat, only while the run is still "running".

    TakenOver when it is not: the recovery (or another run's check) took it for dead and
    marked it interrupted, and maybe queued a run that resumes from the cursor; writing the
    whole row would turn it back into "running" behind their back.
    """
    changed = SyncRun.update({getattr(SyncRun, f): getattr(sync_run, f) for f in _PROGRESS}) \
        .where((SyncRun.id == sync_run.id) & (SyncRun.status == "running")).execute()
    if not changed:
        raise TakenOver(f"run {sync_run.id} was taken for dead while it was still going")


def _finish(sync_run):
    """Store the run's end (status, message, counters), only if it is still "running";
    False when it was taken over meanwhile."""
    fields = _PROGRESS + ("status", "message", "finished_at")
    return bool(SyncRun.update({getattr(SyncRun, f): getattr(sync_run, f) for f in fields})
                .where((SyncRun.id == sync_run.id) & (SyncRun.status == "running"))
                .execute())


class _Storer:
    """Maps and upserts rows for one run, counting and recording failures."""

    def __init__(self, connection, run):
        self.connection, self.run = connection, run
        self.mapping = Mapping(connection.mapping)
        owner = self.mapping.owner
        self.owners = OwnerIndex(owner["match"]) if owner.get("source") else None
        self.unowned = {}

    def store(self, rows):
        # One query finds the batch's existing records instead of one query per row.
        known = store.prefetch(self.connection.id, [
            e for e in map(self.mapping.external_id_of, rows) if e])
        for index, row in enumerate(rows):
            ref = str(row.get("__row__", "")) if isinstance(row, dict) else ""
            ext = self.mapping.external_id_of(row)[:200] or None
            try:
                if not isinstance(row, dict):
                    raise RowError(f"the source gave a {type(row).__name__}, not a row of "
                                   "fields")
                if row.get("__error__"):
                    # The connector could read the row but not make sense of it.
                    raise RowError(str(row["__error__"]))
                mapped = self.mapping.apply(row)
                ext = mapped.external_id
                owner_id = self._owner(mapped)
                record, status = store.upsert(
                    self.connection.id, mapped.external_id, mapped.type, mapped.fields,
                    owner=owner_id, owner_ref=mapped.owner_ref,
                    occurred_at=mapped.occurred_at, existing=known.get(mapped.external_id))
                known[mapped.external_id] = record
            except RowError as exc:
                self._fail(ref, ext, str(exc), row)
            except Exception as exc:  # a database error on one row must not stop the run
                log.exception("row %s of connection %s failed", ref or index,
                              self.connection.id)
                self._fail(ref, ext, f"could not be stored: {exc}", row)
            else:
                setattr(self.run, status, getattr(self.run, status) + 1)
            self.run.processed += 1

    def _owner(self, mapped):
        if not self.owners or not mapped.owner_ref:
            return None
        try:
            return self.owners.find(mapped.owner_ref)
        except RowError:
            if self.mapping.owner["unmatched"] == "reject":
                raise
            self.unowned[mapped.owner_ref] = self.unowned.get(mapped.owner_ref, 0) + 1
            return None

    def _fail(self, ref, ext, reason, row):
        self.run.failed += 1
        if self.run.failed <= MAX_FAILURES_KEPT:
            data = {k: v for k, v in row.items() if k not in ("__row__", "__error__")} \
                if isinstance(row, dict) else repr(row)
            SyncFailure.create(run=self.run, row_ref=ref[:200], external_id=ext,
                               reason=reason, data=data)

    def summary(self):
        if not self.unowned:
            return ""
        names = ", ".join(f"{k!r} ({v})" for k, v in sorted(self.unowned.items())[:10])
        more = "" if len(self.unowned) <= 10 else f" and {len(self.unowned) - 10} more"
        return (f"{sum(self.unowned.values())} row(s) stored without owner: no person matches"
                f" by {self.mapping.owner['match']}: {names}{more}")


def run(connection, trigger="manual", full=False, progress=None, run_id=None):
    """Pull ``connection`` from its cursor (from the start when ``full``); return the run.

    ``run_id`` names a queued run (see ``create_queued``) to start instead of a new one.

    ``progress(run)`` is called after each stored batch. Errors of the source end the run
    as failed with the reason; the records and cursor of batches already stored stay.
    """
    if isinstance(connection, int):
        connection = Connection.get_by_id(connection)
    sync_run = _claim(connection, trigger, run_id)
    storer, taken_over = None, False
    try:
        connector = connector_for(connection)
        if connector.kind != "pull":
            raise ConnectorError(f"connector {connection.connector!r} receives webhooks; it "
                                 "has nothing to pull")
        storer = _Storer(connection, sync_run)
        cursor = None if full else connection.cursor
        for batch in connector.pull(settings_of(connection), cursor):
            # _locked: the connection's lock first, as recover(), _claim and create_queued
            # take it before they touch a run. On PostgreSQL the batch used to lock its run's
            # row (the save) and then the connection's row (the cursor) while the recovery
            # locks the connection's and then the run's: a deadlock when a slow batch is
            # taken for dead. In one order, the recovery waits for the batch to commit and
            # then sees its fresh heartbeat. (SQLite serialises writers anyway.)
            with _locked(connection.id):
                storer.store(batch.rows)
                if batch.total is not None:
                    sync_run.total = batch.total
                sync_run.heartbeat_at = utcnow()
                # Rolls the batch back when the run was taken over: its resume reads it.
                _save_progress(sync_run)
                connection.cursor = batch.cursor
                Connection.update(cursor=batch.cursor).where(
                    Connection.id == connection.id).execute()
            if progress:
                progress(sync_run)
        sync_run.status = "succeeded"
    except TakenOver as exc:
        taken_over = True
        log.warning("sync of %s stopped: %s", connection.name, exc)
    except ConnectorError as exc:
        _reload_counts(sync_run)
        sync_run.status, sync_run.message = "failed", str(exc)
        log.warning("sync of %s failed: %s", connection.name, exc)
    except Exception as exc:
        _reload_counts(sync_run)
        sync_run.status = "failed"
        sync_run.message = f"internal error: {exc!r} (details in the server log)"
        log.exception("sync of %s failed", connection.name)
    except (KeyboardInterrupt, SystemExit):
        # Ctrl+C or a worker shutting down: the open batch was rolled back; say so, so the
        # next run need not wait for the heartbeat to go stale.
        _reload_counts(sync_run)
        sync_run.status = "interrupted"
        sync_run.message = "stopped before the end; the next run resumes from the last " \
                           "stored batch"
        raise
    finally:
        # A kill (SIGKILL, power loss) leaves the status "running"; the next run marks it
        # interrupted once its heartbeat is stale.
        if sync_run.status != "running" or taken_over:
            if storer and storer.summary():
                sync_run.message = "; ".join(m for m in (sync_run.message, storer.summary())
                                             if m)
            sync_run.finished_at = utcnow()
            if taken_over or not _finish(sync_run):
                sync_run = _note_taken_over(sync_run)
    return sync_run


def _note_taken_over(sync_run):
    """Leave the status and message the recovery wrote (they say which run resumes), and add
    why the run stopped: the user sees it was alive, not killed."""
    stored = SyncRun.get_by_id(sync_run.id)
    seconds = int(_stale_after().total_seconds())
    stored.message = "; ".join(m for m in (stored.message, (
        f"it was still going (one batch took longer than the stale limit, {seconds} s) and "
        "stopped at its next batch without storing it")) if m)
    SyncRun.update(message=stored.message).where(SyncRun.id == stored.id).execute()
    return stored


def recover(now=None):
    """Deal with runs lost with their worker; return the queued runs to hand to the worker.

    A "running" run whose heartbeat is older than CONNECTOR_STALE_SECONDS died with its
    process (huey had already taken its task off the queue, so nothing would run it again):
    it is marked interrupted and, for a pull connector, a new queued run resumes from the
    cursor of its last stored batch, so nothing is lost or doubled. A "queued" run no worker
    started within that time (its task lost, say, with a worker killed before it began) is
    queued again as it is. Either way at most MAX_ATTEMPTS runs per chain, and every step
    says so in the run's message. A queued run whose task is still in the queue is not
    lost but waits behind other tasks (every worker thread busy with a long sync): it is
    left to wait, and says so.
    """
    now = now or utcnow()
    stale_after = _stale_after()
    limit = now - stale_after
    to_send = []
    candidates = [(r.id, r.status) for r in SyncRun.select(SyncRun.id, SyncRun.status).where(
        SyncRun.status.in_(("running", "queued")) & (SyncRun.heartbeat_at <= limit))
        .order_by(SyncRun.id)]
    # Read before taking any lock: the queue is another store (huey's SQLite file, Redis).
    in_queue = _runs_in_queue() if any(s == "queued" for _, s in candidates) else set()
    for run_id, _ in candidates:
        stale = SyncRun.get_or_none(SyncRun.id == run_id)
        if stale is None:
            continue
        with _locked(stale.connection_id):
            # Read again under the lock: a worker may have started or finished it since.
            stale = SyncRun.get_or_none(SyncRun.id == run_id)
            if stale is None or stale.status not in ("running", "queued") or \
                    stale.heartbeat_at > limit:
                continue
            seconds = int(stale_after.total_seconds())
            if stale.status == "queued":
                if stale.id in in_queue:
                    # Not lost: the worker will reach it. Sending it again would only stack
                    # copies behind it, and giving it up would drop it when it comes.
                    stale.heartbeat_at, stale.message = now, BEHIND
                    _save_and_log(stale, logging.INFO)
                    continue
                if stale.attempt >= MAX_ATTEMPTS:
                    stale.status, stale.finished_at = "interrupted", now
                    stale.message = (f"{GIVEN_UP}{MAX_ATTEMPTS} tries of "
                                     f"{seconds} s each; is 'alignboard worker' running?")
                else:
                    stale.attempt += 1
                    stale.heartbeat_at = now
                    stale.message = (f"no worker started it within {seconds} s; queued again "
                                     f"(attempt {stale.attempt} of {MAX_ATTEMPTS})")
                    to_send.append(stale)
                _save_and_log(stale)
                continue
            stale.status, stale.finished_at = "interrupted", now
            said = (f"stopped without finishing (worker killed?): no heartbeat for {seconds} "
                    f"s since {stale.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC")
            waiting = SyncRun.select().where((SyncRun.connection == stale.connection_id) &
                                             (SyncRun.status == "queued")).first()
            if not _pulls(stale.connection):
                stale.message = said
            elif waiting is not None:
                stale.message = f"{said}; queued run {waiting.id} resumes from the last " \
                                "stored batch"
            elif stale.attempt >= MAX_ATTEMPTS:
                stale.message = (f"{said}; not resumed: this was attempt {stale.attempt} of "
                                 f"{MAX_ATTEMPTS}. Start a sync by hand to resume from the "
                                 "last stored batch")
            else:
                resume = SyncRun.create(connection=stale.connection_id, trigger=stale.trigger,
                                        status="queued", message=WAITING, full=False,
                                        attempt=stale.attempt + 1, resume_of=stale.id)
                stale.message = (f"{said}; resumed from the last stored batch by run "
                                 f"{resume.id} (attempt {resume.attempt} of {MAX_ATTEMPTS})")
                to_send.append(resume)
            _save_and_log(stale)
    return to_send


def _save_and_log(run, level=logging.WARNING):
    """Store what the recovery decided about ``run`` and say it in the log."""
    run.save()
    log.log(level, "run %s of connection %s: %s", run.id, run.connection_id, run.message)


def _runs_in_queue():
    """Ids of the runs whose "connectors.sync" task waits in the app's queue (or is
    scheduled there, as a run retried in a minute after SyncBusy). None known when the
    queue cannot be read: the runs are then treated as lost, as before this check."""
    from .. import tasks

    try:
        huey = tasks.huey_for()
        queued = list(huey.pending()) + list(huey.scheduled())
    except Exception:
        log.exception("the task queue could not be read; queued runs count as lost")
        return set()
    ids = set()
    for task in queued:
        args = task.args or ()
        if len(args) == 2 and args[0] == "connectors.sync" and isinstance(args[1], dict):
            ids.add(args[1].get("run_id"))
    return ids


def _pulls(connection):
    try:
        return registry.get(connection.connector).kind == "pull"
    except ConnectorError:  # its plugin is not installed (any more): nothing can resume it
        return False


def preview(connection, mapping, limit=10):
    """Map the source's first rows with ``mapping`` without storing anything.

    Returns ``(source_fields, results)``; each result is a dict with ``row``, and either
    ``record`` (external_id, type, owner, occurred_at, fields) or ``error``.
    """
    connector = connector_for(connection)
    if connector.kind != "pull":
        raise ConnectorError("a push connection has no rows to preview until a delivery "
                             "arrives")
    mapper = Mapping(mapping)
    owner = mapper.owner
    owners = OwnerIndex(owner["match"]) if owner.get("source") else None
    rows = []
    for batch in connector.pull(settings_of(connection), None):
        rows += batch.rows[:limit - len(rows)]
        if len(rows) >= limit:
            break
    names, results = [], []
    for row in rows:
        if not isinstance(row, dict):
            results.append({"row": "", "error": "not a row of fields"})
            continue
        names += [k for k in row if not k.startswith("__") and k not in names]
        entry = {"row": str(row.get("__row__", ""))}
        try:
            if row.get("__error__"):
                raise RowError(row["__error__"])
            m = mapper.apply(row)
            person = None
            if owners and m.owner_ref:
                try:
                    person = owners.find(m.owner_ref)
                except RowError as exc:
                    if owner["unmatched"] == "reject":
                        raise
                    person = f"none ({exc})"
            entry["record"] = {"external_id": m.external_id, "type": m.type,
                               "owner": person, "owner_ref": m.owner_ref,
                               "occurred_at": m.occurred_at, "fields": m.fields}
        except RowError as exc:
            entry["error"] = str(exc)
        results.append(entry)
    return names, results


def _reload_counts(sync_run):
    # Counters of a batch that was rolled back must not be reported as done.
    stored = SyncRun.get_by_id(sync_run.id)
    for name in ("processed", "total", "created", "updated", "unchanged", "failed"):
        setattr(sync_run, name, getattr(stored, name))


def ingest(connection, rows, trigger="webhook"):
    """Store rows a webhook delivered, as one run (no cursor involved)."""
    sync_run = SyncRun.create(connection=connection, trigger=trigger, total=len(rows))
    storer = _Storer(connection, sync_run)
    try:
        with database.atomic():
            storer.store(rows)
            sync_run.status = "succeeded"
            sync_run.message = storer.summary()
            sync_run.finished_at = utcnow()
            sync_run.save()
    except Exception as exc:
        log.exception("webhook rows of %s could not be stored", connection.name)
        sync_run = SyncRun.get_by_id(sync_run.id)
        sync_run.status, sync_run.message = "failed", f"internal error: {exc!r}"
        sync_run.finished_at = utcnow()
        sync_run.save()
    return sync_run


def due(now=None):
    """Enabled pull connections whose schedule says they should run now."""
    now = now or utcnow()
    out = []
    push = {key for key, cls in registry.available().items() if cls.kind == "push"}
    for c in Connection.select().where((Connection.enabled == True) &  # noqa: E712
                                       (Connection.schedule_minutes > 0)):
        if c.connector in push:
            # A schedule stored before push connections refused one: running it would
            # only fail ("cannot pull") every interval.
            continue
        if c.last_run_at is None or c.last_run_at + timedelta(
                minutes=c.schedule_minutes) <= now + timedelta(seconds=5):
            out.append(c)
    return out
