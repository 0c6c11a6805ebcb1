"""Incremental updates: ``record.*`` and ``form.submitted`` events recompute only the
values they can change (the owner, the owner's units up the tree, the periods whose window
holds the row's day, before and after the change), synchronously in the publishing
transaction. A record that is, or was, a metric's earliest row also recomputes the keys
of every subject in the periods whose zeros it makes appear or vanish.

Moving a person to another unit or editing a metric is not an event here: the admin and the
API rebuild the metric they changed; ``alignboard metrics rebuild`` recomputes everything.
"""
import logging
from datetime import date, datetime

from .. import events
from .engine import Engine
from .models import Metric, MetricValue
from .sources import DatabaseRows
from .store import write

log = logging.getLogger(__name__)


def _day(value):
    if not value:
        return None
    if isinstance(value, (date, datetime)):
        return value.date() if isinstance(value, datetime) else value
    return datetime.fromisoformat(str(value)).date()


def _keys(engine, states, sig):
    keys = set()
    for metric in engine.metrics.values():
        for owner_id, day in states:
            keys |= engine.touched(metric, owner_id, day, source_sig=sig)
    return keys


def on_record(event):
    """A record was created or changed: update the values its old and new state touch."""
    if not Metric.select().where(Metric.active == True).exists():  # noqa: E712
        return 0
    engine = Engine(DatabaseRows())
    return write(engine, record_keys(engine, event.payload))


def record_keys(engine, p):
    """The keys a ``record.*`` payload can change: all that ``on_record`` recomputes."""
    keys = set()
    for state in (p, p.get("previous")):
        if not state:
            continue
        for metric in engine.metrics.values():
            for leaf in engine.leaves(metric):
                if leaf.source == "records" and state.get("type") in leaf.types:
                    keys |= engine.touched(metric, state.get("owner_id"),
                                           _day(state.get("occurred_at")),
                                           source_sig=("records", tuple(sorted(leaf.types))))
    for metric in engine.metrics.values():
        if metric.kind == "aggregate" and metric.source == "records":
            # The record may have moved where the metric's data begins, and so which
            # periods every subject shows 0 in.
            before, after = (_source_day(metric, s) for s in (p.get("previous"), p))
            keys |= engine.boundary_keys(metric, before, after, p.get("record_id"))
    return keys


def _source_day(metric, state):
    """The day a record state counts on in ``metric``'s source, or None when it is not one
    of its rows (the conditions of ``sources._records_query``)."""
    if (not state or state.get("type") not in metric.types or state.get("owner_id") is None
            or not state.get("occurred_at")):
        return None
    return _day(state.get("occurred_at"))


def on_form_submitted(event):
    """A form submission was accepted (new or edited): update the values it touches.

    An edit does not say what the submission held before, so for an edit every stored value
    of the submitter (and their units) under metrics of that form is recomputed as well.
    """
    if not Metric.select().where((Metric.active == True)  # noqa: E712
                                 & (Metric.source == "form")).exists():
        return 0
    p = event.payload
    engine = Engine(DatabaseRows())
    sig = ("form", p.get("form_key") or "")
    person_id = p.get("person_id")
    keys = _keys(engine, [(person_id, _day(p.get("submitted_at")))], sig)
    if not p.get("edited"):
        # A first submission may be the form's earliest, where its metrics' zeros begin (an
        # edit keeps its sending time, so it moves nothing).
        for metric in engine.metrics.values():
            if metric.kind == "aggregate" and metric.source == "form" and \
                    metric.form_key == sig[1]:
                keys |= engine.boundary_keys(metric, None, _day(p.get("submitted_at")),
                                             p.get("submission_id"))
    if p.get("edited"):
        for metric in engine.metrics.values():
            if not any(leaf.source == "form" and leaf.form_key == sig[1]
                       for leaf in engine.leaves(metric)):
                continue
            subjects = engine.org.subjects(person_id, metric.subject_types)
            for st, sid in subjects:
                q = MetricValue.select(MetricValue.period).where(
                    (MetricValue.metric == metric.id) & (MetricValue.subject_type == st)
                    & (MetricValue.subject_id == sid))
                keys |= {(metric.id, st, sid, v.period_id) for v in q}
    return write(engine, keys)


def recompute_key(metric_id, subject_type, subject_id, period_id):
    """Recompute one key now (after its target changed)."""
    engine = Engine(DatabaseRows())
    keys = {(metric_id, subject_type, subject_id, period_id)}
    metric = engine.metrics.get(metric_id)
    rule = engine.rules.get(metric_id)
    if metric is not None and rule and rule[1]:
        longest = max(b.consecutive or 1 for b in rule[1])
        for p in engine.calendar.following(engine.period(period_id), longest - 1):
            keys.add((metric_id, subject_type, subject_id, p.id))
    return write(engine, keys)


def subscribe():
    """Register the handlers on the event bus (idempotent)."""
    events.subscribe("record.created", on_record)
    events.subscribe("record.changed", on_record)
    events.subscribe("form.submitted", on_form_submitted)
