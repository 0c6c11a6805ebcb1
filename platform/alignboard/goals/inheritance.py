"""Weighted inheritance of targets: a parent unit's total split over its child units.

Each child's share = inherit% x its HQ weight share + (100 - inherit)% x its local-factor
share, where the HQ weight share is its weight over the sum of the children's weights (equal
when HQ gave none) and the local-factor share is the mean of its factor scores over the sum of
all children's means. The resulting targets are written with the arithmetic that produced
them, so anyone can see how a number was derived.
"""
from ..db import database
from ..i18n import say as _
from ..metrics.api import KEEP, set_target
from ..org.models import Unit
from .hygiene import GoalError
from .models import LocalFactor, PlanWeight, TargetPlan


def factor_keys(plan):
    return [k.strip() for k in (plan.factor_keys or "").split(",") if k.strip()]


def derive(plan):
    """The derived targets of ``plan`` as dicts (unit_id, unit, value, derivation, shares).
    Raises GoalError when the plan cannot be computed."""
    errors = {}
    if not 0 <= plan.inherit_pct <= 100:
        errors["inherit_pct"] = [_("the inherited share is a percentage from 0 to 100")]
    if plan.total is None or plan.total < 0:
        errors["total"] = [_("the total target is a number, 0 or more")]
    children = list(Unit.select().where(Unit.parent == plan.parent_unit).order_by(Unit.name))
    if not children:
        errors["parent_unit"] = [_("%(unit)s has no child units to split over",
                                   unit=plan.parent_unit.name)]
    keys = factor_keys(plan)
    local_pct = 100 - plan.inherit_pct
    if local_pct > 0 and not keys:
        errors["factor_keys"] = [_("name the local factors (e.g. customer_density,competition) "
                                   "or inherit 100%")]
    if errors:
        raise GoalError(errors)
    weights = {w.unit_id: w.hq_weight for w in PlanWeight.select().where(PlanWeight.plan == plan)}
    if any(w < 0 for w in weights.values()):
        raise GoalError({"weights": [_("HQ weights must not be negative")]})
    hq = {u.id: weights.get(u.id, 0 if weights else 1) for u in children}
    hq_total = sum(hq.values())
    if hq_total <= 0:
        raise GoalError({"weights": [_("at least one HQ weight must be above 0")]})
    factors = {}
    for f in LocalFactor.select().where(LocalFactor.unit.in_([u.id for u in children])
                                        & LocalFactor.key.in_(keys or [""])):
        factors[(f.unit_id, f.key)] = f.value
    missing = [f"{u.name}: {k}" for u in children for k in keys if (u.id, k) not in factors]
    if local_pct > 0 and missing:
        raise GoalError({"factor_keys": [_("HR has not entered these local factors yet: "
                                           "%(missing)s", missing="; ".join(missing))]})
    scores = {u.id: (sum(factors[(u.id, k)] for k in keys) / len(keys) if keys else 0)
              for u in children}
    score_total = sum(scores.values())
    out = []
    inherit = plan.inherit_pct / 100
    for u in children:
        hq_share = hq[u.id] / hq_total
        local_share = scores[u.id] / score_total if score_total > 0 else 1 / len(children)
        share = inherit * hq_share + (1 - inherit) * local_share
        value = round(plan.total * share, 2)
        factor_text = ", ".join(f"{k} {factors.get((u.id, k), 0):g}" for k in keys)
        derivation = (f"{plan.total:,.0f} × ({plan.inherit_pct:g}% × {hq_share:.1%} HQ weight"
                      f" + {local_pct:g}% × {local_share:.1%} local factors"
                      + (f" [{factor_text}]" if keys else "") + f") = {value:,.2f}")
        out.append({"unit_id": u.id, "unit": u.name, "value": value, "hq_share": hq_share,
                    "local_share": local_share, "derivation": derivation})
    return out


def apply(plan):
    """Compute the plan and write the child units' targets; return the derived rows."""
    if isinstance(plan, int):
        plan = TargetPlan.get_by_id(plan)
    rows = derive(plan)
    with database.atomic():
        for r in rows:
            try:
                # A plan has no curve of its own: keep the one HR set on the target.
                set_target(plan.metric.key, "unit", r["unit_id"], plan.period_id, r["value"],
                           curve=KEEP, derivation=f"{plan.name}: {r['derivation']}")
            except ValueError as exc:
                field, message = exc.args
                raise GoalError({field: [message]}) from None
        TargetPlan.update(applied=rows).where(TargetPlan.id == plan.id).execute()
    return rows
