"""Checking and normalising form definitions."""
import pytest

from alignboard.forms.definition import DefinitionError, normalise


def _form(*fields, **top):
    return {"key": "f", "title": "F", "fields": list(fields), **top}


def test_plain_text_labels_become_english_and_chinese(app):
    with app.app_context():
        d = normalise(_form({"key": "a", "type": "text", "label": "A"}))
    assert d["fields"][0]["label"] == {"en": "A", "zh": ""}
    assert d["frequency"] == {"kind": "free", "period": None}


def test_normalising_twice_changes_nothing(app):
    with app.app_context():
        once = normalise(_form({"key": "a", "type": "choice", "label": "A",
                                "choices": [{"value": 1, "label": "One"}]},
                               frequency={"kind": "once_per_period"}))
        assert normalise(once) == once
    assert once["frequency"]["period"] == "week"
    assert once["fields"][0]["choices"] == [{"value": "1", "label": {"en": "One", "zh": ""}}]


@pytest.mark.parametrize("field, where, words", [
    ({"key": "a", "type": "nope", "label": "A"}, "fields.1.type", "unknown field type"),
    ({"key": "A b", "type": "text", "label": "A"}, "fields.1.key", "lower-case"),
    ({"key": "a", "type": "text"}, "fields.1.label", "required"),
    ({"key": "a", "type": "text", "label": "A", "colour": "red"}, "fields.1._schema",
     "unknown properties"),
    ({"key": "a", "type": "number", "label": "A", "min": 5, "max": 1}, "fields.1.max",
     "below min"),
    ({"key": "a", "type": "text", "label": "A", "pattern": "("}, "fields.1.pattern",
     "regular expression"),
    ({"key": "a", "type": "choice", "label": "A", "choices": []}, "fields.1.choices", ""),
    ({"key": "a", "type": "text", "label": "A", "show_if": {"field": "zz"}},
     "fields.1.show_if", "unknown field"),
    ({"key": "a", "type": "file", "label": "A", "accept": ["PDF!"]}, "fields.1.accept", ""),
])
def test_bad_fields_are_reported_where_they_are(app, field, where, words):
    with app.app_context(), pytest.raises(DefinitionError) as info:
        normalise(_form(field))
    assert where in info.value.errors, info.value.errors
    assert words in " ".join(info.value.errors[where])


def test_duplicate_keys_are_refused(app):
    with app.app_context(), pytest.raises(DefinitionError) as info:
        normalise(_form({"key": "a", "type": "text", "label": "A"},
                        {"key": "a", "type": "number", "label": "A2"}))
    assert "duplicate key 'a'" in info.value.errors["fields.2.key"][0]


def test_visit_rule_must_name_the_right_field_types(app):
    with app.app_context(), pytest.raises(DefinitionError) as info:
        normalise(_form({"key": "a", "type": "text", "label": "A"},
                        visit_rule={"start": "a", "end": "a", "location": "a"}))
    assert set(info.value.errors) == {"visit_rule.start", "visit_rule.end",
                                      "visit_rule.location"}


def test_unknown_top_level_property_is_refused(app):
    with app.app_context(), pytest.raises(DefinitionError) as info:
        normalise(_form({"key": "a", "type": "text", "label": "A"}, colour="red"))
    assert "unknown properties" in info.value.errors["_schema"][0]


def test_a_file_field_cannot_allow_more_than_the_server_reads(app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    with app.app_context():
        with pytest.raises(DefinitionError) as exc:
            normalise(_form({"key": "f", "type": "file", "label": "F", "max_size_kb": 65}))
        assert "must be at most 64 KB" in exc.value.errors["fields.1.max_size_kb"][0]
        ok = normalise(_form({"key": "f", "type": "file", "label": "F", "max_size_kb": 64}))
    assert ok["fields"][0]["max_size_kb"] == 64
