"""Real headless Chromium: a rep fills the visit log on a phone; HR builds a form."""
import pytest

from alignboard.forms.models import Form, Submission

# The live server and Chromium come from tests/fixtures/browser.py.
pytestmark = pytest.mark.browser


@pytest.fixture
def server(live_server):
    return live_server


def test_rep_fills_the_visit_log_on_a_phone(server, browser, browser_login, forms, accounts,
                                            org, app):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, geolocation={"latitude": 31.2304,
                                                               "longitude": 121.4737},
                                  permissions=["geolocation"])
    page = context.new_page()
    browser_login(page, "rob")
    page.click("#forms-card >> text=Customer visit log")
    page.select_option("#in-customer", label="Acme Ltd")
    page.fill("#in-start_at", "2026-11-20T10:00")
    page.fill("#in-end_at", "2026-11-20T10:50")
    page.click("button.locate")
    page.wait_for_function("document.querySelector('#in-location-lat').value !== ''")
    page.select_option("#in-outcome", "progress")
    page.fill("#in-attendees", "900")
    page.fill("#in-notes", "Met the buyer and the engineer")
    # "Next step" is required when the outcome is "progress": leave it empty too.
    page.click("#submit")

    attendees = page.locator("#field-attendees .field-error")
    assert "50" in attendees.inner_text()
    assert page.locator("#field-next_step .field-error").inner_text() == \
        "This field is required."
    assert page.input_value("#in-notes") == "Met the buyer and the engineer"
    assert page.input_value("#in-start_at") == "2026-11-20T10:00"
    assert page.input_value("#in-location-lat") == "31.230400"
    assert page.input_value("#in-customer") == str(accounts.acme.id)
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with app.app_context():
        assert Submission.select().count() == 0

    page.fill("#in-attendees", "2")
    page.fill("#in-next_step", "Send the quote")
    page.click("#submit")
    page.wait_for_selector("#visit-validity")
    assert "valid visit" in page.inner_text("#visit-validity")
    assert "Acme Ltd" in page.inner_text("#answers")
    with app.app_context():
        s = Submission.get()
        assert s.data["valid"] is True and s.data["duration_minutes"] == 50
        assert s.data["location"] == {"lat": 31.2304, "lng": 121.4737}
    context.close()


def test_hr_builds_a_form_with_the_field_editor(server, browser, browser_login, org, app):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    browser_login(page, "hr")
    page.goto(f"{server}/admin/forms_admin/new")
    page.fill("#f-key", "call_log")
    page.fill("#f-title-en", "Call log")
    page.fill("#f-title-zh", "通话记录")
    first = page.locator(".field-row").nth(0)
    first.locator('[data-f="key"]').fill("topic")
    first.locator('[data-f="label.en"]').fill("Topic")
    first.locator('[data-f="type"]').select_option("choice")
    first = page.locator(".field-row").nth(0)
    first.locator(".add-choice").click()
    first = page.locator(".field-row").nth(0)
    first.locator('[data-choice="value"]').fill("price")
    first.locator('[data-choice="label.en"]').fill("Price")
    page.click("#add-field")
    second = page.locator(".field-row").nth(1)
    second.locator('[data-f="type"]').select_option("duration")
    second = page.locator(".field-row").nth(1)
    second.locator('[data-f="key"]').fill("minutes")
    second.locator('[data-f="label.en"]').fill("Minutes")
    second.locator('[data-f="required"]').check()
    second.locator('[data-option="max"]').fill("240")
    second.locator(".up").click()
    page.click("#add-field")
    page.locator(".field-row").nth(2).locator(".remove").click()
    page.click("#save")
    page.wait_for_url(f"{server}/admin/forms_admin/edit/call_log")
    with app.app_context():
        d = Form.get(Form.key == "call_log").definition
    assert [f["key"] for f in d["fields"]] == ["minutes", "topic"]
    assert d["fields"][0]["required"] is True and d["fields"][0]["max"] == 240
    assert d["fields"][1]["choices"] == [{"value": "price", "label": {"en": "Price", "zh": ""}}]
    assert d["title"] == {"en": "Call log", "zh": "通话记录"}
    page.close()


def test_editor_shows_a_server_error_beside_the_field(server, browser, browser_login, org,
                                                      app):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    browser_login(page, "hr")
    page.goto(f"{server}/admin/forms_admin/new")
    page.fill("#f-key", "dupes")
    page.fill("#f-title-en", "Dupes")
    page.locator(".field-row").nth(0).locator('[data-f="key"]').fill("a")
    page.locator(".field-row").nth(0).locator('[data-f="label.en"]').fill("A")
    page.click("#add-field")
    page.locator(".field-row").nth(1).locator('[data-f="key"]').fill("a")
    page.locator(".field-row").nth(1).locator('[data-f="label.en"]').fill("A again")
    page.click("#save")
    page.wait_for_selector(".field-row.border-danger")
    second = page.locator(".field-row").nth(1)
    assert "duplicate key 'a'" in second.locator(".field-error").inner_text()
    # The rows come back as they were typed.
    assert second.locator('[data-f="label.en"]').input_value() == "A again"
    with app.app_context():
        assert Form.select().count() == 0
    page.close()
