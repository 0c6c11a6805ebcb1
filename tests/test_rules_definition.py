"""Rule definitions: refused on save with a reason; conditions compile to durable_rules."""
import pytest

from alignboard.rules import definition
from alignboard.rules.definition import RuleDefinitionError

VISIT = {"key": "visit", "name": "Visit",
         "trigger": {"type": "event", "event": "form.submitted", "form_key": "visit_log"},
         "conditions": {"match": "any", "rows": [
             {"field": "data.duration_minutes", "op": "lt", "value": 30},
             {"field": "data.location", "op": "empty"}]},
         "actions": [{"channel": "flag", "settings": {"key": "valid", "value": "no"}}]}


def errors_of(app, d):
    with app.app_context():
        with pytest.raises(RuleDefinitionError) as exc:
            definition.save(d)
        return exc.value.errors


def test_conditions_compile_to_a_durable_rules_ruleset(app, org, forms):
    with app.app_context():
        rule = definition.save(VISIT)
    assert rule.ruleset == {"r": {"all": [{"m": {"$and": [
        {"kind": "event"}, {"event": "form.submitted"}, {"form_key": "visit_log"},
        {"$or": [{"$lt": {"data__duration_minutes": 30}}, {"data__location": ""}]}]}}],
        "run": "fire"}}
    assert rule.version == 1 and rule.trigger_type == "event"


def test_a_changed_definition_gets_a_new_version_an_identical_one_does_not(
        app, org, forms):
    with app.app_context():
        definition.save(VISIT)
        assert definition.save(VISIT).version == 1
        changed = dict(VISIT, conditions={"match": "all", "rows": [
            {"field": "data.duration_minutes", "op": "lt", "value": 20}]})
        assert definition.save(changed).version == 2


def test_unknown_field_is_refused(app, org):
    d = dict(VISIT, trigger={"type": "event", "event": "metric.colour_changed"},
             conditions={"rows": [{"field": "colour", "op": "eq", "value": "red"}]})
    assert "unknown field 'colour'" in " ".join(errors_of(app, d)["conditions.rows.0.field"])


def test_unknown_record_field_is_refused(app, org):
    d = dict(VISIT, trigger={"type": "absence", "record_type": "deal", "days": 14,
                             "date_field": "signed_on"}, conditions={"rows": []})
    assert "no field 'signed_on'" in " ".join(errors_of(app, d)["trigger"])


def test_invalid_cron_is_refused(app, org):
    d = dict(VISIT, trigger={"type": "schedule", "cron": "0 15 * *"}, conditions={})
    assert "5 fields" in errors_of(app, d)["trigger.cron"][0]
    d["trigger"]["cron"] = "0 15 * * fri"
    assert "invalid cron" in errors_of(app, d)["trigger.cron"][0]


def test_recipient_that_resolves_to_nobody_is_refused(app, org):
    d = dict(VISIT, actions=[{"channel": "inbox", "to": ["role:ghost"]}])
    assert errors_of(app, d)["actions.0.to.0"] == ["no role 'ghost'"]
    with app.app_context():
        from alignboard.org.models import Person
        Person.update(active=False).where(Person.login == "exec").execute()
    d = dict(VISIT, actions=[{"channel": "inbox", "to": ["role:exec"]}])
    assert "resolves to nobody" in errors_of(app, d)["actions.0.to.0"][0]


def test_unknown_channel_missing_recipients_and_bad_settings_are_refused(app, org):
    d = dict(VISIT, actions=[{"channel": "pager", "to": ["subject"]},
                             {"channel": "inbox"},
                             {"channel": "webhook", "settings": {"url": "ftp://x"}}])
    errors = errors_of(app, d)
    assert "unknown channel 'pager'" in errors["actions.0.channel"][0]
    assert errors["actions.1.to"] == ["pick at least one recipient"]
    assert "actions.2.settings.url" in errors


def test_numeric_operator_needs_a_number_and_nothing_is_stored(app, org):
    from alignboard.rules.models import Rule

    d = dict(VISIT, conditions={"rows": [{"field": "data.duration_minutes", "op": "lt",
                                          "value": "thirty"}]})
    assert errors_of(app, d)["conditions.rows.0.value"] == ["lt needs a number"]
    with app.app_context():
        assert Rule.select().count() == 0


def test_api_saves_and_refuses_rules_for_hr_only(client, org, forms, auth):
    ok = client.post("/api/v1/rules/", json=VISIT, headers=auth(org.hr))
    assert ok.status_code == 200 and ok.get_json()["ruleset"]["r"]["run"] == "fire"
    bad = client.post("/api/v1/rules/", json=dict(VISIT, key="Bad Key"), headers=auth(org.hr))
    assert bad.status_code == 422 and "key" in bad.get_json()["errors"]
    assert client.post("/api/v1/rules/", json=VISIT, headers=auth(org.rob)).status_code == 403
    vocab = client.get("/api/v1/rules/vocabulary", headers=auth(org.rob)).get_json()
    assert vocab["operators"]["contains_any"]["label_zh"] == "包含任一词"


def test_mistyped_record_type_is_refused_known_and_stored_types_are_accepted(app, org):
    from alignboard.records import store

    absence = dict(VISIT, trigger={"type": "absence", "record_type": "dael", "days": 14},
                   conditions={"rows": []})
    assert "unknown record type 'dael'" in errors_of(app, absence)["trigger.record_type"][0]
    count = dict(VISIT, trigger={"type": "count", "event": "record.created",
                                 "record_type": "comunication", "threshold": 3},
                 conditions={"rows": []})
    assert "unknown record type 'comunication'" in " ".join(
        errors_of(app, count)["trigger.record_type"])
    with app.app_context():
        # The contract's types load on an empty database; a synced type once stored.
        definition.save(dict(absence, trigger=dict(absence["trigger"], record_type="deal")))
        store.upsert(1, "v1", "visit", {}, owner=org.rob)
        definition.save(dict(count, trigger=dict(count["trigger"], record_type="visit")))


def test_unknown_metric_is_refused_for_every_operator(app, org):
    from alignboard.metrics.models import Metric

    with app.app_context():
        Metric.create(key="revenue", name="Revenue")
    for op, value in (("eq", "nope"), ("ne", "nope"), ("contains_any", "revenue,nope")):
        d = dict(VISIT, trigger={"type": "event", "event": "metric.colour_changed"},
                 conditions={"rows": [{"field": "metric", "op": op, "value": value}]})
        assert errors_of(app, d)["conditions.rows.0.value"] == ["unknown metric 'nope'"], op
        with app.app_context():
            d["conditions"]["rows"][0]["value"] = "revenue"
            definition.save(d)


def test_a_form_key_naming_no_form_is_refused(app, org, forms):
    typo = dict(VISIT, trigger=dict(VISIT["trigger"], form_key="visit_lgo"))
    message = errors_of(app, typo)["trigger.form_key"][0]
    assert message.startswith("no form 'visit_lgo'; forms: [") and "'visit_log'" in message
    with app.app_context():
        assert definition.save(VISIT).key == "visit"


def test_a_form_task_for_an_unknown_form_is_refused(app, org, forms):
    weekly = {"key": "weekly", "name": "Weekly report task",
              "trigger": {"type": "schedule", "cron": "0 15 * * 5"},
              "actions": [{"channel": "form_task", "to": ["subject"],
                           "settings": {"form_key": "weekly_reprot"}}]}
    errors = errors_of(app, weekly)
    assert errors["actions.0.settings.form_key"][0].startswith("no form 'weekly_reprot'")
    weekly["actions"][0]["settings"]["form_key"] = "weekly_report"
    with app.app_context():
        assert definition.save(weekly).key == "weekly"


def test_a_record_field_condition_needs_the_rules_record_type(app, org):
    big = {"key": "big", "name": "Big record",
           "trigger": {"type": "event", "event": "record.created"},
           "conditions": {"rows": [{"field": "fields.amount", "op": "gt", "value": 1000}]},
           "actions": [{"channel": "inbox", "to": ["subject"]}]}
    assert errors_of(app, big)["conditions.rows.0.field"] == [
        "field 'amount' of a record: say which record_type the rule is about (records with "
        "this field: collection, deal)"]
    big["conditions"]["rows"][0]["field"] = "fields.amout"
    assert "no record type has a field 'amout'" in errors_of(
        app, big)["conditions.rows.0.field"][0]
    big["conditions"]["rows"] = []
    big["trigger"]["where"] = {"stage": "won"}
    assert "say which record_type" in errors_of(app, big)["trigger.where"][0]
    big["trigger"]["record_type"] = "deal"
    big["conditions"]["rows"] = [{"field": "fields.amount", "op": "gt", "value": 1000}]
    with app.app_context():
        assert definition.save(big).key == "big"


def test_a_form_field_condition_without_form_key_needs_a_form_with_that_field(app, org,
                                                                           forms):
    short = {"key": "short", "name": "Short visit",
             "trigger": {"type": "event", "event": "form.submitted"},
             "conditions": {"rows": [{"field": "data.duraton", "op": "lt", "value": 30}]},
             "actions": [{"channel": "inbox", "to": ["subject"]}]}
    message = errors_of(app, short)["conditions.rows.0.field"][0]
    assert message.startswith("no form has a field 'duraton' (close: ")
    assert "'duration_minutes' in visit_log" in message
    assert "; forms: kr_checkin, " in message and "Set the trigger's form_key" in message
    # A streak on submissions tests its rows the same way.
    streak = dict(short, trigger={"type": "streak", "event": "form.submitted", "periods": 2})
    assert "no form has a field 'duraton'" in errors_of(
        app, streak)["conditions.rows.0.field"][0]
    # A field some form has is fine without form_key (it tests every form's submissions).
    short["conditions"]["rows"][0]["field"] = "data.duration_minutes"
    with app.app_context():
        assert definition.save(short).key == "short"


def test_an_absence_date_field_holding_no_dates_is_refused(app, org):
    from alignboard.records import store

    quiet = {"key": "quiet", "name": "No deal for 14 days",
             "trigger": {"type": "absence", "record_type": "deal", "days": 14,
                         "date_field": "stage"},
             "actions": [{"channel": "inbox", "to": ["manager"]}]}
    with app.app_context():
        # No deal yet: nothing to judge by (the seed rules load on an empty install).
        definition.validate(quiet)
        for i, stage in enumerate(["won", "lost", "engaging"]):
            store.upsert(1, f"d{i}", "deal", {"stage": stage, "engage_date": "2017-03-01"},
                         owner=org.rob)
    assert errors_of(app, quiet)["trigger.date_field"] == [
        "date_field 'stage' is not a date field: none of the latest 3 values of 'deal' "
        "records is a date (e.g. 'engaging'); name a field holding ISO dates such as "
        "2017-03-31, or use occurred_at"]
    with app.app_context():
        for field in ("engage_date", "occurred_at"):
            quiet["trigger"]["date_field"] = field
            assert definition.save(quiet).definition["trigger"]["date_field"] == field
