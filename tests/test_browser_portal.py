"""The login and home pages in a real headless browser at phone size."""
import pytest

pytestmark = pytest.mark.browser


def test_rep_logs_in_on_a_phone_and_sees_only_their_page(phone, live_server, org,
                                                          browser_login):
    browser_login(phone, "rob")
    assert "Hello, Rob" in phone.inner_text("main")
    assert phone.locator("#team").count() == 0
    # Nothing is wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_wrong_password_shows_an_error_and_keeps_the_login(phone, live_server, org):
    phone.goto(live_server + "/login")
    phone.fill("#login", "rob")
    phone.fill("#password", "wrong")
    phone.click("button[type=submit]")
    assert "Wrong login or password" in phone.inner_text("[role=alert]")
    assert phone.input_value("#login") == "rob"


def test_switching_to_chinese_in_the_browser(phone, live_server, org, browser_login):
    browser_login(phone, "mia")
    with phone.expect_navigation():
        phone.select_option("select[name=locale]", "zh_CN")
    assert "你好" in phone.inner_text("main")
    phone.screenshot(path="/tmp/alignboard-home-zh.png")


def test_manager_metrics_card_fits_a_phone(phone, live_server, app, deals, won_value,
                                           browser_login):
    from alignboard.metrics.api import set_target
    from alignboard.org.models import Period

    with app.app_context():
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))
        # Demo-sized numbers: seven-digit targets are what overflowed a phone before.
        set_target("won_value", "unit", deals.org.team_a.id, q1.id, 2500000)
        set_target("won_value", "person", deals.org.mia.id, q1.id, 1250000)
    browser_login(phone, "mia")
    assert phone.locator("#my-metrics tr[data-colour]").count() > 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # Every cell stays inside the card: none is cut off or needs a sideways scroll.
    overflow = phone.evaluate("""() => {
        const card = document.querySelector('#my-metrics').getBoundingClientRect();
        return [...document.querySelectorAll('#my-metrics th, #my-metrics td')]
            .filter(c => c.getBoundingClientRect().right > card.right + 1)
            .map(c => c.innerText);
    }""")
    assert overflow == []
