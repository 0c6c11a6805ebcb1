"""Answers checked by the marshmallow schema generated from a definition."""
import pytest

from alignboard.forms.definition import normalise
from alignboard.forms.schema import AnswerError, Context, load


def check(app, org, fields, answers, draft=False, **top):
    with app.app_context():
        definition = normalise({"key": "f", "title": "F", "fields": fields, **top})
        return load(definition, answers, Context(org.rob, locale="en"), draft=draft)


def errors_of(app, org, fields, answers, **kw):
    with pytest.raises(AnswerError) as info:
        check(app, org, fields, answers, **kw)
    return info.value.errors


MONEY = {"key": "m", "type": "money", "label": "M", "min": 0, "max": 1000}


def test_money_keeps_two_decimals_and_refuses_more(app, org):
    assert check(app, org, [MONEY], {"m": "12.50"}) == {"m": 12.5}
    assert check(app, org, [MONEY], {"m": 7}) == {"m": 7}
    assert "two decimals" in errors_of(app, org, [MONEY], {"m": "1.234"})["m"][0]
    assert errors_of(app, org, [MONEY], {"m": 1000.01})["m"]


@pytest.mark.parametrize("field, good, stored, bad", [
    ({"type": "text", "max_length": 3}, "abc", "abc", "abcd"),
    ({"type": "text", "pattern": "[A-Z]{2}\\d+"}, "AB12", "AB12", "AB12x"),
    ({"type": "long_text", "min_length": 2}, "ok", "ok", "x"),
    ({"type": "number", "min": 1, "max": 5}, "2.5", 2.5, "6"),
    ({"type": "number", "integer": True}, "3", 3, "3.5"),
    ({"type": "percent", "min": 0, "max": 100}, 55, 55, 101),
    ({"type": "date", "min": "2026-01-01"}, "2026-03-01", "2026-03-01", "2025-12-31"),
    ({"type": "datetime"}, "2026-03-01T09:30", "2026-03-01T09:30:00", "yesterday"),
    ({"type": "duration"}, "45", 45, "-5"),
    ({"type": "choice", "choices": [{"value": "a", "label": "A"}]}, "a", "a", "b"),
    ({"type": "multi_choice", "max_items": 1,
      "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
     ["a"], ["a"], ["a", "b"]),
    ({"type": "yes_no"}, "true", True, "perhaps"),
    ({"type": "rating", "max": 3}, "3", 3, "4"),
    ({"type": "location"}, {"lat": "31.2", "lng": 121}, {"lat": 31.2, "lng": 121.0},
     {"lat": 95, "lng": 0}),
])
def test_each_type_accepts_good_and_refuses_bad_answers(app, org, field, good, stored, bad):
    field = {"key": "x", "label": "X", **field}
    assert check(app, org, [field], {"x": good}) == {"x": stored}
    assert errors_of(app, org, [field], {"x": bad})["x"]


def test_person_must_exist_in_the_org(app, org):
    field = {"key": "owner", "type": "person", "label": "Owner"}
    assert check(app, org, [field], {"owner": org.rae.id}) == {"owner": org.rae.id}
    assert errors_of(app, org, [field], {"owner": 99999})["owner"]


def test_required_and_required_if(app, org):
    fields = [{"key": "a", "type": "text", "label": "A", "required": True},
              {"key": "b", "type": "yes_no", "label": "B"},
              {"key": "c", "type": "text", "label": "C",
               "required_if": {"field": "b", "equals": True}}]
    assert errors_of(app, org, fields, {"a": "  "}) == {"a": ["This field is required."]}
    assert errors_of(app, org, fields, {"a": "x", "b": True}) == {
        "c": ["This field is required."]}
    assert check(app, org, fields, {"a": "x", "b": False}) == {"a": "x", "b": False}


def test_hidden_fields_are_neither_required_nor_kept(app, org):
    fields = [{"key": "kind", "type": "choice", "label": "Kind",
               "choices": [{"value": "call"}, {"value": "visit"}]},
              {"key": "address", "type": "text", "label": "Address", "required": True,
               "show_if": {"field": "kind", "equals": "visit"}}]
    assert check(app, org, fields, {"kind": "call", "address": "leftover"}) == {"kind": "call"}
    assert errors_of(app, org, fields, {"kind": "visit"})["address"]


def test_drafts_skip_requiredness_but_not_types(app, org):
    fields = [{"key": "a", "type": "number", "label": "A", "required": True},
              {"key": "b", "type": "number", "label": "B"}]
    assert check(app, org, fields, {"b": 2}, draft=True) == {"b": 2}
    assert errors_of(app, org, fields, {"b": "two"}, draft=True) == {
        "b": ["Not a valid number."]}


def test_unknown_answers_are_refused(app, org):
    errors = errors_of(app, org, [{"key": "a", "type": "text", "label": "A"}],
                       {"a": "x", "valid": True})
    assert errors == {"valid": ["Unknown field."]}


def test_a_nul_character_in_any_answer_is_refused_beside_it(app, org):
    """PostgreSQL cannot store NUL (\x00) in text: refused per answer, in lists too."""
    fields = [{"key": "a", "type": "text", "label": "A"},
              {"key": "b", "type": "multi_choice", "label": "B",
               "choices": [{"value": "x", "label": "X"}]},
              {"key": "c", "type": "text", "label": "C"}]
    errors = errors_of(app, org, fields, {"a": "bad\x00text", "b": ["x\x00"], "c": "fine"})
    assert errors == {"a": ["Must not contain a NUL character (code 0)."],
                      "b": ["Must not contain a NUL character (code 0)."]}


VISIT = [{"key": "start", "type": "datetime", "label": "S"},
         {"key": "end", "type": "datetime", "label": "E"},
         {"key": "where", "type": "location", "label": "W"}]
RULE = {"start": "start", "end": "end", "location": "where", "min_minutes": 30}


@pytest.mark.parametrize("end, where, valid, minutes", [
    ("2026-01-01T10:30", {"lat": 1, "lng": 2}, True, 30),
    ("2026-01-01T10:29", {"lat": 1, "lng": 2}, False, 29),
    ("2026-01-01T12:00", None, False, 120),
])
def test_a_visit_is_valid_when_long_enough_and_located(app, org, end, where, valid, minutes):
    answers = {"start": "2026-01-01T10:00", "end": end}
    if where:
        answers["where"] = where
    data = check(app, org, VISIT, answers, visit_rule=RULE)
    assert data["valid"] is valid and data["duration_minutes"] == minutes


def test_a_visit_cannot_end_before_it_starts(app, org):
    errors = errors_of(app, org, VISIT, {"start": "2026-01-01T10:00",
                                         "end": "2026-01-01T09:00"}, visit_rule=RULE)
    assert errors == {"end": ["The end is before the start."]}


def test_field_keys_that_clash_with_schema_methods_still_work(app, org):
    fields = [{"key": "load", "type": "text", "label": "L"},
              {"key": "fields", "type": "number", "label": "F"}]
    assert check(app, org, fields, {"load": "x", "fields": 2}) == {"load": "x", "fields": 2}
