"""Saving metric definitions: bad definitions are refused with a reason, nothing stored."""
import pytest

from alignboard.metrics import definitions
from alignboard.metrics.definitions import MetricError
from alignboard.metrics.models import ColourRule, Metric, MetricFilter

from fixtures.metrics import WON, won_value_definition


def _formula(key, text):
    return dict(key=key, name=key, kind="formula", formula=text, period_kinds="quarter")


def _refused(data, field, match, **kw):
    before = Metric.select().count()
    with pytest.raises(MetricError) as info:
        definitions.save(data, **kw)
    assert field in info.value.errors, info.value.errors
    assert any(match in m for m in info.value.errors[field]), info.value.errors
    assert Metric.select().count() == before


def test_formula_with_a_syntax_error_is_refused(app, crm_people):
    with app.app_context():
        definitions.save(won_value_definition(), filters=WON)
        _refused(_formula("bad", "won_value *"), "formula", "syntax error")


def test_formula_naming_an_unknown_metric_is_refused(app, crm_people):
    with app.app_context():
        _refused(_formula("bad", "won_valeu * 2"), "formula", "unknown metric 'won_valeu'")


def test_a_cycle_between_formula_metrics_is_refused(app, crm_people):
    with app.app_context():
        definitions.save(won_value_definition(), filters=WON)
        a = definitions.save(_formula("a", "won_value * 2"))
        b = definitions.save(_formula("b", "a + 1"))
        with pytest.raises(MetricError, match="cycle between metrics: a -> b -> a"):
            definitions.save(_formula("a", "b * 2"), metric=a)
        assert Metric.get_by_id(a.id).formula == "won_value * 2"
        with pytest.raises(MetricError, match="cycle"):
            definitions.save(_formula("b", "b + 1"), metric=b)


def test_composite_weights_must_add_up_to_100(app, crm_people):
    with app.app_context():
        definitions.save(won_value_definition(), filters=WON)
        definitions.save(won_value_definition(key="won_deals", aggregation="count"), filters=WON)
        _refused(dict(key="score", name="Score", kind="composite", period_kinds="quarter"),
                 "parts", "add up to 90%", parts=[{"part_key": "won_value", "weight": 50},
                                                  {"part_key": "won_deals", "weight": 40}])
        definitions.save(dict(key="score", name="Score", kind="composite",
                              period_kinds="quarter"),
                         parts=[{"part_key": "won_value", "weight": 20},
                                {"part_key": "won_deals", "weight": 80}])


def test_overlapping_colour_bands_are_refused_with_the_metric(app, crm_people):
    with app.app_context():
        _refused(won_value_definition(), "colour_rule", "overlap", filters=WON,
                 colour_rule={"basis": "pace", "bands": [
                     {"colour": "green", "lower": 90}, {"colour": "red", "upper": 95}]})
        assert ColourRule.select().count() == 0


INCOMPLETE = [
    ({"key": "Won Value"}, "key", "lower-case"),
    ({"key": "max"}, "key", "formula function"),
    ({"name": ""}, "name", "name"),
    ({"record_types": ""}, "record_types", "record type"),
    ({"field": None}, "field", "sum needs the field"),
    ({"period_kinds": "fortnight"}, "period_kinds", "not a period kind"),
    ({"window": "rolling", "rolling_days": None}, "rolling_days", "1 to 366"),
    ({"by_person": False, "by_unit": False}, "by_person", "per person"),
    ({"source": "form", "form_key": None}, "form_key", "choose the form"),
    ({"aggregation": "ratio", "numerator_key": "nope"}, "numerator_key", "unknown metric"),
]


def test_incomplete_definitions_say_what_is_missing(app, crm_people):
    with app.app_context():
        for overrides, field, match in INCOMPLETE:
            _refused(won_value_definition(**overrides), field, match, filters=WON)


def test_filters_need_a_field_an_operator_and_a_value(app, crm_people):
    with app.app_context():
        _refused(won_value_definition(), "filters", "give the value",
                 filters=[{"field": "stage", "op": "eq", "value": ""}])
        _refused(won_value_definition(), "filters", "choose an operator",
                 filters=[{"field": "stage", "op": "like", "value": "x"}])
        assert MetricFilter.select().count() == 0


def test_duplicate_keys_are_refused(app, crm_people):
    with app.app_context():
        definitions.save(won_value_definition(), filters=WON)
        _refused(won_value_definition(), "key", "exists already", filters=WON)


def test_a_key_other_metrics_use_cannot_be_renamed(app, crm_people):
    with app.app_context():
        won = definitions.save(won_value_definition(), filters=WON)
        definitions.save(_formula("bonus", "won_value * 0.01"))
        _refused(won_value_definition(key="won"), "key", "used by bonus", filters=WON,
                 metric=won)
        assert definitions.users_of("won_value") == ["bonus"]
