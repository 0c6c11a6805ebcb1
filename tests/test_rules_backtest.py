"""Backtest of the demo rule "no new customer for 14 days" over the real CRM sample."""
import json
from datetime import date

from fixtures.rules import NO_NEW_CUSTOMER

from alignboard.rules.backtest import backtest


def test_backtest_fires_on_the_first_quiet_day_of_each_episode(app, crm_reps, make_rule):
    # Wilburn Farren's first engage dates are 2016-11-12, 11-29, 12-18, 2017-01-04, 01-14.
    # As if enabled on 2016-11-01: quiet at once (fires 11-01); the deal of 11-12 ends the
    # episode; 11-25 is not quiet (its window 11-12..11-25 holds 11-12), 11-26 is
    # (fires); 11-29 ends it; 12-13 is the first day whose window 11-30..12-13 is empty;
    # 12-18 ends it; 2017-01-01 is quiet (12-19..01-01); 01-04 ends it.
    rule = make_rule(NO_NEW_CUSTOMER)
    with app.app_context():
        firings, problems = backtest(rule, date(2016, 11, 1), date(2017, 1, 10))
    mine = [f for f in firings if f["subject"] == "wilburn.farren"]
    assert [f["at"] for f in mine] == ["2016-11-01", "2016-11-26", "2016-12-13", "2017-01-01"]
    assert all(f["recipients"] == ["mia"] for f in mine)
    assert mine[1]["facts"]["days_quiet"] == 14 and mine[1]["facts"]["last_date"] == "2016-11-12"
    assert problems == []


def test_backtest_matches_a_naive_day_by_day_count_for_the_second_rep(app, crm_reps, make_rule):
    from alignboard.records.models import Record
    from datetime import timedelta

    rule = make_rule(NO_NEW_CUSTOMER)
    with app.app_context():
        person = crm_reps["Garret Kinder"]
        dates = {date.fromisoformat(r.fields["engage_date"]) for r in Record.select().where(
            Record.owner == person.id) if r.fields.get("engage_date")}
        start, end = date(2016, 10, 20), date(2017, 12, 31)
        expected, was_quiet, day = [], False, start
        while day <= end:
            quiet = not any(day - timedelta(days=13) <= d <= day for d in dates)
            if quiet and not was_quiet:
                expected.append(day.isoformat())
            was_quiet, day = quiet, day + timedelta(days=1)
        firings, _ = backtest(rule, start, end)
    got = [f["at"] for f in firings if f["subject"] == "garret.kinder"]
    assert got == expected and len(got) >= 2, got


def test_backtest_cli_prints_one_json_object_per_firing_and_sends_nothing(app, runner,
                                                                          crm_reps, make_rule):
    from alignboard.notify.models import Delivery, Notification
    from alignboard.rules.models import RuleFiring

    make_rule(NO_NEW_CUSTOMER)
    result = runner.invoke(args=["rules", "backtest", "no-new-customer-14d", "--from",
                                 "2016-11-01", "--to", "2016-12-31", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    wilburn = [x for x in lines if x["subject"] == "wilburn.farren"]
    assert [x["at"] for x in wilburn] == ["2016-11-01", "2016-11-26", "2016-12-13"]
    assert {"rule", "subject", "at", "recipients"} <= set(lines[0])
    with app.app_context():
        assert RuleFiring.select().count() == 0
        assert Delivery.select().count() == 0 and Notification.select().count() == 0


def test_backtest_cli_refuses_bad_input(runner, app, org):
    r = runner.invoke(args=["rules", "backtest", "nope", "--from", "2017-01-01", "--to",
                            "2017-01-02"])
    assert r.exit_code != 0 and "no rule 'nope'" in r.output
