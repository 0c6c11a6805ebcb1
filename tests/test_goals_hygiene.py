"""OKR hygiene and alignment checks, in English and Chinese, configurable."""
import pytest

from alignboard.goals import hygiene
from alignboard.goals.models import HygieneSettings, KeyResult, Objective
from alignboard.org.models import Period


@pytest.fixture
def q1(app, crm_people):
    with app.app_context():
        return Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))


@pytest.mark.parametrize("title, verb", [
    ("Complete the pricing page", "complete"),
    ("publish two case studies", "publish"),
    ("完成10次客户拜访", "完成"),
    ("发布新版产品手册", "发布"),
    ("Raise trial conversion from 20% to 30%", None),
    ("客户满意度从80分提升到90分", None),
    ("Completion rate of onboarding at 60%", None),
    ("本季度完成10次客户拜访", "完成"),
    ("按时发布新版本", "发布"),
    ("Q4 complete 10 visits", "complete"),
    ("Hold churn below 5%", None),
    ("Run rate reaches 1M", None),
    ("Make gross margin 30%", None),
    ("Start-up customers renew at 90%", None),
    ("Do-not-call complaints under 3", None),
])
def test_activity_wording_is_recognised_in_both_languages(title, verb):
    assert hygiene.activity_verb(title, hygiene.DEFAULT_VERBS) == verb


def test_activity_key_results_get_a_suggestion_in_both_languages(app, q1, crm_people):
    with app.app_context():
        o = Objective.create(title="Grow", period=q1, owner=crm_people.rob)
        KeyResult.create(objective=o, title="完成10次客户拜访", weight=50)
        KeyResult.create(objective=o, title="Raise win rate to 30%", weight=50)
        issues = hygiene.check_objective(o)
    assert [i["check"] for i in issues] == ["activity_wording"]
    assert "state the outcome" in issues[0]["message_en"]
    assert "请写明要达成的结果" in issues[0]["message_zh"]


def test_hr_can_change_the_verbs_and_switch_checks_off(app, q1, crm_people):
    with app.app_context():
        o = Objective.create(title="Grow", period=q1, owner=crm_people.rob)
        KeyResult.create(objective=o, title="Deliver the roadmap", weight=60)
        assert hygiene.check_objective(o)[0]["check"] == "weights"
        HygieneSettings.create(activity_verbs="deliver, 交付", check_weights=False)
        assert [i["check"] for i in hygiene.check_objective(o)] == ["activity_wording"]


def test_key_result_weights_must_add_up_to_100(app, q1, crm_people):
    with app.app_context():
        o = Objective.create(title="Grow", period=q1, owner=crm_people.rob)
        KeyResult.create(objective=o, title="Win rate 30%", weight=60)
        KeyResult.create(objective=o, title="Won value 100k", weight=30)
        issues = hygiene.check_objective(o)
    assert issues[0]["check"] == "weights" and "90%" in issues[0]["message_en"]
    assert "90%" in issues[0]["message_zh"]


def test_more_than_three_objectives_per_person_is_reported_and_refused(app, q1, crm_people):
    with app.app_context():
        objectives = [Objective.create(title=f"O{i}", period=q1, owner=crm_people.rob,
                                       weight=25) for i in range(4)]
        issues = hygiene.check_owner_sets(objectives)
        assert [i["check"] for i in issues] == ["max_objectives"]
        assert "at most 3" in issues[0]["message_en"] and "最多3个" in issues[0]["message_zh"]
        with pytest.raises(hygiene.GoalError, match="at most 3"):
            hygiene.check_new_objective(crm_people.rob.id, q1.id)
        HygieneSettings.create(max_objectives=5)
        hygiene.check_new_objective(crm_people.rob.id, q1.id)


def test_objective_whose_focus_differs_from_its_parent_is_red_with_the_reason(app, q1,
                                                                              crm_people):
    with app.app_context():
        top = Objective.create(title="Company", period=q1, unit=crm_people.company,
                               tags="medical, education")
        good = Objective.create(title="North", period=q1, unit=crm_people.north, parent=top,
                                tags="Medical")
        bad = Objective.create(title="South", period=q1, unit=crm_people.south, parent=top,
                               tags="retail")
        assert hygiene.alignment(good)[0] == "green"
        colour, en, zh = hygiene.alignment(bad)
    assert colour == "red"
    assert en == ("its focus (retail) does not match the parent objective’s focus "
                  "(education, medical)")
    assert "上级目标" in zh
