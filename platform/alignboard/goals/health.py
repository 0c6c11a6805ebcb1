"""Health cards: red/amber/green per key result and per objective.

A key result's progress is (current - start) / (target - start), its current value the
metric's value for the KR's owner (or the objective's unit) in the objective's period, or
else the latest check-in. Its health compares progress with the share of the period gone by
(pace): green at or ahead of pace, amber up to 15% behind, red further behind or past the
deadline unfinished. When the key result's metric has a colour rule, its single-period
bands colour the key result instead, so a card never disagrees with the metric's tables:
bands on % of pace compare the key result's pace, bands on % of target its progress, bands
on the value its current value. An objective takes its weakest key result's colour, or with
``health_mode = weighted`` the colour of its key results' weighted pace.
"""
from ..metrics import colours, pace
from ..metrics.models import MetricValue
from .models import CheckIn, KeyResult

# Blue (a metric's "ahead" band) ranks with green; grey means "not measurable" and is
# left out before ranking.
RANK = {"blue": 0, "green": 0, "amber": 1, "red": 2, "grey": -1}


def colour_for(pace_pct):
    if pace_pct is None:
        return "grey"
    if pace_pct >= 100:
        return "green"
    if pace_pct >= 85:
        return "amber"
    return "red"


def _metric_colour(kr, value, progress, pace_pct):
    """(colour, bands text) from the colour rule of ``kr``'s metric, or None without one.

    Streak bands (N periods in a row) are left out: a key result has one period.
    """
    if not kr.metric_id:
        return None
    rule, bands = colours.rule_for(kr.metric_id)
    bands = [b for b in bands if (b.consecutive or 1) == 1]
    if rule is None or not bands:
        return None
    basis = {"value": value, "pace": pace_pct,
             "target": None if progress is None else progress * 100}[rule.basis]
    if basis is None:
        return "grey", rule.basis
    band = colours.pick(bands, [basis])
    return (band.colour if band else "grey"), rule.basis


def current_value(kr, objective):
    """(value, source) of a key result now."""
    if kr.metric_id:
        if kr.owner_id:
            subject = ("person", kr.owner_id)
        elif objective.unit_id:
            subject = ("unit", objective.unit_id)
        else:
            subject = ("person", objective.owner_id)
        row = MetricValue.get_or_none(
            (MetricValue.metric == kr.metric_id) & (MetricValue.subject_type == subject[0])
            & (MetricValue.subject_id == subject[1])
            & (MetricValue.period == objective.period_id))
        return (row.value if row else 0.0), "metric"
    last = (CheckIn.select().where(CheckIn.key_result == kr)
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).first())
    if last is not None:
        return last.progress, "check-in"
    return kr.current_value, "manual"


def key_result_card(kr, objective, day=None):
    day = day or pace.as_of()
    value, source = current_value(kr, objective)
    progress = None
    if kr.target_value is not None and value is not None and kr.target_value != kr.start_value:
        progress = (value - kr.start_value) / (kr.target_value - kr.start_value)
    period = objective.period
    end = min(period.end, kr.deadline) if kr.deadline else period.end
    share = pace.elapsed_share(period.start, end, day)
    pace_pct = None
    if progress is not None:
        pace_pct = progress * 100 if share == 0 else progress / share * 100
        if share == 0:
            pace_pct = 100.0 if progress >= 0 else 0.0
    colour, bands = colour_for(pace_pct), "default"
    from_rule = _metric_colour(kr, value, progress, pace_pct)
    if from_rule is not None:
        colour, bands = from_rule[0], f"metric colour rule ({from_rule[1]})"
    reason = ""
    if kr.deadline and day > kr.deadline and progress is not None and progress < 1:
        colour, reason = "red", "past the deadline and not reached"
    elif progress is None:
        reason = "no target value or no value yet"
    return {"id": kr.id, "title": kr.title, "owner_id": kr.owner_id,
            "criterion": kr.criterion, "deadline": kr.deadline.isoformat() if kr.deadline else None,
            "weight": kr.weight, "metric": kr.metric.key if kr.metric_id else None,
            "start_value": kr.start_value, "target_value": kr.target_value,
            "unit_label": kr.unit_label, "current_value": value, "source": source,
            "progress": progress, "expected_share": share, "pace_pct": pace_pct,
            "colour": colour, "bands": bands, "reason": reason}


def objective_card(objective, day=None):
    """Health of an objective with its key results' cards."""
    krs = [key_result_card(kr, objective, day) for kr in
           KeyResult.select().where(KeyResult.objective == objective).order_by(KeyResult.id)]
    known = [k for k in krs if k["colour"] != "grey"]
    if not known:
        colour, how = "grey", "no key result can be measured yet"
    elif objective.health_mode == "weighted":
        weights = [k["weight"] or 0 for k in known]
        if sum(weights) > 0:
            pct = sum(w * (k["pace_pct"] or 0) for w, k in zip(weights, known)) / sum(weights)
        else:
            pct = sum(k["pace_pct"] or 0 for k in known) / len(known)
        colour, how = colour_for(pct), f"weighted pace {pct:.0f}%"
        if any(k["reason"].startswith("past the deadline") for k in known) and colour == "green":
            colour = "amber"
    else:
        worst = max(known, key=lambda k: RANK[k["colour"]])
        colour, how = worst["colour"], f"weakest key result: {worst['title']}"
    return {"colour": colour, "how": how, "key_results": krs}
