"""Colour rules and pace: bands, streaks, legends, and metric.colour_changed events."""
from datetime import date, datetime

import pytest

from alignboard import events
from alignboard.metrics import colours, definitions, pace
from alignboard.metrics.api import set_target
from alignboard.metrics.models import MetricValue
from alignboard.org.models import Period
from alignboard.records import store

from fixtures.metrics import WON, won_value_definition


class P:
    def __init__(self, start, end):
        self.start, self.end = start, end


def test_expected_value_is_linear_over_the_period_by_default():
    q = P(date(2017, 1, 1), date(2017, 1, 10))
    assert pace.expected(1000, q, date(2017, 1, 5)) == 500
    assert pace.expected(1000, q, date(2016, 12, 1)) == 0
    assert pace.expected(1000, q, date(2017, 2, 1)) == 1000


def test_a_seasonality_curve_shifts_what_is_expected_when():
    q = P(date(2017, 1, 1), date(2017, 1, 10))
    # Two halves, the second counting three times the first: a quarter of the target by
    # the middle of the period.
    assert pace.expected(1000, q, date(2017, 1, 5), curve=[1, 3]) == pytest.approx(250)
    assert pace.expected(1000, q, date(2017, 1, 10), curve=[1, 3]) == 1000


def test_behind_plan_by_15_percent_is_computable_on_any_day():
    q = P(date(2017, 1, 1), date(2017, 1, 10))
    expected = pace.expected(1000, q, date(2017, 1, 5))
    assert pace.deviation(425, expected) == pytest.approx(-0.15)


def _band(colour, lower, upper, consecutive=1):
    return dict(colour=colour, lower=lower, upper=upper, consecutive=consecutive)


def test_overlapping_bands_are_refused():
    with pytest.raises(colours.ColourError, match="overlap"):
        colours.check_bands([_band("green", 90, None), _band("amber", 80, 100)])
    with pytest.raises(colours.ColourError, match="lower bound"):
        colours.check_bands([_band("green", 100, 50)])
    with pytest.raises(colours.ColourError, match="colour 'pink'"):
        colours.check_bands([_band("pink", 1, 2)])
    # A streak band may cover the same range as a single-period band.
    colours.check_bands([_band("amber", None, 100), _band("red", None, 85, 2)])


class B:
    def __init__(self, id, colour, lower, upper, consecutive=1):
        self.id, self.colour, self.lower, self.upper = id, colour, lower, upper
        self.consecutive = consecutive


def test_a_streak_band_applies_only_after_n_periods_in_a_row():
    bands = [B(1, "green", 100, None), B(2, "amber", None, 100), B(3, "red", None, 85, 2)]
    assert colours.pick(bands, [120]).colour == "green"
    assert colours.pick(bands, [120, 80]).colour == "amber"
    assert colours.pick(bands, [80, 80]).colour == "red"
    assert colours.pick(bands, [80, 90]).colour == "amber"
    assert colours.pick(bands, [80, None]) is None


def _week(day):
    return Period.get((Period.kind == "week") & (Period.start <= day) & (Period.end >= day))


def test_two_weeks_behind_plan_turns_red_and_each_change_is_announced(app, crm_people):
    org = crm_people
    seen = []
    with app.app_context():
        metric = definitions.save(won_value_definition(period_kinds="week"), filters=WON,
                                  colour_rule={"basis": "pace", "bands": [
                                      _band("green", 100, None), _band("amber", None, 100),
                                      _band("red", None, 85, 2)]})
        w1, w2 = _week(date(2017, 1, 2)), _week(date(2017, 1, 9))
        events.subscribe("metric.colour_changed", seen.append)
        try:
            for w in (w1, w2):
                set_target("won_value", "person", org.rob.id, w.id, 1000)
            store.upsert(1, "A", "deal", {"stage": "won", "amount": 500.0}, owner=org.rob,
                         occurred_at=datetime(2017, 1, 3))
            colour = lambda w: MetricValue.get(
                (MetricValue.metric == metric) & (MetricValue.subject_type == "person")
                & (MetricValue.subject_id == org.rob.id) & (MetricValue.period == w)).colour
            assert colour(w1) == "amber"
            assert colour(w2) == "red"   # nothing in week 2 either: two weeks behind
            store.upsert(1, "B", "deal", {"stage": "won", "amount": 1500.0}, owner=org.rob,
                         occurred_at=datetime(2017, 1, 10))
            assert colour(w2) == "green"
        finally:
            events.unsubscribe("metric.colour_changed", seen.append)
        changes = [(e.payload["period_id"], e.payload["old"], e.payload["new"])
                   for e in seen if e.payload["subject_type"] == "person"]
        # Targets set, nothing won: one week behind is amber, the second one red.
        assert changes == [(w1.id, None, "amber"), (w2.id, None, "red"), (w2.id, "red", "green")]
        last = seen[-1].payload
        assert set(last) >= {"metric", "subject_type", "subject_id", "period_id",
                             "old", "new", "value", "pace_ratio"}
        assert last["metric"] == "won_value"


def test_a_legend_describes_every_band(app, won_value):
    with app.app_context():
        legend = colours.legend(won_value.id)
    assert [i["colour"] for i in legend] == ["green", "amber", "red"]
    assert legend[0]["range"] == "100% or more of pace"
    assert legend[2]["range"] == "below 85% of pace"
