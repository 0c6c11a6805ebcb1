"""``alignboard rules load | load-templates | export | worker``."""
import yaml

from alignboard.rules.models import Rule


def test_seed_templates_load_in_one_command(runner, app, org):
    # The seed rules name seed forms (visit_log, kr_checkin, weekly_report): forms first.
    assert runner.invoke(args=["forms", "load-templates"]).exit_code == 0
    result = runner.invoke(args=["rules", "load-templates"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        keys = {r.key for r in Rule.select()}
    assert keys == {"weekly-report-friday", "update-opportunity-stage", "no-new-customer-14d",
                    "unit-behind-plan-red", "kr-worded-as-activity", "visit-not-valid",
                    "weekly-behaviour-health"}
    again = runner.invoke(args=["rules", "load-templates"])
    assert again.exit_code == 0
    with app.app_context():
        assert Rule.get(Rule.key == "visit-not-valid").version == 1


def test_seed_rules_before_their_forms_store_nothing_and_say_to_load_the_forms(
        runner, app, org):
    result = runner.invoke(args=["rules", "load-templates"])
    assert result.exit_code == 1
    assert ("06-visit-not-valid.yaml: visit-not-valid: trigger.form_key: no form 'visit_log'"
            in result.output)
    assert "load the seed forms first (alignboard forms load-templates)" in result.output
    assert "nothing was stored" in result.output
    with app.app_context():
        assert Rule.select().count() == 0


def test_export_round_trips_through_load(runner, app, org, forms, tmp_path):
    runner.invoke(args=["rules", "load-templates"])
    out = runner.invoke(args=["rules", "export", "visit-not-valid"])
    assert out.exit_code == 0
    data = yaml.safe_load(out.output)["rules"][0]
    assert data["trigger"]["form_key"] == "visit_log"
    data["name"] = "Renamed"
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(data))
    assert runner.invoke(args=["rules", "load", str(path)]).exit_code == 0
    with app.app_context():
        rule = Rule.get(Rule.key == "visit-not-valid")
        assert rule.name == "Renamed" and rule.version == 2
    written = runner.invoke(args=["rules", "export", "--out", str(tmp_path / "out")])
    assert written.exit_code == 0 and len(list((tmp_path / "out").glob("*.yaml"))) == 7


def test_a_bad_file_stores_nothing_and_says_why(runner, app, org, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"rules": [
        {"key": "fine", "name": "Fine", "trigger": {"type": "event", "event": "form.submitted"},
         "actions": [{"channel": "inbox", "to": ["subject"]}]},
        {"key": "cron-typo", "name": "Bad", "trigger": {"type": "schedule", "cron": "0 25 * * 5"},
         "actions": [{"channel": "inbox", "to": ["subject"]}]}]}))
    result = runner.invoke(args=["rules", "load", str(path)])
    assert result.exit_code == 1
    assert "cron-typo" in result.output and "trigger.cron" in result.output
    assert "nothing was stored" in result.output
    with app.app_context():
        assert Rule.select().count() == 0


def test_worker_once_runs_one_pass(runner, app, org):
    result = runner.invoke(args=["rules", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert '"events": 0' in result.output
