"""Backtest of the demo rule "no new customer for 14 days" over the real CRM sample."""
import json
from datetime import date, datetime

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


WON = {"key": "deal-won", "name": "Deal won",
       "trigger": {"type": "event", "event": "record.created", "record_type": "deal",
                   "where": {"stage": "won"}},
       "actions": [{"channel": "inbox", "to": ["subject"], "title": "Won"}]}
THIRD_CALL = {"key": "third-call", "name": "Third call on one opportunity",
              "trigger": {"type": "count", "event": "record.created",
                          "record_type": "communication", "group_by": "opportunity_id",
                          "threshold": 3},
              "actions": [{"channel": "inbox", "to": ["subject"], "title": "Update it"}]}


def test_records_synced_today_replay_on_the_dates_they_occurred(app, crm_reps, make_rule):
    from alignboard.org import periods
    from alignboard.records.models import Record

    rule = make_rule(WON)  # the CRM deals were all stored today, dated 2016-2017
    with app.app_context():
        won_2017 = sorted(r.occurred_at.date().isoformat() for r in Record.select().where(
            Record.type == "deal") if r.fields["stage"] == "won"
            and r.occurred_at.year == 2017)
        firings, problems = backtest(rule, date(2017, 1, 1), date(2017, 12, 31))
        today = periods.today()
        assert tuple(backtest(rule, today, today)) == ([], [])
    assert len(won_2017) > 20 and problems == []
    assert [f["at"][:10] for f in firings] == won_2017
    assert {f["subject"] for f in firings} == {"wilburn.farren", "garret.kinder"}


def test_a_change_replays_on_the_date_of_its_new_values(app, org, make_rule):
    from alignboard.records import store

    created = make_rule(WON)
    changed = make_rule(WON, key="deal-won-later", trigger=dict(WON["trigger"],
                                                                event="record.changed"))
    with app.app_context():
        store.upsert(1, "d1", "deal", {"stage": "engaging"}, owner=org.rob,
                     occurred_at=datetime(2017, 1, 10))
        store.upsert(1, "d1", "deal", {"stage": "won"}, owner=org.rob,
                     occurred_at=datetime(2017, 2, 15))
        assert backtest(created, date(2017, 1, 1), date(2017, 3, 31)).firings == []
        firings, _ = backtest(changed, date(2017, 1, 1), date(2017, 3, 31))
    assert [(f["subject"], f["at"]) for f in firings] == [("rob", "2017-02-15T00:00:00")]


def test_a_backdated_change_replays_after_the_version_it_replaced(app, org, make_rule):
    """A change whose occurred-at is earlier than the record's previous one (a corrected
    close date) is dated at the previous one: won, lost, won still fires twice, as live."""
    from alignboard.records import store
    from alignboard.rules import worker
    from alignboard.rules.models import RuleFiring

    rule = make_rule({"key": "won-again", "name": "Won",
                      "trigger": {"type": "event", "event": "record.changed",
                                  "record_type": "deal"},
                      "conditions": {"rows": [{"field": "fields.stage", "op": "eq",
                                               "value": "won"}]},
                      "actions": [{"channel": "inbox", "to": ["subject"], "title": "Won"}]})
    with app.app_context():
        for stage, day in (("engaging", 30), ("won", 5), ("lost", 20), ("won", 10)):
            store.upsert(1, "d1", "deal", {"stage": stage}, owner=org.rob,
                         occurred_at=datetime(2017, 6, day))
        firings, _ = backtest(rule, date(2017, 6, 1), date(2017, 6, 30))
        worker.process_events()
        live = RuleFiring.select().count()
    assert [(f["facts"]["fields__stage"], f["at"]) for f in firings] == [
        ("won", "2017-06-30T00:00:00"), ("won", "2017-06-30T00:00:00")]
    assert live == len(firings) == 2


def test_form_submissions_replay_on_the_day_they_were_sent(app, org, make_rule):
    from alignboard import events
    from alignboard.org import periods

    rule = make_rule({"key": "thanks", "name": "Thanks",
                      "trigger": {"type": "event", "event": "form.submitted"},
                      "actions": [{"channel": "inbox", "to": ["subject"]}]})
    with app.app_context():
        for sid, sent in ((1, "2017-03-02T10:00:00"), (2, "2017-03-01T09:00:00")):
            events.publish("form.submitted", submission_id=sid, form_key="visit_log",
                           version=1, person_id=org.rob.id, period_id=None, data={},
                           submitted_at=sent)
        firings, _ = backtest(rule, date(2017, 3, 1), date(2017, 3, 31))
        today = periods.today()
        assert tuple(backtest(rule, today, today)) == ([], [])
    assert [f["at"] for f in firings] == ["2017-03-01T09:00:00", "2017-03-02T10:00:00"]


def test_count_rule_fires_on_the_day_the_nth_record_occurred(app, org, make_rule):
    from alignboard.records import store

    rule = make_rule(THIRD_CALL)
    with app.app_context():
        # Stored out of date order, as a sync may deliver them.
        for ext, day in (("c1", 10), ("c2", 5), ("c3", 1), ("c4", 20)):
            store.upsert(2, ext, "communication", {"opportunity_id": "OPP-1"},
                         owner=org.rob, occurred_at=datetime(2017, 3, day))
        store.upsert(2, "c0", "communication", {"opportunity_id": "OPP-1"}, owner=org.rob,
                     occurred_at=datetime(2017, 2, 20))
        store.upsert(2, "other", "communication", {"opportunity_id": "OPP-2"},
                     owner=org.rob, occurred_at=datetime(2017, 3, 2))
        firings, problems = backtest(rule, date(2017, 1, 1), date(2017, 12, 31))
        # Enabled on 03-06: the group already holds three, the next one fires.
        later, _ = backtest(rule, date(2017, 3, 6), date(2017, 12, 31))
    assert [(f["at"], f["facts"]["count"]) for f in firings] == [("2017-03-05T00:00:00", 3)]
    assert firings[0]["subject"] == "rob" and problems == []
    assert [(f["at"], f["facts"]["count"]) for f in later] == [("2017-03-10T00:00:00", 4)]


def test_records_without_a_group_value_are_not_counted_and_are_no_problem(app, org,
                                                                          make_rule):
    from alignboard.org import periods
    from alignboard.records import store

    rule = make_rule(THIRD_CALL)
    with app.app_context():
        for i, fields in enumerate([{}, {"opportunity_id": ""}, {"opportunity_id": None},
                                    {"opportunity_id": "OPP-1"}, {},
                                    {"opportunity_id": "OPP-1"}]):
            store.upsert(2, f"c{i}", "communication", fields, owner=org.rob,
                         occurred_at=datetime(2017, 3, 1 + i))
        firings, problems = backtest(rule, date(2017, 1, 1), periods.today())
    assert firings == [] and problems == []


def test_backtest_keeps_the_first_firings_and_counts_the_rest(app, runner, crm_reps,
                                                             make_rule):
    rule = make_rule(WON)
    with app.app_context():
        every = backtest(rule, date(2017, 1, 1), date(2017, 12, 31), limit=None)
        first = backtest(rule, date(2017, 1, 1), date(2017, 12, 31), limit=5)
    assert not every.truncated and every.found == len(every.firings) > 5
    assert first.firings == every.firings[:5] and first.found == every.found
    assert first.summary() == f"first 5 of {every.found} firing(s)"

    result = runner.invoke(args=["rules", "backtest", "deal-won", "--from", "2017-01-01",
                                 "--to", "2017-12-31", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    # The note goes to stderr: stdout stays one JSON object per line.
    assert [json.loads(line)["at"] for line in result.stdout.splitlines()] == [
        f["at"] for f in every.firings[:3]]
    assert f"first 3 of {every.found} firing(s)" in result.stderr
    everything = runner.invoke(args=["rules", "backtest", "deal-won", "--from", "2017-01-01",
                                     "--to", "2017-12-31", "--json", "--limit", "0"])
    assert len(everything.stdout.splitlines()) == every.found and everything.stderr == ""


def test_schedule_replay_stops_after_its_occurrence_cap(app, org, make_rule):
    rule = make_rule({"key": "every-minute", "name": "Every minute",
                      "trigger": {"type": "schedule", "cron": "* * * * *",
                                  "subjects": {"role": "rep"}},
                      "actions": [{"channel": "inbox", "to": ["subject"]}]})
    with app.app_context():
        result = backtest(rule, date(2017, 3, 1), date(2017, 3, 1), max_occurrences=10)
    # Three reps at each of the first ten minutes; the rest of the day is not replayed.
    assert [f["at"] for f in result.firings][-1] == "2017-03-01"
    assert len(result.firings) == result.found == 30 and not result.complete
    assert result.summary() == ("first 30 of 30 or more (stopped after 10 schedule "
                                "occurrences) firing(s)")
