"""run_due(now): cron schedules in the configured time zone, absence windows at day end."""
from datetime import date, datetime

from alignboard.notify import delivery
from alignboard.notify.models import FormTask
from alignboard.records import store
from alignboard.rules import scheduler
from alignboard.rules.models import Rule, RuleFiring

ABSENCE = {"key": "quiet-3", "name": "Quiet 3 days",
           "trigger": {"type": "absence", "record_type": "deal", "days": 3,
                       "subjects": {"role": "rep"}},
           "actions": [{"channel": "inbox", "to": ["manager"]}]}


def test_friday_1500_schedule_fires_in_local_time_once(app, org, runner):
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
