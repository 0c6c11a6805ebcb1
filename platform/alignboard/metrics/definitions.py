"""Checking and saving metric definitions: every rule a definition must meet, in one place,
used by the admin and the API alike. Nothing is saved unless all of it is valid.
"""
import logging
import re

from ..db import database, utcnow
from ..i18n import say as _
from . import colours, formulas
from .models import (AGGREGATIONS, FILTER_OPS, KINDS, PERIOD_KINDS, SOURCES, WINDOWS,
                     CompositePart, Metric, MetricFilter)

log = logging.getLogger(__name__)

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
WEIGHT_TOLERANCE = 1e-6


class MetricError(ValueError):
    """An invalid definition; ``errors`` maps field names to lists of messages."""

    def __init__(self, errors):
        self.errors = errors
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1][0]}")


def _dependencies(metric_like, parts, by_id):
    """Metric keys a definition depends on."""
    kind = metric_like.get("kind")
    if kind == "formula":
        try:
            return formulas.names_and_calls(metric_like.get("formula") or "")[0]
        except formulas.FormulaError:
            return set()
    if kind == "composite":
        return {p["part_key"] for p in parts}
    if metric_like.get("aggregation") == "ratio":
        return {k for k in (metric_like.get("numerator_key"),
                            metric_like.get("denominator_key")) if k}
    return set()


def _graph(exclude_key):
    """key -> set of keys it depends on, for every stored metric except ``exclude_key``."""
    by_id = {m.id: m for m in Metric.select()}
    parts = {}
    for p in CompositePart.select():
        parts.setdefault(p.metric_id, []).append(
            {"part_key": by_id[p.part_id].key if p.part_id in by_id else None})
    graph = {}
    for m in by_id.values():
        if m.key == exclude_key:
            continue
        like = {"kind": m.kind, "formula": m.formula, "aggregation": m.aggregation,
                "numerator_key": by_id[m.numerator_id].key if m.numerator_id in by_id else None,
                "denominator_key": (by_id[m.denominator_id].key
                                    if m.denominator_id in by_id else None)}
        graph[m.key] = _dependencies(like, parts.get(m.id, []), by_id)
    return graph


def _cycle(key, deps, graph):
    """A path key -> ... -> key through ``deps`` and ``graph``, or None."""
    graph = dict(graph)
    graph[key] = set(deps)
    stack = [(d, [key, d]) for d in sorted(deps)]
    seen = set()
    while stack:
        node, path = stack.pop()
        if node == key:
            return path
        if node in seen:
            continue
        seen.add(node)
        for nxt in sorted(graph.get(node, ())):
            stack.append((nxt, path + [nxt]))
    return None


def check(data, filters=(), parts=(), current_key=None):
    """Check a definition (a dict of Metric fields; ratio terms and composite parts by key).

    ``filters``: dicts field/op/value; ``parts``: dicts part_key/weight. Raises MetricError.
    """
    errors = {}

    def err(field, message):
        errors.setdefault(field, []).append(message)

    key = (data.get("key") or "").strip()
    if not KEY_RE.match(key):
        err("key", _("use 1-64 lower-case letters, digits and _, starting with a letter "
                     "(formulas refer to metrics by key)"))
    elif key in formulas.functions() or key in ("iif", "if", "and", "or", "not"):
        err("key", _("%(key)r is the name of a formula function", key=key))
    elif Metric.select().where((Metric.key == key) & (Metric.key != (current_key or ""))).exists():
        err("key", _("a metric with key %(key)r exists already", key=key))
    if current_key and key != current_key:
        users = sorted(dependents(current_key) - {current_key})
        if users:
            err("key", _("%(key)r is used by %(users)s; change those first",
                         key=current_key, users=", ".join(users)))
    if not (data.get("name") or "").strip():
        err("name", _("give the metric a name"))
    kind = data.get("kind") or "aggregate"
    if kind not in dict(KINDS):
        err("kind", _("choose one of %(choices)s", choices=", ".join(dict(KINDS))))
    kinds = [k.strip() for k in (data.get("period_kinds") or "").split(",") if k.strip()]
    if not kinds:
        err("period_kinds", _("choose at least one period kind (week, month, quarter, year)"))
    for k in kinds:
        if k not in PERIOD_KINDS:
            err("period_kinds", _("%(kind)r is not a period kind; use %(kinds)s",
                                  kind=k, kinds=", ".join(PERIOD_KINDS)))
    if not data.get("by_person", True) and not data.get("by_unit", True):
        err("by_person", _("compute the metric per person, per unit, or both"))
    if (data.get("decimals") or 0) not in range(0, 7):
        err("decimals", _("0 to 6 decimals"))

    known = {m.key for m in Metric.select(Metric.key)} - {current_key, key}
    if kind == "aggregate":
        source = data.get("source") or "records"
        aggregation = data.get("aggregation") or "count"
        if source not in dict(SOURCES):
            err("source", _("choose one of %(choices)s", choices=", ".join(dict(SOURCES))))
        if aggregation not in dict(AGGREGATIONS):
            err("aggregation", _("choose one of %(choices)s",
                                 choices=", ".join(dict(AGGREGATIONS))))
        if aggregation == "ratio":
            for term in ("numerator_key", "denominator_key"):
                ref = data.get(term)
                if not ref:
                    err(term, _("a ratio needs both a numerator and a denominator metric"))
                elif ref == key:
                    err(term, _("a ratio cannot use the metric itself"))
                elif ref not in known:
                    err(term, _("unknown metric %(key)r", key=ref))
        else:
            if source == "records" and not (data.get("record_types") or "").strip():
                err("record_types", _("name the record type(s) to count, e.g. deal"))
            if source == "form" and not (data.get("form_key") or "").strip():
                err("form_key", _("choose the form whose submissions count"))
            if aggregation in ("distinct", "sum", "avg", "min", "max") and \
                    not (data.get("field") or "").strip():
                err("field", _("%(aggregation)s needs the field it is taken over",
                               aggregation=aggregation))
        window = data.get("window") or "period"
        if window not in dict(WINDOWS):
            err("window", _("choose one of %(choices)s", choices=", ".join(dict(WINDOWS))))
        if window == "rolling":
            days = data.get("rolling_days")
            if not isinstance(days, int) or not 1 <= days <= 366:
                err("rolling_days", _("a rolling window needs 1 to 366 days"))
        for i, f in enumerate(filters, 1):
            if not (f.get("field") or "").strip():
                err("filters", _("filter %(n)d: name the field", n=i))
            if f.get("op") not in dict(FILTER_OPS):
                err("filters", _("filter %(n)d: choose an operator (%(ops)s)",
                                 n=i, ops=", ".join(dict(FILTER_OPS))))
            elif f.get("op") not in ("empty", "not_empty") and (f.get("value") in (None, "")):
                err("filters", _("filter %(n)d: give the value to compare with", n=i))
    elif kind == "formula":
        try:
            # The metric's own key is "known" here so that using it is reported as a cycle.
            formulas.check(data.get("formula") or "", known | {key})
        except formulas.FormulaError as exc:
            err("formula", str(exc))
    elif kind == "composite":
        if not parts:
            err("parts", _("a composite score needs at least one part"))
        total = 0.0
        for i, p in enumerate(parts, 1):
            if p.get("part_key") not in known | {key}:
                err("parts", _("part %(n)d: unknown metric %(key)r", n=i, key=p.get("part_key")))
            weight = p.get("weight")
            if not isinstance(weight, (int, float)) or weight < 0:
                err("parts", _("part %(n)d: the weight must be a number of percent, 0 or more",
                               n=i))
            else:
                total += weight
        if parts and abs(total - 100) > WEIGHT_TOLERANCE:
            err("parts", _("the weights add up to %(total)g%%; they must add up to 100%%",
                           total=total))
    if not errors:
        deps = _dependencies(dict(data, kind=kind), list(parts), None)
        path = _cycle(key, deps, _graph(current_key or key))
        if path:
            err("formula" if kind == "formula" else "parts" if kind == "composite"
                else "numerator_key",
                _("this makes a cycle between metrics: %(path)s", path=" -> ".join(path)))
    if errors:
        raise MetricError(errors)


FIELDS = ("key", "name", "description", "kind", "source", "record_types", "form_key",
          "aggregation", "field", "formula", "window", "rolling_days", "period_kinds",
          "by_person", "by_unit", "unit_label", "decimals", "active")


def save(data, filters=(), parts=(), metric=None, colour_rule=None):
    """Check and create (or update ``metric``) with its filters, parts and colour rule;
    then rebuild its values and those of metrics built on it. Returns the Metric."""
    from .rebuild import rebuild

    filters, parts = list(filters), list(parts)
    check(data, filters, parts, current_key=metric.key if metric else None)
    if colour_rule is not None:
        try:
            colours.check_bands(colour_rule.get("bands") or [])
        except colours.ColourError as exc:
            raise MetricError({"colour_rule": [str(exc)]}) from None
    with database.atomic():
        metric = metric or Metric()
        for f in FIELDS:
            if f in data:
                setattr(metric, f, data[f])
        metric.numerator = (Metric.get(Metric.key == data["numerator_key"])
                            if data.get("numerator_key") else None)
        metric.denominator = (Metric.get(Metric.key == data["denominator_key"])
                              if data.get("denominator_key") else None)
        metric.updated_at = utcnow()
        metric.save()
        MetricFilter.delete().where(MetricFilter.metric == metric).execute()
        for f in filters:
            MetricFilter.create(metric=metric, field=f["field"].strip(), op=f["op"],
                                value=str(f.get("value") if f.get("value") is not None else ""))
        CompositePart.delete().where(CompositePart.metric == metric).execute()
        for p in parts:
            CompositePart.create(metric=metric, part=Metric.get(Metric.key == p["part_key"]),
                                 weight=p["weight"])
        if colour_rule is not None:
            colours.save_rule(metric, colour_rule.get("basis") or "pace",
                              colour_rule.get("bands") or [], colour_rule.get("description", ""))
        rebuild(dependents(metric.key))
    return metric


def users_of(key):
    """Metrics built directly or indirectly on ``key`` (not ``key`` itself)."""
    return sorted(dependents(key) - {key})


def dependents(key):
    """``key`` and every metric that depends on it, directly or not."""
    graph = _graph(None)
    out, frontier = {key}, [key]
    while frontier:
        k = frontier.pop()
        for other, deps in graph.items():
            if k in deps and other not in out:
                out.add(other)
                frontier.append(other)
    return out
