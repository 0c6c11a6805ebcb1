"""run_due(now): cron schedules in the configured time zone, absence windows at day end."""
from datetime import date, datetime, time, timedelta

from alignboard.db import utcnow
from alignboard.forms import submissions
from alignboard.notify import delivery
from alignboard.notify.models import FormTask, Notification
from alignboard.org import periods
from alignboard.records import store
from alignboard.rules import evaluate, scheduler, worker
from alignboard.rules.models import Rule, RuleFiring

ABSENCE = {"key": "quiet-3", "name": "Quiet 3 days",
           "trigger": {"type": "absence", "record_type": "deal", "days": 3,
                       "subjects": {"role": "rep"}},
           "actions": [{"channel": "inbox", "to": ["manager"]}]}


def test_friday_1500_schedule_fires_in_local_time_once(app, org, forms, runner):
    # Asia/Shanghai is UTC+8: Friday 2017-03-03 15:00 local is 07:00 UTC.
    assert runner.invoke(args=["rules", "load-templates"]).exit_code == 0
    with app.app_context():
        Rule.update(enabled=False).where(Rule.trigger_type != "schedule").execute()
        assert scheduler.run_due(datetime(2017, 3, 3, 6, 59)) == []  # 14:59 local
        fired = scheduler.run_due(datetime(2017, 3, 3, 7, 1))  # 15:01 local
        assert sorted(f.person.login for f in fired) == ["rae", "ray", "rob"]
        assert {f.at for f in fired} == {datetime(2017, 3, 3, 7, 0)}
        assert scheduler.run_due(datetime(2017, 3, 3, 7, 1)) == []
        assert scheduler.run_due(datetime(2017, 3, 3, 15, 0)) == []  # 23:00 local
        delivery.deliver_due()
        task = FormTask.get(FormTask.person == org.rob.id)
        assert (task.form_key, task.due_date) == ("weekly_report", date(2017, 3, 3))
        # The rule's second action: the reminder in each rep's inbox.
        reminder = Notification.get(Notification.person == org.rob.id)
        assert reminder.title == "Your weekly report is due today"
        assert reminder.body == "Please fill in your weekly report before the end of the day."
        assert Notification.select().where(
            Notification.title == "Your weekly report is due today").count() == 3


def test_absence_windows_are_evaluated_once_each_day_has_ended(app, org, make_rule):
    make_rule(ABSENCE)
    with app.app_context():
        store.upsert(1, "a", "deal", {}, owner=org.rob, occurred_at=datetime(2017, 3, 1))
        store.upsert(1, "b", "deal", {}, owner=org.rob, occurred_at=datetime(2017, 3, 5))
        # 23:59 local on 03-04: 03-04 has not ended, so 03-03 is evaluated (not quiet).
        fired = scheduler.run_due(datetime(2017, 3, 4, 15, 59))
        assert "rob" not in [f.person.login for f in fired]
        # 00:05 local on 03-05: 03-04 has ended and is rob's first quiet day.
        fired = scheduler.run_due(datetime(2017, 3, 4, 16, 5))
        assert [f.day for f in fired if f.person.login == "rob"] == [date(2017, 3, 4)]
        assert scheduler.run_due(datetime(2017, 3, 4, 16, 6)) == []
        # After a pause the scheduler catches up day by day: 03-05..03-08.
        fired = scheduler.run_due(datetime(2017, 3, 8, 16, 5))
        assert [f.day for f in fired] == [date(2017, 3, 8)]
        assert RuleFiring.select().where(RuleFiring.person == org.rob.id).count() == 2


def test_conditional_schedule_fires_once_per_quiet_episode_but_a_report_every_week(
        app, org, make_rule):
    from alignboard.rules import evaluate

    report = {"key": "weekly", "name": "Weekly report",
              "trigger": {"type": "schedule", "cron": "0 9 * * 1", "subjects": {"role": "rep"}},
              "actions": [{"channel": "inbox", "to": ["subject"]}]}
    quiet = dict(report, key="quiet-week", name="Quiet week", conditions={
        "rows": [{"field": "records_7d", "op": "lt", "value": 3}]})
    rules = [make_rule(report), make_rule(quiet)]
    with app.app_context():
        for i in range(3):  # ray is busy before week 1, rob before week 2
            store.upsert(1, f"ray{i}", "visit", {}, owner=org.ray,
                         occurred_at=datetime(2017, 3, 3))
            store.upsert(1, f"rob{i}", "visit", {}, owner=org.rob,
                         occurred_at=datetime(2017, 3, 10))
        sink = evaluate.LiveSink()

        def monday(day):
            fired = {}
            for rule in rules:
                for f in evaluate.schedule_occurrence(sink, rule, datetime(2017, 3, day, 9)):
                    fired.setdefault(rule.key, []).append(f.person.login)
            return {k: sorted(v) for k, v in fired.items()}

        assert monday(6) == {"weekly": ["rae", "ray", "rob"], "quiet-week": ["rae", "rob"]}
        # rae stays quiet: no repeat; rob was busy (episode ends); ray turns quiet.
        assert monday(13) == {"weekly": ["rae", "ray", "rob"], "quiet-week": ["ray"]}
        assert monday(20) == {"weekly": ["rae", "ray", "rob"], "quiet-week": ["rob"]}
        assert RuleFiring.select().count() == 9 + 4


def _next_monday_0900(app):
    """The next Monday 09:00 local time after now (aware), and the one a week later: the
    seed report's occurrences that cover what is submitted now."""
    with app.app_context():
        now = scheduler.local_now()
        tz = periods.timezone()
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), time(9))
    if monday <= now:
        monday += timedelta(days=7)
    return monday.replace(tzinfo=tz), (monday + timedelta(days=7)).replace(tzinfo=tz)


def _report_run(monday):
    """run_due just before and just after ``monday`` 09:00: the report's occurrence."""
    assert scheduler.run_due(monday - timedelta(minutes=1)) == []
    fired = scheduler.run_due(monday + timedelta(minutes=1))
    delivery.deliver_due()
    return fired


def test_weekly_behaviour_health_report_counts_the_visits_logged_in_the_app(
        app, org, forms, visit, runner):
    assert runner.invoke(args=["rules", "load-templates"]).exit_code == 0
    monday, next_monday = _next_monday_0900(app)
    with app.app_context():
        Rule.update(enabled=False).where(
            Rule.key.not_in(["weekly-behaviour-health", "visit-not-valid"])).execute()
        for hour in range(10, 15):  # five visits of 45 minutes at the customer
            submissions.save(forms.visit_log, org.rob, visit(
                start_at=f"2026-11-20T{hour}:00", end_at=f"2026-11-20T{hour}:45"))
        submissions.save(forms.visit_log, org.rob, visit(end_at="2026-11-20T10:20"))  # short
        store.upsert(1, "deal-1", "deal", {}, owner=org.rob, occurred_at=utcnow())
        worker.process_events()  # seed rule 6 flags the short visit valid = no
        delivery.deliver_due()

        fired = _report_run(monday)
        assert sorted(f.person.login for f in fired) == ["rae", "ray", "rob"]
        rob = next(f for f in fired if f.person.login == "rob")
        assert sorted(rob.recipients) == ["mia", "rob"]
        assert {k: rob.facts[k] for k in evaluate.WEEK_COUNTS} == {
            "records_7d": 1, "submissions_7d": 6, "visits_7d": 6, "valid_visits_7d": 5}
        for person in (org.rob, org.mia):
            body = Notification.get((Notification.person == person.id)
                                    & (Notification.firing_id == rob.id)).body
            assert body.startswith("Last 7 days: 6 visits logged, 5 of them valid"), body
            assert "1 CRM records" in body
        # A week later those visits are out of the window.
        rob = next(f for f in _report_run(next_monday) if f.person.login == "rob")
        assert rob.facts["visits_7d"] == rob.facts["valid_visits_7d"] == 0


def test_a_visit_a_rule_flagged_not_valid_is_not_counted_as_valid(
        app, org, forms, visit, make_rule):
    # A stricter company rule: a visit meeting a single person is not valid either.
    make_rule({"key": "one-person-visit", "name": "One-person visit",
               "trigger": {"type": "event", "event": "form.submitted", "form_key": "visit_log"},
               "conditions": {"rows": [{"field": "data.attendees", "op": "lt", "value": 2}]},
               "actions": [{"channel": "flag", "settings": {"key": "valid", "value": "no"}}]})
    report = make_rule({"key": "report", "name": "Report",
                        "trigger": {"type": "schedule", "cron": "0 9 * * 1",
                                    "subjects": {"role": "rep"}},
                        "actions": [{"channel": "inbox", "to": ["subject"]}]})
    monday, _ = _next_monday_0900(app)
    with app.app_context():
        submissions.save(forms.visit_log, org.rob, visit(attendees=1))
        submissions.save(forms.visit_log, org.rob, visit(attendees=3))
        worker.process_events()
        delivery.deliver_due()
        sink = evaluate.DryRunSink()
        fired = evaluate.schedule_occurrence(sink, report, monday.replace(tzinfo=None))
        rob = next(f for f in fired if f["subject"] == "rob")
        assert (rob["facts"]["visits_7d"], rob["facts"]["valid_visits_7d"]) == (2, 1)


def test_another_process_writing_between_two_rules_does_not_lock_the_scheduler_out(
        app, org, make_rule):
    """`alignboard worker` beside `serve` logged "database is locked" from run_due: the
    rules were read by a lazy cursor, whose open SELECT kept an old SQLite snapshot while
    each rule's write transaction began; once another connection had committed, SQLite
    refused the write at once (waiting cannot make a snapshot current), busy_timeout or not.
    Here another connection commits between the first rule and the second."""
    import threading

    from alignboard.db import database
    from alignboard.rules.models import RuleClock, RuleProblem

    report = {"key": "weekly", "name": "Weekly report",
              "trigger": {"type": "schedule", "cron": "0 9 * * 1", "subjects": {"role": "rep"}},
              "actions": [{"channel": "inbox", "to": ["subject"]}]}
    broken, later = make_rule(report), make_rule(dict(report, key="weekly-2"))
    with app.app_context():
        # A cron stored before it was checked (or edited in the database): the rule fails.
        Rule.update(definition=dict(report, trigger=dict(report["trigger"], cron="0 9 *"))
                    ).where(Rule.id == broken.id).execute()

        def write_elsewhere():
            # Its own thread is its own connection, as the web process would be.
            database.connect(reuse_if_open=True)
            try:
                Rule.update(description="touched").where(Rule.id == later.id).execute()
            finally:
                database.close()

        class Sink(evaluate.LiveSink):
            def problem(self, rule, message, event_id=None):
                writer = threading.Thread(target=write_elsewhere)
                writer.start()
                writer.join()
                super().problem(rule, message, event_id)

        scheduler.run_due(datetime(2017, 3, 6, 0, 30), sink=Sink())
        assert [p.rule_id for p in RuleProblem.select()] == [broken.id]
        assert "needs 5 fields" in RuleProblem.get().message
        assert RuleClock.get(RuleClock.rule == later.id).last_run_at is not None
