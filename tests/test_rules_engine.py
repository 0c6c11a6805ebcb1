"""The durable_rules interface: matching, content-named rulesets, fact normalisation."""
from alignboard.rules import engine

RULESET = {"r": {"all": [{"m": {"$and": [{"kind": "event"}, {"$or": [
    {"$lt": {"data__duration": 30}}, {"data__location": ""}]}]}}], "run": "fire"}}


def test_match_is_true_only_when_the_conditions_hold():
    assert engine.match(RULESET, {"kind": "event", "data__duration": 20, "data__location": "x"})
    assert engine.match(RULESET, {"kind": "event", "data__duration": 45, "data__location": ""})
    assert not engine.match(RULESET, {"kind": "event", "data__duration": 45,
                                      "data__location": "x"})


def test_the_same_fact_can_be_matched_many_times_and_rulesets_can_change():
    for _ in range(3):
        assert engine.match(RULESET, {"kind": "event", "data__duration": 1,
                                      "data__location": "x"})
    edited = {"r": {"all": [{"m": {"$gte": {"count": 10}}}], "run": "fire"}}
    assert engine.Engine.name_for(edited) != engine.Engine.name_for(RULESET)
    assert engine.match(edited, {"count": 10}) and not engine.match(edited, {"count": 9})


def test_words_match_case_insensitively_in_chinese_and_english():
    rs = {"r": {"all": [{"m": {"$imt": {"goal": ".*(complete|完成).*"}}}], "run": "fire"}}
    assert engine.match(rs, {"goal": "Complete 3 trainings"})
    assert engine.match(rs, {"goal": "完成三次培训"})
    assert not engine.match(rs, {"goal": "Win 10 new customers"})


def test_facts_are_flat_and_missing_values_are_empty():
    fact = engine.to_fact({"data": {"duration": 20, "ok": True, "tags": ["a"]}},
                          [("data.duration", "data__duration"), ("data.location",
                                                                 "data__location"),
                           ("data.ok", "data__ok"), ("data.tags", "data__tags")])
    assert fact == {"data__duration": 20, "data__location": "", "data__ok": 1,
                    "data__tags": '["a"]'}
