"""Evaluation: absence windows on exact edge days, fire once and re-arm for event rules,
bad payloads and broken rules logged while the others still fire."""
from datetime import date, datetime

from alignboard import events
from alignboard.notify import delivery
from alignboard.notify.models import Delivery, Notification, SubjectFlag
from alignboard.records import store
from alignboard.rules import evaluate, worker
from alignboard.rules.models import Rule, RuleFiring, RuleProblem

ABSENCE = {"key": "quiet-3", "name": "Quiet 3 days",
           "trigger": {"type": "absence", "record_type": "deal", "days": 3,
                       "subjects": {"role": "rep"}},
           "actions": [{"channel": "inbox", "to": ["manager"]}]}
VISIT = {"key": "visit-not-valid", "name": "Visit not valid",
         "trigger": {"type": "event", "event": "form.submitted", "form_key": "visit_log"},
         "conditions": {"match": "any", "rows": [
             {"field": "data.duration_minutes", "op": "lt", "value": 30},
             {"field": "data.location", "op": "empty"}]},
         "actions": [{"channel": "flag", "settings": {"key": "valid", "value": "no"}}]}
EVERY_SUBMISSION = {"key": "thanks", "name": "Thanks",
                    "trigger": {"type": "event", "event": "form.submitted"},
                    "actions": [{"channel": "inbox", "to": ["subject"], "title": "Thanks"}]}


def submit(person, sid, edited=False, **data):
    payload = dict(submission_id=sid, form_key="visit_log", version=1, person_id=person.id,
                   period_id=None, data=data, submitted_at="2017-03-01T10:00:00")
    if edited:
        payload["edited"] = True
    return events.publish("form.submitted", **payload)


def test_absence_fires_on_the_first_quiet_day_once_and_rearms(app, org, make_rule):
    # Deals on 03-01 and 03-05, N = 3: D is quiet when D-2..D holds no deal.
    # 03-01..03-03 hold 03-01 in their window; 03-04 is the first quiet day (fires);
    # 03-05 ends the episode; 03-08 is quiet again (fires); 03-09..03-12 stay in it.
    rule = make_rule(ABSENCE)
    with app.app_context():
        store.upsert(1, "a", "deal", {}, owner=org.rob, occurred_at=datetime(2017, 3, 1))
        store.upsert(1, "b", "deal", {}, owner=org.rob, occurred_at=datetime(2017, 3, 5))
        sink = evaluate.LiveSink()
        history = evaluate.History(rule.definition["trigger"])
        for day in range(1, 13):
            evaluate.absence_day(sink, rule, date(2017, 3, day), history)
        rob = [f.day.isoformat() for f in RuleFiring.select().where(
            RuleFiring.person == org.rob.id).order_by(RuleFiring.day)]
        assert rob == ["2017-03-04", "2017-03-08"]
        # Reps without any deal are quiet from the first day: one firing, never repeated.
        rae = [f.day for f in RuleFiring.select().where(RuleFiring.person == org.rae.id)]
        assert rae == [date(2017, 3, 1)]
        firing = RuleFiring.get((RuleFiring.person == org.rob.id) &
                                (RuleFiring.day == date(2017, 3, 8)))
        assert firing.recipients == ["mia"] and firing.facts["days_quiet"] == 3
        # Evaluating the same day twice fires nothing more.
        assert evaluate.absence_day(sink, rule, date(2017, 3, 12), history) == []


def test_event_rule_fires_once_per_episode_and_rearms_when_the_condition_clears(
        app, org, forms, make_rule):
    make_rule(VISIT)
    with app.app_context():
        submit(org.rob, 1, duration_minutes=20, location="Shop A")
        worker.process_events()
        assert RuleFiring.get().subject_key == "submission:1"
        submit(org.rob, 1, edited=True, duration_minutes=25, location="Shop A")
        submit(org.rob, 2, duration_minutes=45, location="")
        worker.process_events()
        assert RuleFiring.select().count() == 2  # the edit stayed in the episode
        submit(org.rob, 1, edited=True, duration_minutes=45, location="Shop A")  # clears
        submit(org.rob, 1, edited=True, duration_minutes=10, location="Shop A")  # again
        worker.process_events()
        keys = [f.subject_key for f in RuleFiring.select().order_by(RuleFiring.id)]
        assert keys == ["submission:1", "submission:2", "submission:1"]
        assert RuleFiring.select().first().facts["data__duration_minutes"] == 20
        assert SubjectFlag.select().count() == 0  # flags are set when the worker delivers
        delivery.deliver_due()
        assert {(f.subject_id, f.value) for f in SubjectFlag.select()} == {(1, "no"),
                                                                           (2, "no")}


def test_event_missing_fields_is_logged_and_the_next_events_still_fire(app, org, make_rule):
    make_rule(EVERY_SUBMISSION)
    with app.app_context():
        events.publish("form.submitted", form_key="visit_log", data={})  # no ids at all
        submit(org.rob, 5, duration_minutes=50, location="x")
        assert worker.process_events() == 2
        problem = RuleProblem.get()
        assert "has no 'submission_id'" in problem.message and problem.event_id
        assert RuleFiring.select().count() == 1


def test_a_broken_rule_and_a_failing_action_do_not_stop_other_rules(app, org, forms, make_rule,
                                                                     http_server):
    make_rule(VISIT)
    make_rule(EVERY_SUBMISSION)
    make_rule(dict(EVERY_SUBMISSION, key="hook", actions=[
        {"channel": "webhook", "settings": {"url": "http://127.0.0.1:9/down", "timeout": 1}}]))
    with app.app_context():
        Rule.update(ruleset={"r": {"all": "not a list", "run": "fire"}}).where(
            Rule.key == "visit-not-valid").execute()
        submit(org.rob, 1, duration_minutes=5, location="")
        stats = worker.run_once()
        assert stats["events"] == 1
        assert any("visit-not-valid" == p.rule.key for p in RuleProblem.select())
        assert Notification.get().title == "Thanks"
        failed = Delivery.get(Delivery.channel == "webhook")
        assert failed.status == "failed" and "could not be reached" in failed.last_error


def test_recipient_resolving_to_nobody_is_skipped_with_a_reason(app, org, make_rule):
    make_rule(dict(EVERY_SUBMISSION, actions=[{"channel": "inbox", "to": ["manager"]}]))
    with app.app_context():
        submit(org.exec, 9, duration_minutes=50, location="x")  # exec has no manager
        worker.process_events()
        firing = RuleFiring.get()
        assert firing.outcomes[0]["status"] == "skipped"
        assert "resolves to nobody" in firing.outcomes[0]["reason"]
        assert "resolves to nobody" in RuleProblem.get().message


def test_a_role_recipient_notifies_every_active_person_with_that_role(app, org, make_rule):
    from alignboard.org.models import Person, Role

    with app.app_context():
        hr = Role.get(Role.key == "hr")
        hanna = Person.create(login="hanna", name="Hanna", role=hr, unit=org.company)
        Person.create(login="gone", name="Gone", role=hr, unit=org.company, active=False)
    make_rule(dict(EVERY_SUBMISSION, actions=[
        {"channel": "inbox", "to": ["role:hr"], "title": "Submitted"}]))
    with app.app_context():
        submit(org.rob, 9, duration_minutes=50, location="x")
        worker.process_events()
        delivery.deliver_due()
        firing = RuleFiring.get()
        assert firing.recipients == ["hanna", "hr"]
        assert firing.outcomes[0]["status"] == "queued"
        got = sorted(n.person.login for n in Notification.select())
        assert got == ["hanna", "hr"]
        assert {n.title for n in Notification.select()} == {"Submitted"}


def test_metric_colour_event_colours_the_unit_and_notifies_its_owner(app, org, forms, runner):
    assert runner.invoke(args=["rules", "load-templates"]).exit_code == 0
    with app.app_context():
        events.publish("metric.colour_changed", metric="revenue", subject_type="unit",
                       subject_id=org.team_a.id, period_id=None, old="amber", new="red",
                       value=80.0, pace_ratio=0.8)
        worker.process_events()
        delivery.deliver_due()
        flag = SubjectFlag.get()
        assert (flag.subject_type, flag.subject_id, flag.value) == ("unit", org.team_a.id,
                                                                    "red")
        kinds = sorted(n.kind for n in Notification.select().where(
            Notification.person == org.mia.id))
        assert kinds == ["action_pack", "alert"]


def test_count_rule_fires_at_the_tenth_communication_on_one_opportunity(
        app, org, forms, runner):
    assert runner.invoke(args=["rules", "load-templates"]).exit_code == 0
    with app.app_context():
        for i in range(12):
            store.upsert(2, f"c{i}", "communication", {"opportunity_id": "OPP-1"},
                         owner=org.rob, occurred_at=datetime(2017, 3, 1))
        store.upsert(2, "other", "communication", {"opportunity_id": "OPP-2"}, owner=org.rob)
        worker.process_events()
        firings = list(RuleFiring.select().join(Rule).where(
            Rule.key == "update-opportunity-stage"))
        assert len(firings) == 1 and firings[0].facts["count"] == 10
        assert firings[0].subject_key == "communication:opportunity_id=OPP-1"
        assert firings[0].recipients == ["rob"]


def test_kr_worded_as_an_activity_gets_a_suggestion(app, org, forms, runner):
    assert runner.invoke(args=["rules", "load-templates"]).exit_code == 0
    with app.app_context():
        for sid, goal in ((1, "Hold 3 customer events"), (2, "10 new customers sign"),
                          (3, "完成渠道培训")):
            events.publish("form.submitted", submission_id=sid, form_key="kr_checkin",
                           version=1, person_id=org.rob.id, period_id=None,
                           data={"goal": goal, "progress": 0, "blocker": ""},
                           submitted_at="2017-03-01T10:00:00")
        worker.process_events()
        delivery.deliver_due()
        titles = [n.body for n in Notification.select().where(Notification.person == org.rob.id)
                  .order_by(Notification.id)]
        assert len(titles) == 2 and "Hold 3 customer events" in titles[0]


def test_streak_fires_when_the_condition_holds_two_weeks_in_a_row(app, org, make_rule):
    from alignboard.org import periods as org_periods
    from alignboard.org.models import Period

    make_rule({"key": "low-pace-2w", "name": "Low pace two weeks",
               "trigger": {"type": "streak", "event": "metric.colour_changed", "periods": 2},
               "conditions": {"rows": [{"field": "pace_ratio", "op": "lt", "value": 0.85}]},
               "actions": [{"channel": "inbox", "to": ["subject"]}]})
    with app.app_context():
        org_periods.generate(2017)
        week = {n: Period.get((Period.kind == "week") & (Period.name == f"2017-W{n:02d}")).id
                for n in (10, 11, 12, 14, 15)}

        def colour(n, pace):
            events.publish("metric.colour_changed", metric="revenue", subject_type="person",
                           subject_id=org.rob.id, period_id=week[n], old="amber", new="red",
                           value=1.0, pace_ratio=pace)
            worker.process_events()
            return [f.facts["streak"] for f in RuleFiring.select().order_by(RuleFiring.id)]

        assert colour(10, 0.80) == []          # one week behind: streak 1
        assert colour(11, 0.70) == [2]         # two weeks running: fires
        assert colour(12, 0.60) == [2]         # still in the episode
        assert colour(14, 0.60) == [2]         # a gap (W13) restarts the count at 1
        assert colour(15, 0.90) == [2]         # condition clears: streak 0, re-armed


def test_record_event_rule_fires_only_for_its_record_type_and_where_values(
        app, org, make_rule):
    from alignboard.rules import definition, engine

    rule = make_rule({
        "key": "deal-won", "name": "Deal won",
        "trigger": {"type": "event", "event": "record.created", "record_type": "deal",
                    "where": {"stage": "won"}},
        "actions": [{"channel": "inbox", "to": ["subject"], "title": "Won"}]})
    with app.app_context():
        store.upsert(1, "v1", "visit", {"stage": "won"}, owner=org.rob)
        store.upsert(1, "d1", "deal", {"stage": "lost"}, owner=org.rob)
        store.upsert(1, "d2", "deal", {"stage": "won"}, owner=org.rob)
        worker.process_events()
        firings = list(RuleFiring.select())
        assert len(firings) == 1
        assert firings[0].subject_key == f"record:{store_id('d2')}"
        # The compiled ruleset tests the type too (the admin's sample test uses it alone).
        for rtype, expected in (("visit", False), ("deal", True)):
            fact = {"kind": "event", "event": "record.created", **engine.to_fact(
                {"type": rtype}, definition.referenced_fields(rule.definition))}
            assert engine.match(rule.ruleset, fact) is expected


def store_id(external_id):
    from alignboard.records.models import Record
    return Record.get(Record.external_id == external_id).id


def test_form_streak_counts_per_person_and_fires_once_for_three_short_weekly_visits(
        app, org, forms, make_rule):
    from alignboard.org import periods as org_periods
    from alignboard.org.models import Period

    make_rule({"key": "short-visits-2w", "name": "Short visits two weeks",
               "trigger": {"type": "streak", "event": "form.submitted",
                           "form_key": "visit_log", "periods": 2},
               "conditions": {"rows": [{"field": "data.duration_minutes", "op": "lt",
                                        "value": 30}]},
               "actions": [{"channel": "inbox", "to": ["manager"]}]})
    with app.app_context():
        org_periods.generate(2017)
        week = {n: Period.get((Period.kind == "week") & (Period.name == f"2017-W{n:02d}")).id
                for n in (10, 11, 12)}

        def visit(sid, n, form_key="visit_log", minutes=20):
            events.publish("form.submitted", submission_id=sid, form_key=form_key, version=1,
                           person_id=org.rob.id, period_id=week[n],
                           data={"duration_minutes": minutes}, submitted_at="2017-03-06")
            worker.process_events()
            return [(f.subject_key, f.facts["streak"]) for f in RuleFiring.select()]

        assert visit(1, 10) == []
        # Another form's submission is no observation: it does not break the run.
        assert visit(2, 10, form_key="kr_checkin", minutes=90) == []
        rob = f"person:{org.rob.id}"
        assert visit(3, 11) == [(rob, 2)]
        assert visit(4, 12) == [(rob, 2)]  # streak 3, still the same episode


def test_count_rule_skips_records_without_a_group_value_and_counts_per_owner(app, org,
                                                                             make_rule):
    def count_rule(key, group_by):
        make_rule({"key": key, "name": key,
                   "trigger": {"type": "count", "event": "record.created",
                               "record_type": "communication", "group_by": group_by,
                               "threshold": 2},
                   "actions": [{"channel": "inbox", "to": ["subject"]}]})

    count_rule("second-on-opportunity", "opportunity_id")
    count_rule("second-by-owner", "owner")
    with app.app_context():
        store.upsert(2, "nobody", "communication", {"opportunity_id": "OPP-1"})
        for i, fields in enumerate([{}, {"opportunity_id": ""}, {"opportunity_id": "OPP-1"}]):
            store.upsert(2, f"c{i}", "communication", fields, owner=org.rob)
        store.upsert(2, "rae", "communication", {"opportunity_id": "OPP-2"}, owner=org.rae)
        worker.process_events()
        # A communication without an opportunity or an owner counts in no group: ordinary
        # data, no problem logged for it.
        assert [p.message for p in RuleProblem.select()] == []
        got = {(f.rule.key, f.subject_key, f.facts["count"]) for f in RuleFiring.select()}
    assert got == {("second-on-opportunity", "communication:opportunity_id=OPP-1", 2),
                   ("second-by-owner", f"person:{org.rob.id}", 2)}


def test_count_by_a_field_counted_in_sql_gives_the_same_firings_as_reading_every_record(
        app, org, make_rule):
    """Values compare as text, as str() does in Python: 7 and "7" are one group, 7.0 and
    "7.0" another; true, a list, 1e20 (a real in SQLite, printed 1.0e+20 there) still
    meet their text form. Blank or missing values count nowhere."""
    def count_rule(key, group_by, where=None):
        make_rule({"key": key, "name": key,
                   "trigger": {"type": "count", "event": "record.created",
                               "record_type": "communication", "group_by": group_by,
                               "where": where or {}, "threshold": 2},
                   "actions": [{"channel": "inbox", "to": ["subject"]}]})

    rows = [{"opportunity_id": 7, "priority": 1}, {"opportunity_id": "7", "priority": "1"},
            {"opportunity_id": 7.0, "priority": 1.0}, {"opportunity_id": "7.0", "priority": True},
            {"opportunity_id": True}, {"opportunity_id": "True"},
            {"opportunity_id": ""}, {}, {"opportunity_id": None}, {"opportunity_id": " "},
            {"opportunity_id": [1]}, {"opportunity_id": "[1]"},
            {"opportunity_id": 1e20}, {"opportunity_id": "1e+20"},
            {"opportunity_id": "机会-1"}, {"opportunity_id": "机会-1", "priority": 2},
            {"opportunity_id": "OPP-9", "priority": 1}, {"opportunity_id": "OPP-9", "priority": 2},
            {"opportunity_id": "OPP-9", "priority": "1"},
            {"opportunity_id": "OPP-1"}, {"opportunity_id": "OPP-10"}, {"opportunity_id": "PP-1"}]
    with app.app_context():
        for i, fields in enumerate(rows):
            store.upsert(2, f"c{i}", "communication", fields, owner=org.rob)
        store.upsert(2, "rae", "communication", {"opportunity_id": 7, "priority": 1},
                     owner=org.rae)
    count_rule("by-opportunity", "opportunity_id")
    count_rule("by-opportunity-priority-1", "opportunity_id", {"priority": 1})
    count_rule("by-owner-priority-1", "owner", {"priority": "1"})
    with app.app_context():
        worker.process_events(limit=1000)
        assert [p.message for p in RuleProblem.select()] == []
        got = {(f.rule.key, f.subject_key, f.facts["count"]) for f in RuleFiring.select()}
    group = "communication:opportunity_id="
    assert got == {
        ("by-opportunity", group + "7", 2), ("by-opportunity", group + "7.0", 2),
        ("by-opportunity", group + "True", 2), ("by-opportunity", group + "[1]", 2),
        ("by-opportunity", group + "1e+20", 2), ("by-opportunity", group + "机会-1", 2),
        ("by-opportunity", group + "OPP-9", 2),
        ("by-opportunity-priority-1", group + "7", 2),
        ("by-opportunity-priority-1", group + "OPP-9", 2),
        ("by-owner-priority-1", f"person:{org.rob.id}", 2)}


def test_count_in_sql_agrees_with_python_on_every_kind_of_json_value(app, org):
    """The SQL count of each group equals the count read record by record in Python."""
    from alignboard.records.models import Record

    values = [7, "7", 7.0, "7.0", 0.1, "0.1", 1e20, "1e+20", True, "True", False, None,
              "None", "", [1], "[1]", {"a": 1}, "{'a': 1}", "机会", 'quo"te', "x\\y",
              12345678901234567890, "12345678901234567890", "OPP-1", "OPP-10", "PP-1"]
    with app.app_context():
        for i, value in enumerate(values):
            store.upsert(2, f"v{i}", "communication", {"opportunity_id": value,
                                                       "channel": values[-1 - i]})
        store.upsert(2, "none", "communication", {})
        q = Record.select(Record.id, Record.fields).where(Record.type == "communication")
        for value in values:
            for channel in (None, "7", "True"):
                tests = [("opportunity_id", str(value))] + (
                    [("channel", channel)] if channel else [])

                def check(fields_):
                    return all(str((fields_ or {}).get(k)) == text for k, text in tests)

                expected = sum(1 for r in q if check(r.fields))
                got = evaluate._count_in_sql(q, tests, check)
                assert got in (None, expected), (tests, got, expected)
                if str(value) != "None":
                    assert got is not None, tests
