"""The admin: the form-based rule builder (preview, test, save), what would have fired,
the firing log, problems and deliveries."""
from fixtures.rules import NO_NEW_CUSTOMER
from werkzeug.datastructures import MultiDict

from alignboard.rules.models import Rule

BASE = [
    ("key", "short-visit"), ("name", "Short visit"), ("enabled", "1"),
    ("trigger_type", "event"), ("event", "form.submitted"), ("form_key", "visit_log"),
    ("match", "any"),
    ("cond_field", "data.duration_minutes"), ("cond_op", "lt"), ("cond_value", "30"),
    ("cond_field", "data.location"), ("cond_op", "empty"), ("cond_value", ""),
    ("cond_field", ""), ("cond_op", "eq"), ("cond_value", ""),
    ("action_0_channel", "flag"), ("action_0_settings", '{"key": "valid", "value": "no"}'),
    ("action_1_channel", "inbox"), ("action_1_to", "subject"), ("action_1_to", "manager"),
    ("action_1_title", "Visit {subject_name}"),
]
FORM = MultiDict(BASE)


def form(*extra, base=BASE):
    return MultiDict(list(base) + list(extra))


def test_builder_shows_the_generated_definition_and_ruleset(client, org, forms, login):
    login(org.hr)
    assert client.get("/admin/rule_builder/").status_code == 200
    page = client.post("/admin/rule_builder/", data=form(("op", "preview")))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="generated"' in html
    assert "data__duration_minutes" in html and "form_key: visit_log" in html


def test_builder_tests_a_sample_payload_before_saving(client, app, org, forms, login):
    login(org.hr)
    sample = '{"form_key": "visit_log", "data": {"duration_minutes": 12, "location": "A"}}'
    html = client.post("/admin/rule_builder/", data=form(("op", "test"), ("sample", sample))
                       ).get_data(as_text=True)
    assert "Matches" in html and "Does not match" not in html
    sample = '{"form_key": "visit_log", "data": {"duration_minutes": 45, "location": "A"}}'
    html = client.post("/admin/rule_builder/", data=form(("op", "test"), ("sample", sample))
                       ).get_data(as_text=True)
    assert "Does not match" in html
    with app.app_context():
        assert Rule.select().count() == 0


def test_builder_offers_a_schedule_the_weeks_visits_and_tests_them(client, app, org, login):
    login(org.hr)
    few_visits = [("key", "few-visits"), ("name", "Few valid visits"),
                  ("trigger_type", "schedule"), ("cron", "0 9 * * 1"), ("subjects_role", "rep"),
                  ("cond_field", "valid_visits_7d"), ("cond_op", "lt"), ("cond_value", "3"),
                  ("action_0_channel", "inbox"), ("action_0_to", "manager")]
    html = client.get("/admin/rule_builder/").get_data(as_text=True)
    for name in ("submissions_7d", "visits_7d", "valid_visits_7d"):
        assert f"<code>{name}</code>" in html
    html = client.post("/admin/rule_builder/", data=form(
        ("op", "test"), ("sample", '{"visits_7d": 6, "valid_visits_7d": 2}'), base=few_visits)
    ).get_data(as_text=True)
    assert "Matches" in html and "Does not match" not in html
    html = client.post("/admin/rule_builder/", data=form(
        ("op", "test"), ("sample", '{"visits_7d": 6, "valid_visits_7d": 5}'), base=few_visits)
    ).get_data(as_text=True)
    assert "Does not match" in html


def test_builder_saves_a_valid_rule_and_refuses_an_invalid_one(
        client, app, org, forms, login):
    login(org.hr)
    bad = [(k, {"data.location": "colour", "form.submitted": "metric.colour_changed"}.get(v, v))
           for k, v in BASE]
    html = client.post("/admin/rule_builder/", data=form(("op", "save"), base=bad)
                       ).get_data(as_text=True)
    assert 'id="rule-errors"' in html and "unknown field" in html
    r = client.post("/admin/rule_builder/", data=form(("op", "save")))
    assert r.status_code == 302
    with app.app_context():
        rule = Rule.get(Rule.key == "short-visit")
        assert rule.enabled and rule.definition["actions"][1]["to"] == ["subject", "manager"]
    edit = client.get("/admin/rule_builder/?key=short-visit").get_data(as_text=True)
    assert 'value="data.duration_minutes"' in edit
    assert client.get("/admin/rule/").status_code == 200


def test_what_would_have_fired_page_replays_history(client, app, crm_reps, login, make_rule):
    make_rule(NO_NEW_CUSTOMER)
    from alignboard.org.models import Person
    with app.app_context():
        hr = Person.get(Person.login == "hr")
    login(hr)
    html = client.get("/admin/rule_backtest/?rule=no-new-customer-14d&from=2016-11-01"
                      "&to=2016-12-31").get_data(as_text=True)
    assert "wilburn.farren" in html and "2016-11-26" in html
    bad = client.get("/admin/rule_backtest/?rule=no-new-customer-14d&from=2017-01-02"
                     "&to=2017-01-01").get_data(as_text=True)
    assert "the end is before the start" in bad
    for page in ("/admin/rulefiring/", "/admin/ruleproblem/", "/admin/delivery/",
                 "/admin/notification/", "/admin/formtask/", "/admin/subjectflag/"):
        assert client.get(page).status_code == 200, page


def test_reps_cannot_open_the_rule_admin(client, org, login):
    login(org.rob)
    assert client.get("/admin/rule_builder/").status_code == 403


def test_failed_deliveries_are_listed_and_can_be_retried_from_the_admin(client, app, org,
                                                                        login):
    from alignboard.notify import delivery
    from alignboard.notify.models import Delivery

    with app.app_context():
        d = delivery.enqueue("webhook", {"url": "http://127.0.0.1:9/x", "timeout": 1},
                             {"title": "t"}, [])
        delivery.deliver_due()
        assert Delivery.get_by_id(d.id).status == "failed"
    login(org.hr)
    listing = client.get("/admin/delivery/?flt0_0=failed").get_data(as_text=True)
    assert "could not be reached" in listing
    r = client.post("/admin/delivery/action/", data={"action": "retry", "rowid": str(d.id)})
    assert r.status_code == 302
    with app.app_context():
        d = Delivery.get_by_id(d.id)
        assert (d.status, d.attempts) == ("pending", 0)


def test_builder_replays_recent_history_and_shows_only_the_first_firings(client, app, org,
                                                                         login):
    from datetime import timedelta

    from alignboard.db import utcnow
    from alignboard.records import store

    with app.app_context():
        for days_ago in (1, 2, 3, 40):
            store.upsert(1, f"d{days_ago}", "deal", {"stage": "won"}, owner=org.rob,
                         occurred_at=utcnow() - timedelta(days=days_ago))
    login(org.hr)
    replay = [("key", "new-deal"), ("name", "New deal"), ("trigger_type", "event"),
              ("event", "record.created"), ("record_type", "deal"), ("match", "all"),
              ("action_0_channel", "inbox"), ("action_0_to", "subject"),
              ("op", "test"), ("sample", ""), ("test_days", "7")]
    html = client.post("/admin/rule_builder/", data=MultiDict(replay)).get_data(as_text=True)
    assert "Replay of the last 7 days" in html and "3 firing(s)" in html
    assert html.count("<tr><td>") == 3 and 'id="firings-truncated"' not in html

    app.config["RULES_BACKTEST_LIMIT"] = 2
    html = client.post("/admin/rule_builder/", data=MultiDict(replay)).get_data(as_text=True)
    assert html.count("<tr><td>") == 2 and "First 2 of 3 firings shown." in html
    with app.app_context():
        assert Rule.select().count() == 0
