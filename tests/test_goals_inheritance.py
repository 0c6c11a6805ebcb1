"""Weighted inheritance: a region's target takes 70% from HQ's weights and 30% from the
local factors HR enters per unit, and shows how it was derived."""
import pytest

from alignboard.goals import inheritance
from alignboard.goals.hygiene import GoalError
from alignboard.goals.models import LocalFactor, PlanWeight, TargetPlan
from alignboard.metrics.models import Target
from alignboard.org.models import Period


@pytest.fixture
def plan(app, won_value):
    from alignboard.org.models import Unit
    with app.app_context():
        company = Unit.get(Unit.code == "co")
        north, south = Unit.get(Unit.code == "north"), Unit.get(Unit.code == "south")
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))
        p = TargetPlan.create(name="Regions Q1", metric=won_value, period=q1,
                              parent_unit=company, total=1_000_000, inherit_pct=70,
                              factor_keys="customer_density,competition")
        PlanWeight.create(plan=p, unit=north, hq_weight=60)
        PlanWeight.create(plan=p, unit=south, hq_weight=40)
        for unit, density, competition in ((north, 8, 4), (south, 2, 2)):
            LocalFactor.create(unit=unit, key="customer_density", value=density)
            LocalFactor.create(unit=unit, key="competition", value=competition)
        return p.id


def test_region_targets_mix_hq_weights_and_local_factors(app, plan, crm_people):
    with app.app_context():
        rows = {r["unit"]: r for r in inheritance.apply(plan)}
        # North: factors mean 6 of 8 in total -> 75%; 70% x 60% + 30% x 75% = 64.5%.
        assert rows["North"]["value"] == 645_000
        assert rows["South"]["value"] == 355_000
        assert rows["North"]["derivation"] == (
            "1,000,000 × (70% × 60.0% HQ weight + 30% × 75.0% local factors "
            "[customer_density 8, competition 4]) = 645,000.00")
        target = Target.get((Target.subject_type == "unit")
                            & (Target.subject_id == crm_people.north.id))
        assert target.value == 645_000 and "Regions Q1: 1,000,000" in target.derivation
        assert TargetPlan.get_by_id(plan).applied[0]["unit"] == "North"


def test_missing_local_factors_are_named_and_nothing_is_written(app, plan, crm_people):
    with app.app_context():
        LocalFactor.delete().where(LocalFactor.key == "competition").execute()
        with pytest.raises(GoalError, match="North: competition; South: competition"):
            inheritance.apply(plan)
        assert Target.select().where(Target.subject_type == "unit").count() == 0


def test_without_hq_weights_children_share_equally(app, plan, crm_people):
    with app.app_context():
        PlanWeight.delete().execute()
        p = TargetPlan.get_by_id(plan)
        p.inherit_pct = 100
        p.save()
        rows = inheritance.derive(p)
    assert [r["value"] for r in rows] == [500_000, 500_000]


def test_applying_a_plan_again_keeps_the_curve_hr_set_on_a_derived_target(app, plan,
                                                                          crm_people):
    from alignboard.metrics.models import SeasonalityCurve

    with app.app_context():
        inheritance.apply(plan)
        north = (Target.subject_type == "unit") & (Target.subject_id == crm_people.north.id)
        curve = SeasonalityCurve.create(name="back-loaded", weights="1,1,2")
        Target.update(curve=curve).where(north).execute()
        p = TargetPlan.get_by_id(plan)
        p.total = 2_000_000
        p.save()
        inheritance.apply(p)
        target = Target.get(north)
        assert target.value == 1_290_000 and target.curve_id == curve.id
