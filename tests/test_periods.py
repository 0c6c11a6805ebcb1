"""Periods: ISO weeks starting on Monday, quarters, the configured time zone."""
from datetime import date, datetime, timezone

from alignboard.org import periods
from alignboard.org.models import Period


def test_weeks_start_on_monday_and_take_their_iso_year():
    start, end, name = periods.bounds("week", date(2017, 1, 1))  # a Sunday
    assert (start, end, name) == (date(2016, 12, 26), date(2017, 1, 1), "2016-W52")
    assert periods.bounds("week", date(2017, 1, 2))[2] == "2017-W01"


def test_quarter_and_month_bounds():
    assert periods.bounds("quarter", date(2017, 5, 17)) == (date(2017, 4, 1),
                                                            date(2017, 6, 30), "2017-Q2")
    assert periods.bounds("month", date(2016, 2, 10))[1] == date(2016, 2, 29)


def test_generate_a_year_is_complete_and_idempotent(app):
    with app.app_context():
        made = periods.generate(2017)
        assert made == 1 + 4 + 12 + 52
        assert periods.generate(2017) == 0
        weeks = list(Period.select().where(Period.kind == "week").order_by(Period.start))
        assert all(w.start.weekday() == 0 for w in weeks)
        assert weeks[0].name == "2017-W01" and weeks[-1].name == "2017-W52"
        assert periods.containing("quarter", date(2017, 8, 1)).name == "2017-Q3"


def test_today_uses_the_configured_time_zone(app, monkeypatch):
    # 20:00 UTC on 31 Dec is already 1 Jan in Shanghai.
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2017, 12, 31, 20, 0, tzinfo=timezone.utc).astimezone(tz)

    monkeypatch.setattr(periods, "datetime", Frozen)
    with app.app_context():
        assert periods.today() == date(2018, 1, 1)
        app.config["TIMEZONE"] = "Europe/London"
        assert periods.today() == date(2017, 12, 31)


def test_generate_skips_a_period_overlapping_one_hr_defined(app, runner):
    """A custom month 2041-01-10..02-09 is kept; the calendar months 2041-01 and 2041-02
    that would share days with it are not made (and are named), so a day still lies in
    at most one month and every stored period passes Period.problems()."""
    with app.app_context():
        Period.create(kind="month", name="fiscal", start=date(2041, 1, 10),
                      end=date(2041, 2, 9))
    result = runner.invoke(args=["periods", "2041"])
    assert result.exit_code == 0, result.output
    assert "2041-01 skipped: it overlaps month fiscal (2041-01-10 to 2041-02-09)" \
        in result.output
    assert "2041-02 skipped" in result.output
    with app.app_context():
        months = [p.name for p in Period.select().where(Period.kind == "month")
                  .order_by(Period.start)]
        assert months[:2] == ["fiscal", "2041-03"] and len(months) == 11
        assert all(not p.problems() for p in Period.select())
        assert periods.containing("month", date(2041, 1, 20)).name == "fiscal"
        # Quarters, weeks and the year are not touched by a month.
        assert Period.select().where(Period.kind == "quarter").count() == 4
        assert periods.generate(2041) == 0
