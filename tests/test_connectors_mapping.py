"""Field mapping: transforms, value maps, dates with formats, classification conditions."""
import pytest
from marshmallow import ValidationError

from alignboard.connectors.base import RowError
from alignboard.connectors.mapping import Mapping, convert, parse_datetime, validate_mapping


def test_trim_value_map_then_conversion():
    rule = {"trim": True, "convert": "lower", "value_map": {"Closed Won": "Won"}}
    assert convert("  Closed Won ", rule) == "won"
    assert convert("closed won", rule) == "won"  # the map also matches ignoring case
    assert convert("   ", rule) is None


def test_numbers_accept_thousand_separators_and_refuse_words():
    assert convert("1,054.50", {"convert": "number"}) == 1054.5
    assert convert("12", {"convert": "integer"}) == 12
    with pytest.raises(RowError, match="'1.5' is not a whole number"):
        convert("1.5", {"convert": "integer"})
    with pytest.raises(RowError, match="'n/a' is not a number"):
        convert("n/a", {"convert": "number"})


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "1e999",
                                   float("nan"), float("inf"), float("-inf"), 10 ** 400])
def test_numbers_refuse_nan_and_infinity(value):
    with pytest.raises(RowError, match="is not a finite number"):
        convert(value, {"convert": "number"})
    with pytest.raises(RowError, match="is not a finite number"):
        convert(value, {"convert": "integer"})


def test_a_json_nan_left_as_text_is_refused():
    with pytest.raises(RowError, match="nan is not a finite number"):
        convert(float("nan"), {"convert": "text"})
    assert convert("NaN", {"convert": "text"}) == "NaN"  # the word itself is just text
    assert convert(1.5, {"convert": "text"}) == 1.5


def test_dates_with_formats_and_epochs():
    assert convert("31/12/2017", {"convert": "date", "formats": ["%Y-%m-%d", "%d/%m/%Y"]}) \
        == "2017-12-31"
    assert parse_datetime("2017-03-01T10:00:00.000+0800", ["iso"]).isoformat() == \
        "2017-03-01T02:00:00"
    assert parse_datetime("1488326400000", ["epoch_ms"]).isoformat() == "2017-03-01T00:00:00"
    with pytest.raises(RowError, match="'March 1st' is not a date in the format"):
        convert("March 1st", {"convert": "date", "formats": ["%Y-%m-%d"]})


def test_booleans():
    assert convert("是", {"convert": "boolean"}) is True
    assert convert("no", {"convert": "boolean"}) is False
    with pytest.raises(RowError):
        convert("maybe", {"convert": "boolean"})


def test_conditions_classify_and_compare_numbers_as_numbers():
    m = Mapping({"external_id": "id", "type": "deal",
                 "fields": [{"source": "s", "target": "stage", "convert": "lower"},
                            {"source": "a", "target": "amount", "convert": "number"}],
                 "conditions": [{"type": "collection", "when": [
                     {"field": "stage", "op": "==", "value": "won"},
                     {"field": "amount", "op": ">", "value": "50000"}]},
                     {"type": "lead", "when": [{"field": "amount", "op": "is empty"}]}]})
    assert m.apply({"id": "1", "s": "Won", "a": "60000"}).type == "collection"
    assert m.apply({"id": "2", "s": "Won", "a": "9000"}).type == "deal"
    assert m.apply({"id": "3", "s": "Lost", "a": "60000"}).type == "deal"
    assert m.apply({"id": "4", "s": "Open", "a": ""}).type == "lead"


def test_conditions_compare_an_unconverted_amount_as_a_number():
    """The amount stays text ("9000"): as text, "9000" > "50000" would be true."""
    m = Mapping({"external_id": "id", "type": "deal",
                 "fields": [{"source": "a", "target": "amount"}],
                 "conditions": [{"type": "collection", "when": [
                     {"field": "amount", "op": ">", "value": "50000"}]},
                     {"type": "exact", "when": [{"field": "amount", "op": "==", "value": "123"}]},
                     {"type": "small", "when": [{"field": "amount", "op": "<=", "value": "10"}]}]})
    assert m.apply({"id": "1", "a": "9000"}).type == "deal"
    assert m.apply({"id": "2", "a": "100000"}).type == "collection"
    assert m.apply({"id": "3", "a": "123.0"}).type == "exact"
    assert m.apply({"id": "4", "a": "9"}).type == "small"


def test_every_problem_of_a_row_is_named():
    m = Mapping({"external_id": "id", "type": "deal",
                 "fields": [{"source": "a", "target": "amount", "convert": "number"},
                            {"source": "d", "target": "day", "convert": "date",
                             "formats": ["%Y-%m-%d"]},
                            {"source": "n", "target": "name", "required": True}]})
    with pytest.raises(RowError) as err:
        m.apply({"id": "1", "a": "x", "d": "yesterday", "n": ""})
    assert str(err.value) == ("a: 'x' is not a number; d: 'yesterday' is not a date in the "
                              "format(s) %Y-%m-%d; n: required but empty")


def test_invalid_mappings_are_refused_with_field_messages():
    with pytest.raises(ValidationError) as err:
        validate_mapping({"external_id": "id", "type": "deal", "fields": [
            {"source": "a", "target": "x"}, {"source": "b", "target": "x"},
            {"source": "c", "target": "y", "convert": "teleport"}]})
    assert "convert" in str(err.value.messages)
    with pytest.raises(ValidationError, match="mapped twice: x"):
        validate_mapping({"external_id": "id", "type": "deal", "fields": [
            {"source": "a", "target": "x"}, {"source": "b", "target": "x"}]})
    with pytest.raises(ValidationError, match="Must be one of"):
        validate_mapping({"external_id": "id", "type": "d", "conditions": [
            {"type": "t", "when": [{"field": "a", "op": "~=", "value": "1"}]}]})
