"""Writing records: upsert by (connection, external id), history on change, one event each."""
import logging

from .. import events
from ..db import database, utcnow
from .models import Record, RecordVersion

log = logging.getLogger(__name__)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def _payload(record, previous=None):
    body = {"record_id": record.id, "connection_id": record.connection_id,
            "external_id": record.external_id, "type": record.type,
            "owner_id": record.owner_id,
            "occurred_at": record.occurred_at.isoformat() if record.occurred_at else None,
            "fields": record.fields}
    if previous is not None:
        body["previous"] = previous
    return body


# ``existing`` default: look the record up. Bulk writers (a sync batch) pass the record they
# prefetched, or None when they know it does not exist, saving one query per row.
LOOKUP = object()


def prefetch(connection_id, external_ids):
    """``{external_id: Record}`` of the records that exist among ``external_ids``."""
    ids = list({str(e) for e in external_ids})
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for record in Record.select().where((Record.connection_id == connection_id) &
                                            (Record.external_id.in_(chunk))):
            found[record.external_id] = record
    return found


def upsert(connection_id, external_id, type, fields, owner=None, owner_ref=None,
           occurred_at=None, existing=LOOKUP):
    """Create or update one record; return ``(record, CREATED | UPDATED | UNCHANGED)``.

    A changed record keeps its old values in ``RecordVersion`` and emits ``record.changed``;
    a new one emits ``record.created``; an identical one does nothing. Runs in a
    transaction, so the record, its history and its event are stored together or not at all.
    """
    external_id = str(external_id)
    owner_id = owner.id if hasattr(owner, "id") else owner
    with database.atomic():
        record = existing if existing is not LOOKUP else Record.get_or_none(
            (Record.connection_id == connection_id) & (Record.external_id == external_id))
        if record is None:
            record = Record.create(connection_id=connection_id, external_id=external_id,
                                   type=type, owner=owner_id, owner_ref=owner_ref,
                                   occurred_at=occurred_at, fields=fields)
            events.publish("record.created", **_payload(record))
            return record, CREATED
        same = (record.type == type and record.owner_id == owner_id
                and record.occurred_at == occurred_at and record.fields == fields
                and record.owner_ref == owner_ref)
        if same:
            return record, UNCHANGED
        previous = {"type": record.type, "owner_id": record.owner_id,
                    "occurred_at": record.occurred_at.isoformat() if record.occurred_at
                    else None, "fields": record.fields}
        RecordVersion.create(record=record, version=record.version, type=record.type,
                             owner_id=record.owner_id, occurred_at=record.occurred_at,
                             fields=record.fields)
        record.type, record.owner, record.owner_ref = type, owner_id, owner_ref
        record.occurred_at, record.fields = occurred_at, fields
        record.version += 1
        record.updated_at = utcnow()
        record.save()
        events.publish("record.changed", **_payload(record, previous))
        return record, UPDATED
