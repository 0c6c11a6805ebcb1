"""Form tasks made by rules reach the person on /my/forms and close when the form is sent."""
import ast
from datetime import datetime, time, timedelta
from pathlib import Path

from alignboard.forms import views as forms_views
from alignboard.forms.models import Form
from alignboard.notify import channels, delivery, form_tasks
from alignboard.notify.models import FormTask
from alignboard.org import periods
from alignboard.rules import scheduler
from alignboard.rules.models import Rule

WEEKLY_REPORT = {"version": "1", "visits": "4", "new_customers": "1",
                 "next_week": "Visit Acme", "action": "submit"}


def _today(app):
    with app.app_context():
        return periods.today()


def _task(app, person, form_key="weekly_report", days=0, title=""):
    """A form task of ``person`` due ``days`` from today (local)."""
    with app.app_context():
        return FormTask.create(person=person, form_key=form_key, title=title,
                               due_date=periods.today() + timedelta(days=days))


def _status(app, task):
    with app.app_context():
        return FormTask.get_by_id(task.id).status


def _due_card(page):
    """The HTML of the "Due this period" card ('' when there is none)."""
    if 'id="due"' not in page:
        return ""
    return page.split('id="due"')[1].split('id="fillable"')[0]


def _row(card, form_key):
    """The HTML of the due row of ``form_key``; fails when it is not exactly once."""
    parts = card.split(f'data-form="{form_key}"')
    assert len(parts) == 2, f"{form_key} is in the due card {len(parts) - 1} times"
    return parts[1].split("</a>")[0].split("</div>")[0]


def _fill_visit(client, accounts):
    return client.post("/my/forms/visit_log/new", data={
        "version": "1", "customer": str(accounts.acme.id), "start_at": "2026-11-20T10:00",
        "end_at": "2026-11-20T10:40", "location.lat": "31.2", "location.lng": "121.4",
        "outcome": "no_change", "action": "submit"})


def test_weekly_report_task_shows_on_my_forms_with_due_date(app, client, forms, org, login):
    task = _task(app, org.rob, days=2, title="Weekly report (rule)")
    login(org.rob)
    card = _due_card(client.get("/my/forms/").get_data(as_text=True))
    # One row: the task merges with the weekly report the week already lists as due.
    row = _row(card, "weekly_report")
    assert "Weekly report (rule)" in row
    assert f"due {task.due_date.isoformat()}" in row and "overdue" not in row
    assert 'href="/my/forms/weekly_report/new"' in row
    home = _due_card(client.get("/").get_data(as_text=True))
    assert f"due {task.due_date.isoformat()}" in _row(home, "weekly_report")


def test_task_without_a_title_shows_the_form_title_in_the_readers_language(
        app, client, forms, org, login):
    task = _task(app, org.rob, form_key="visit_log", days=1)
    login(org.rob)
    client.post("/language", data={"locale": "zh_CN", "next": "/"})
    row = _row(_due_card(client.get("/my/forms/").get_data(as_text=True)), "visit_log")
    assert "客户拜访记录" in row and f"截止 {task.due_date.isoformat()}" in row


def test_overdue_task_is_marked(app, client, forms, org, login):
    _task(app, org.rob, form_key="visit_log", days=-3, title="Visit log late")
    _task(app, org.rob, form_key="kr_checkin", days=0, title="Check-in today")
    login(org.rob)
    card = _due_card(client.get("/my/forms/").get_data(as_text=True))
    late = _row(card, "visit_log")
    assert 'class="badge badge-danger">overdue' in late
    # Due today is not overdue yet; the overdue row comes first.
    assert "overdue" not in _row(card, "kr_checkin")
    assert card.index('data-form="visit_log"') < card.index('data-form="kr_checkin"')


def test_the_earliest_open_task_of_a_form_gives_its_row_the_due_date(app, client, forms,
                                                                      org, login):
    _task(app, org.rob, days=5, title="Later one")
    early = _task(app, org.rob, days=-7, title="Last week's report")
    login(org.rob)
    row = _row(_due_card(client.get("/my/forms/").get_data(as_text=True)), "weekly_report")
    assert "Last week&#39;s report" in row and f"due {early.due_date.isoformat()}" in row
    assert "overdue" in row


def test_submitting_the_form_closes_the_task(app, client, forms, org, login):
    today_task = _task(app, org.rob, days=0)
    last_week = _task(app, org.rob, days=-7)
    login(org.rob)
    r = client.post("/my/forms/weekly_report/new", data=WEEKLY_REPORT)
    assert r.status_code == 302
    assert _status(app, today_task) == "done" and _status(app, last_week) == "done"
    assert 'data-form="weekly_report"' not in client.get("/my/forms/").get_data(as_text=True)


def test_draft_does_not_close_the_task(app, client, forms, org, login):
    task = _task(app, org.rob, days=0)
    login(org.rob)
    r = client.post("/my/forms/weekly_report/new", data=dict(WEEKLY_REPORT, action="draft"))
    assert r.status_code == 302
    assert _status(app, task) == "open"
    card = _due_card(client.get("/my/forms/").get_data(as_text=True))
    assert f"due {task.due_date.isoformat()}" in _row(card, "weekly_report")
    # Sending the draft closes it.
    client.post(r.headers["Location"], data=WEEKLY_REPORT)
    assert _status(app, task) == "done"


def test_this_weeks_report_does_not_close_next_weeks_task(app, client, forms, org, login):
    next_week = _task(app, org.rob, days=7)
    login(org.rob)
    client.post("/my/forms/weekly_report/new", data=WEEKLY_REPORT)
    assert _status(app, next_week) == "open"
    row = _row(_due_card(client.get("/my/forms/").get_data(as_text=True)), "weekly_report")
    assert f"due {next_week.due_date.isoformat()}" in row


def test_a_free_form_closes_tasks_due_within_six_days_of_sending(app, client, forms, org,
                                                                 login, accounts):
    soon = _task(app, org.rob, form_key="visit_log", days=6)
    later = _task(app, org.rob, form_key="visit_log", days=7)
    login(org.rob)
    assert _fill_visit(client, accounts).status_code == 302
    assert (_status(app, soon), _status(app, later)) == ("done", "open")


def test_task_made_after_the_form_was_sent_is_done_at_once(app, client, forms, org, login):
    login(org.rob)
    client.post("/my/forms/weekly_report/new", data=WEEKLY_REPORT)
    with app.app_context():
        result = channels.FormTaskChannel().send({"title": "Weekly report"}, [org.rob, org.rae],
                                                 {"form_key": "weekly_report",
                                                  "due_in_days": 0})
        assert result.endswith("2 task(s) due " + periods.today().isoformat()
                               + ", 1 already done")
        status = {t.person.login: t.status for t in FormTask.select()}
    assert status == {"rob": "done", "rae": "open"}


def test_rep_does_not_see_another_reps_tasks(app, client, forms, org, login):
    theirs = _task(app, org.rae, form_key="visit_log", days=1, title="Rae's visit task")
    login(org.rob)
    page = client.get("/my/forms/").get_data(as_text=True)
    assert "Rae&#39;s visit task" not in page and 'data-form="visit_log"' not in page
    # Rob sending the form closes nothing of Rae's.
    _task(app, org.rae, days=0)
    client.post("/my/forms/weekly_report/new", data=WEEKLY_REPORT)
    with app.app_context():
        assert {t.status for t in FormTask.select().where(FormTask.person == org.rae.id)} \
            == {"open"}
    assert _status(app, theirs) == "open"


def test_task_for_unknown_form_does_not_break_the_page(app, client, forms, org, login):
    _task(app, org.rob, form_key="no_such_form", days=-1, title="Old task")
    _task(app, org.rob, form_key="untitled_gone", days=1)
    login(org.rob)
    r = client.get("/my/forms/")
    assert r.status_code == 200
    card = _due_card(r.get_data(as_text=True))
    row = _row(card, "no_such_form")
    assert "Old task" in row and "not open to you" in row and "overdue" in row
    assert "/my/forms/no_such_form/new" not in card
    assert "untitled_gone" in _row(card, "untitled_gone")  # no title: its key
    assert client.get("/").status_code == 200


def test_task_for_a_form_the_person_may_not_fill_shows_without_a_link(app, client, forms,
                                                                       org, login):
    # The weekly report is for reps; mia is a manager. The visit log is closed by HR.
    _task(app, org.mia, days=0, title="Manager's report")
    _task(app, org.rob, form_key="visit_log", days=0, title="Visit task")
    with app.app_context():
        Form.update(active=False).where(Form.key == "visit_log").execute()
    login(org.mia)
    card = _due_card(client.get("/my/forms/").get_data(as_text=True))
    assert "not open to you" in _row(card, "weekly_report")
    assert "/my/forms/weekly_report/new" not in card
    client.get("/logout")
    login(org.rob)
    card = _due_card(client.get("/my/forms/").get_data(as_text=True))
    assert "not open to you" in _row(card, "visit_log")
    assert "/my/forms/visit_log/new" not in card


def test_inbox_and_admin_keep_working_with_tasks(app, client, forms, org, login):
    _task(app, org.rob, days=0, title="Weekly report task")
    _task(app, org.rob, form_key="no_such_form", days=0, title="Stray task")
    login(org.rob)
    assert client.get("/inbox").status_code == 200
    client.get("/logout")
    login(org.hr)
    listing = client.get("/admin/formtask/")
    assert listing.status_code == 200
    assert "Weekly report task" in listing.get_data(as_text=True)
    assert "Stray task" in listing.get_data(as_text=True)


def test_a_failing_provider_does_not_break_the_page(app, client, forms, org, login,
                                                   monkeypatch):
    def broken(person):
        raise RuntimeError("provider down")

    _task(app, org.rob, form_key="visit_log", days=0, title="Still shown")
    monkeypatch.setattr(forms_views, "DUE_TASKS", forms_views.DUE_TASKS + [broken])
    login(org.rob)
    r = client.get("/my/forms/")
    assert r.status_code == 200 and "Still shown" in r.get_data(as_text=True)


def test_notify_registers_its_provider_and_subscriber_once(app):
    from alignboard import events

    form_tasks.register()  # what every app's init_app calls: nothing is added twice
    assert forms_views.DUE_TASKS.count(form_tasks.due_for) == 1
    assert events._subscribers["form.submitted"].count(form_tasks.on_form_submitted) == 1


def test_forms_area_does_not_import_notify():
    # Data flows one way (forms -> rules -> notify): notify hooks into forms, never back.
    forms_dir = Path(forms_views.__file__).parent
    for path in forms_dir.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any("notify" in n for n in names), f"{path.name} imports notify"


def test_seed_weekly_report_rule_task_reaches_the_rep_and_closes_on_submit(
        app, client, forms, org, login, runner):
    assert runner.invoke(args=["rules", "load-templates"]).exit_code == 0
    today = _today(app)
    friday = today - timedelta(days=(today.weekday() - 4) % 7)  # the last Friday, or today
    with app.app_context():
        assert Rule.get(Rule.key == "weekly-report-friday").enabled
        Rule.update(enabled=False).where(Rule.key != "weekly-report-friday").execute()
        tz = periods.timezone()
        assert scheduler.run_due(datetime.combine(friday, time(14, 59), tzinfo=tz)) == []
        fired = scheduler.run_due(datetime.combine(friday, time(15, 1), tzinfo=tz))
        assert sorted(f.person.login for f in fired) == ["rae", "ray", "rob"]
        delivery.deliver_due()
        task = FormTask.get((FormTask.person == org.rob.id)
                            & (FormTask.form_key == "weekly_report"))
        assert (task.due_date, task.status) == (friday, "open")
    login(org.rob)
    row = _row(_due_card(client.get("/my/forms/").get_data(as_text=True)), "weekly_report")
    assert f"Weekly report {friday.isoformat()}" in row
    assert f"due {friday.isoformat()}" in row
    assert ("overdue" in row) == (friday < today)
    assert 'href="/my/forms/weekly_report/new"' in row
    client.post("/my/forms/weekly_report/new", data=WEEKLY_REPORT)
    assert _status(app, task) == "done"
    with app.app_context():
        open_ = {t.person.login for t in FormTask.select().where(FormTask.status == "open")}
    assert open_ == {"rae", "ray"}
