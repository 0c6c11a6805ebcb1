"""The goals demo on the CRM sample (after the metrics demo): a company objective for
2017-Q4 cascading to the three offices and to the reps of one team, key results measured
by "won value" and "collections" or by check-ins, a target plan deriving the offices'
targets 70% from HQ weights and 30% from local factors, and one office whose focus does
not match the company's (flagged red), one activity-worded key result (a hygiene hint).
"""
from ..db import database
from ..metrics.models import Metric, Target
from ..org.models import Period, Person, Role, Unit
from . import inheritance
from .models import KeyResult, LocalFactor, Objective, PlanWeight, TargetPlan

MARK = "[demo]"
OFFICE_SETUP = {
    # office name: (focus tags, HQ weight, customer density, competition headroom)
    "Central office": ("gtx,mg", 40, 8, 5),
    "East office": ("mg", 35, 6, 7),
    "West office": ("services", 25, 5, 4),
}


def install(echo=print):
    """Create (or recreate) the demo objectives and target plan; return a summary."""
    won = Metric.get_or_none(Metric.key == "won_value")
    collections = Metric.get_or_none(Metric.key == "collections")
    q4 = Period.get_or_none((Period.kind == "quarter") & (Period.name == "2017-Q4"))
    company = Unit.get_or_none(Unit.kind == "company")
    if won is None or q4 is None or company is None:
        echo("goals demo skipped: install the metrics demo on the demo company first")
        return {}
    offices = {u.name: u for u in Unit.select().where(Unit.parent == company)}
    with database.atomic():
        Objective.delete().where(Objective.description == MARK).execute()
        plan = TargetPlan.get_or_none(TargetPlan.name == "Offices 2017-Q4")
        office_target = {u.id: (Target.get_or_none((Target.metric == won)
                                                   & (Target.subject_type == "unit")
                                                   & (Target.subject_id == u.id)
                                                   & (Target.period == q4)))
                         for u in offices.values()}
        total = sum(t.value for t in office_target.values() if t) or 1_000_000
        if plan is None:
            plan = TargetPlan.create(name="Offices 2017-Q4", metric=won, period=q4,
                                     parent_unit=company, total=total, inherit_pct=70,
                                     factor_keys="customer_density,competition")
        PlanWeight.delete().where(PlanWeight.plan == plan).execute()
        for name, (_, weight, density, competition) in OFFICE_SETUP.items():
            unit = offices.get(name)
            if unit is None:
                continue
            PlanWeight.create(plan=plan, unit=unit, hq_weight=weight)
            for key, value in (("customer_density", density), ("competition", competition)):
                LocalFactor.insert(unit=unit, key=key, value=value).on_conflict(
                    conflict_target=[LocalFactor.unit, LocalFactor.key],
                    update={LocalFactor.value: value}).execute()
        derived = {r["unit_id"]: r["value"] for r in inheritance.apply(plan)}

        top = Objective.create(title="Grow won value in 2017-Q4", description=MARK,
                               period=q4, unit=company, tags="gtx,mg", health_mode="weighted")
        KeyResult.create(objective=top, title="Won value reaches the quarterly plan",
                         criterion="sum of won deals closed in the quarter", metric=won,
                         target_value=plan.total, unit_label="USD", weight=70,
                         deadline=q4.end)
        if collections is not None:
            KeyResult.create(objective=top, title="Collections above the threshold",
                             criterion="won deals above the collection amount",
                             metric=collections, target_value=150, unit_label="deals",
                             weight=30, deadline=q4.end)
        else:
            KeyResult.update(weight=100).where(KeyResult.objective == top).execute()
        made = 1
        for name, (tags, *_rest) in OFFICE_SETUP.items():
            unit = offices.get(name)
            if unit is None:
                continue
            o = Objective.create(title=f"{name}: deliver its share of won value",
                                 description=MARK, period=q4, unit=unit, parent=top, tags=tags)
            KeyResult.create(objective=o, title=f"Won value of {name}", metric=won,
                             target_value=derived.get(unit.id), unit_label="USD", weight=100,
                             criterion="derived by the plan 'Offices 2017-Q4'",
                             deadline=q4.end)
            made += 1
        central = offices.get("Central office")
        reps = list(Person.select().join(Role).switch(Person).join(Unit).where(
            (Role.key == "rep") & (Unit.parent == central)).order_by(Person.name).limit(5)) \
            if central else []
        parent = Objective.get_or_none((Objective.unit == central)
                                       & (Objective.description == MARK))
        for rep in reps:
            t = Target.get_or_none((Target.metric == won) & (Target.subject_type == "person")
                                   & (Target.subject_id == rep.id) & (Target.period == q4))
            o = Objective.create(title="Win my quarter", description=MARK, period=q4,
                                 owner=rep, parent=parent, tags="gtx")
            KeyResult.create(objective=o, title="Won value reaches my target", owner=rep,
                             metric=won, target_value=t.value if t else None,
                             unit_label="USD", weight=70, deadline=q4.end,
                             criterion="won deals closed in 2017-Q4")
            KeyResult.create(objective=o, title="完成10次客户拜访", owner=rep,
                             target_value=10, unit_label="visits", weight=30,
                             deadline=q4.end, criterion="three-field check-ins")
            made += 1
    echo(f"goals: {made} objectives, plan 'Offices 2017-Q4' applied to {len(derived)} offices")
    return {"objectives": made, "derived_targets": len(derived)}
