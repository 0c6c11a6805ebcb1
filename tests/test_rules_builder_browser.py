"""The rule builder in a real headless Chromium: pick the trigger, add a condition row with
the button, pick recipients, preview the generated ruleset, save."""
import pytest

from alignboard.rules.models import Rule

pytestmark = pytest.mark.browser

def test_hr_builds_a_two_condition_rule_in_the_browser(app, org, forms, live_server, browser):
    """live_server and browser come from tests/fixtures/browser.py."""
    page = browser.new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=login]", "hr")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.goto(live_server + "/admin/rule_builder/")
    page.fill("input[name=key]", "short-visit")
    page.fill("input[name=name]", "Short visit")
    page.check("input[name=enabled]")
    page.select_option("select[name=trigger_type]", "event")
    page.select_option("select[name=event]", "form.submitted")
    page.fill("input[name=form_key]", "visit_log")
    page.select_option("select[name=match]", "any")
    rows = page.locator(".cond-row")
    rows.nth(0).locator("input[name=cond_field]").fill("data.duration_minutes")
    rows.nth(0).locator("select[name=cond_op]").select_option("lt")
    rows.nth(0).locator("input[name=cond_value]").fill("30")
    page.click("#add-condition")
    assert page.locator(".cond-row").count() == 2
    rows.nth(1).locator("input[name=cond_field]").fill("data.location")
    rows.nth(1).locator("select[name=cond_op]").select_option("empty")
    page.select_option("select[name=action_0_channel]", "inbox")
    page.select_option("select[name=action_0_to]", ["subject", "manager"])
    page.fill("input[name=action_0_title]", "Visit too short: {subject_name}")
    page.click("button[value=preview]")
    assert "data__location" in page.inner_text("#generated")
    page.click("#save-rule")
    page.wait_for_url("**key=short-visit")
    page.close()
    with app.app_context():
        rule = Rule.get(Rule.key == "short-visit")
        rows = rule.definition["conditions"]["rows"]
        assert [r["op"] for r in rows] == ["lt", "empty"] and rule.enabled
        assert rule.definition["actions"][0]["to"] == ["subject", "manager"]
