"""Health cards: red/amber/green per key result and per objective.

A key result's progress is (current - start) / (target - start), its current value the
metric's value for the KR's owner (or the objective's unit) in the objective's period, or
else the latest check-in. Its health compares progress with the share of the period gone by
(pace): green at or ahead of pace, amber up to 15% behind, red further behind or past the
deadline unfinished.

A key result measured by a metric follows the metric, so a card never disagrees with the
metric's tables:

- when it measures exactly what the metric's stored value measures (same subject and
  period, the same target or none of its own, start 0, no deadline before the period end),
  it takes that value's pace and colour: the colour the tables show, streak bands ("N
  periods in a row") and the target's seasonality curve included;
- otherwise its pace uses its own target, with the metric target's seasonality curve for
  the expected share when there is one, and the metric's colour rule colours it with its
  single-period bands (on % of pace its pace, on % of target its progress, on the value its
  current value): a streak belongs to the metric's own target, not to this key result's.

An objective takes its weakest key result's colour, or with ``health_mode = weighted`` the
colour of its key results' weighted pace: by the single-period bands of the one colour rule
on % of pace that all its measured key results share, else by the default bands.
"""
import math

from ..i18n import N_, Phrase
from ..metrics import colours, pace
from ..metrics.models import MetricValue, Target
from .models import CheckIn, KeyResult

# Blue (a metric's "ahead" band) ranks with green; grey means "not measurable" and is
# left out before ranking.
RANK = {"blue": 0, "green": 0, "amber": 1, "red": 2, "grey": -1}

# Explanations are Phrases: English in the API, the reader's language on pages.
PAST_DEADLINE = Phrase(N_("past the deadline and not reached"))


def colour_for(pace_pct):
    if pace_pct is None:
        return "grey"
    if pace_pct >= 100:
        return "green"
    if pace_pct >= 85:
        return "amber"
    return "red"


def _single_period(bands):
    return [b for b in bands if (b.consecutive or 1) == 1]


def _metric_colour(rule, bands, value, progress, pace_pct):
    """Colour from a metric's colour rule with its single-period bands, or None when the
    rule has none (the default bands apply then)."""
    bands = _single_period(bands)
    if rule is None or not bands:
        return None
    basis = {"value": value, "pace": pace_pct,
             "target": None if progress is None else progress * 100}[rule.basis]
    if basis is None:
        return "grey"
    band = colours.pick(bands, [basis])
    return band.colour if band else "grey"


# Words for what a metric is computed per, in "not computed per month".
PER_WORDS = {"week": N_("week"), "month": N_("month"), "quarter": N_("quarter"),
             "year": N_("year"), "person": N_("person"), "unit": N_("unit")}


def not_computed(metric, period_kind, subject_type):
    """Why ``metric`` has no value for a key result in a period of ``period_kind`` read for
    a ``subject_type`` (a Phrase), or None when it has one."""
    if period_kind not in metric.kinds:
        per = period_kind
    elif subject_type not in metric.subject_types:
        per = subject_type
    else:
        return None
    return Phrase(N_("%(metric)s is not computed per %(per)s"), metric=metric.name,
                  per=Phrase(PER_WORDS.get(per, per)))


def refusal(metric, period_kind, subject_type):
    """The reason a key result measured by ``metric`` is refused on save (a Phrase), or
    None: a metric never computed for its period kind or subject would leave it grey for
    good."""
    why = not_computed(metric, period_kind, subject_type)
    if why is None:
        return None
    return Phrase(N_("%(reason)s, so it can never measure this key result: choose another "
                     "metric or change the metric's period kinds or grouping"), reason=why)


def subject_type_for(owner_id, objective):
    """The subject type a key result owned by ``owner_id`` (or nobody) is measured for."""
    return "unit" if not owner_id and objective.unit_id else "person"


def subject_of(kr, objective):
    """(subject_type, subject_id) a key result's metric is read for."""
    if kr.owner_id:
        return ("person", kr.owner_id)
    if objective.unit_id:
        return ("unit", objective.unit_id)
    return ("person", objective.owner_id)


def metric_row(kr, objective):
    """The metric's stored value for the key result's subject and period, or None."""
    if not kr.metric_id:
        return None
    subject_type, subject_id = subject_of(kr, objective)
    return MetricValue.get_or_none(
        (MetricValue.metric == kr.metric_id) & (MetricValue.subject_type == subject_type)
        & (MetricValue.subject_id == subject_id)
        & (MetricValue.period == objective.period_id))


def current_value(kr, objective, row=None):
    """(value, source) of a key result now (``row``: its metric_row, when read already)."""
    if kr.metric_id:
        row = row if row is not None else metric_row(kr, objective)
        return (row.value if row else 0.0), "metric"
    last = (CheckIn.select().where(CheckIn.key_result == kr)
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).first())
    if last is not None:
        return last.progress, "check-in"
    return kr.current_value, "manual"


def _curve(kr, objective):
    """The seasonality curve (weights) of the metric target for the key result's subject
    and period, or None."""
    if not kr.metric_id:
        return None
    subject_type, subject_id = subject_of(kr, objective)
    t = Target.get_or_none((Target.metric == kr.metric_id)
                           & (Target.subject_type == subject_type)
                           & (Target.subject_id == subject_id)
                           & (Target.period == objective.period_id))
    return t.curve.values if t is not None and t.curve_id else None


def expected_share(period, deadline, day, curve=None):
    """Share of the target expected by the end of ``day`` for a key result due at
    ``deadline`` (or the period end). A curve describes the whole period, so before an
    earlier deadline the share is the curve's share at ``day`` over its share at the
    deadline (linear over the days to the deadline without a curve, as before)."""
    end = min(period.end, deadline) if deadline else period.end
    if not curve or end >= period.end or day >= end:
        return pace.elapsed_share(period.start, end, day, curve)
    whole = pace.elapsed_share(period.start, period.end, end, curve)
    if whole <= 0:
        return pace.elapsed_share(period.start, end, day)
    return pace.elapsed_share(period.start, period.end, day, curve) / whole


def _same_as_row(kr, objective, row):
    """Whether the key result measures exactly what the metric's stored value does, so its
    pace and colour are the stored ones."""
    if row is None or row.target is None:
        return False
    if kr.target_value is not None and not math.isclose(kr.target_value, row.target,
                                                        rel_tol=1e-9, abs_tol=1e-9):
        return False
    if (kr.start_value or 0) != 0:
        return False
    return not (kr.deadline and kr.deadline < objective.period.end)


def key_result_card(kr, objective, day=None, engines=None):
    """Health card of a key result on ``day`` (default: today, pace.as_of()). ``engines``
    caches metric engines per day across cards (for a day other than today)."""
    today = pace.as_of()
    day = day or today
    engines = {} if engines is None else engines
    row = metric_row(kr, objective)
    value, source = current_value(kr, objective, row)
    # A metric never computed for this period kind or subject has no value to show: grey
    # with the reason, not 0 and a colour.
    unmeasured = (not_computed(kr.metric, objective.period.kind, subject_of(kr, objective)[0])
                  if kr.metric_id else None)
    on_day = None
    if kr.metric_id and day != today and unmeasured is None:
        # The stored row is the value on the pace day; another day has its own value (the
        # rows up to that day) as well as its own plan.
        from ..metrics.engine import state_on
        on_day = state_on((kr.metric_id, *subject_of(kr, objective), objective.period_id),
                          day, engines)
        if on_day is not None:
            value = on_day.value
    period = objective.period
    rule, bands = colours.rule_for(kr.metric_id) if kr.metric_id else (None, [])
    shared = _same_as_row(kr, objective, row)
    target = row.target if shared else kr.target_value
    progress = None
    if target is not None and value is not None and target != kr.start_value:
        progress = (value - kr.start_value) / (target - kr.start_value)
    curve = _curve(kr, objective)
    share = expected_share(period, kr.deadline, day, curve)
    pace_pct, colour_from, by_rule = None, "key result", False
    if shared:
        ratio, stored = (row.pace, row.colour) if on_day is None else (on_day.pace,
                                                                        on_day.colour)
        pace_pct = None if ratio is None else ratio * 100
        colour_from = "metric value"
        if stored is not None:
            colour, by_rule = stored, rule is not None
        elif rule is not None and _single_period(bands):
            colour, by_rule = "grey", True   # no band holds it: the tables show no colour
        else:
            colour = colour_for(pace_pct)
    else:
        if progress is not None:
            pace_pct = progress * 100 if share == 0 else progress / share * 100
            if share == 0:
                pace_pct = 100.0 if progress >= 0 else 0.0
        colour = _metric_colour(rule, bands, value, progress, pace_pct)
        by_rule = colour is not None
        if colour is None:
            colour = colour_for(pace_pct)
    reason = ""
    if kr.deadline and day > kr.deadline and progress is not None and progress < 1:
        colour, reason = "red", PAST_DEADLINE
    elif progress is None:
        reason = Phrase(N_("no target value or no value yet"))
    if unmeasured is not None:
        value = progress = pace_pct = None
        colour, by_rule, reason = "grey", False, unmeasured
    metric = kr.metric if kr.metric_id else None
    return {"id": kr.id, "title": kr.title, "owner_id": kr.owner_id,
            "criterion": kr.criterion, "deadline": kr.deadline.isoformat() if kr.deadline else None,
            "weight": kr.weight, "metric": metric.key if metric else None,
            "metric_name": metric.name if metric else None,
            "start_value": kr.start_value, "target_value": target,
            "unit_label": kr.unit_label, "current_value": value, "source": source,
            "progress": progress, "expected_share": share, "pace_pct": pace_pct,
            "colour": colour,
            "bands": f"metric colour rule ({rule.basis})" if by_rule else "default",
            # Which bands to read the colour with: the metric's legend, or the default one.
            "colour_rule": ({"metric_id": metric.id, "metric": metric.key,
                             "name": metric.name, "basis": rule.basis} if by_rule else None),
            "colour_from": colour_from, "reason": reason}


def _weighted_bands(known):
    """(rule, single-period bands, why) for colouring a weighted pace: the one colour rule
    on % of pace all measured key results share, else (None, None, why not)."""
    ids = {k["colour_rule"]["metric_id"] if k["colour_rule"] else None for k in known}
    if ids == {None}:
        return None, None, Phrase(N_("default bands"))
    if None in ids or len(ids) > 1:
        return None, None, Phrase(N_(
            "default bands: the key results have no common colour rule"))
    rule, bands = colours.rule_for(ids.pop())
    single = _single_period(bands)
    if rule is None or rule.basis != "pace" or not single:
        return None, None, Phrase(N_(
            "default bands: the common colour rule has no bands on %(basis)s"),
            basis=Phrase(N_("the share of pace")))
    return rule, single, Phrase(N_("bands of %(metric)s"), metric=known[0]["metric_name"])


def objective_card(objective, day=None, engines=None):
    """Health of an objective with its key results' cards."""
    engines = {} if engines is None else engines
    krs = [key_result_card(kr, objective, day, engines) for kr in
           KeyResult.select().where(KeyResult.objective == objective).order_by(KeyResult.id)]
    known = [k for k in krs if k["colour"] != "grey"]
    if not known:
        colour, how = "grey", Phrase(N_("no key result can be measured yet"))
    elif objective.health_mode == "weighted":
        weights = [k["weight"] or 0 for k in known]
        if sum(weights) > 0:
            pct = sum(w * (k["pace_pct"] or 0) for w, k in zip(weights, known)) / sum(weights)
        else:
            pct = sum(k["pace_pct"] or 0 for k in known) / len(known)
        rule, bands, which = _weighted_bands(known)
        if rule is None:
            colour = colour_for(pct)
        else:
            band = colours.pick(bands, [pct])
            colour = band.colour if band else "grey"
        how = Phrase(N_("weighted pace %(pct)s%%, %(which)s"), pct=f"{pct:.0f}", which=which)
        if (any(k["reason"] == PAST_DEADLINE for k in known)
                and RANK.get(colour, 0) == 0 and colour != "grey"):
            colour = "amber"
    else:
        worst = max(known, key=lambda k: RANK[k["colour"]])
        colour, how = worst["colour"], Phrase(N_("weakest key result: %(title)s"),
                                              title=worst["title"])
    return {"colour": colour, "how": how, "key_results": krs}
