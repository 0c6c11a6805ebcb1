"""HR builds a metric in the admin with a real browser: selects, a filter row added with the
"Add" button, then sees coloured values with their legend."""
import threading

import pytest
from werkzeug.serving import make_server

from alignboard.metrics.models import Metric, MetricFilter, MetricValue

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def server(app):
    # The browser posts real forms, so they carry their CSRF tokens as in production.
    app.config["WTF_CSRF_ENABLED"] = True
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()


@pytest.mark.browser
def test_hr_builds_won_value_in_the_admin_and_sees_the_legend(app, deals, server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page()
        page.goto(server + "/login")
        page.fill("input[name=login]", "hr")
        page.fill("input[name=password]", "password123")
        page.click("button[type=submit], input[type=submit]")
        page.goto(server + "/admin/metric/new/")
        page.fill("#key", "won_value")
        page.fill("#name", "Won value")
        page.select_option("#kind", "aggregate")
        page.select_option("#source", "records")
        page.fill("#record_types", "deal,collection")
        page.select_option("#aggregation", "sum")
        page.fill("#field", "amount")
        page.fill("#period_kinds", "quarter")
        page.click("#filters-button")
        page.fill("#filters-0-field", "stage")
        page.select_option("#filters-0-op", "eq")
        page.fill("#filters-0-value", "won")
        page.click("input[type=submit][value=Save], button[type=submit]:has-text('Save')")
        page.wait_for_url("**/admin/metric/**")
        page.goto(server + "/admin/colourrule/new/")
        page.select_option("#metric", label="Won value (won_value)")
        page.select_option("#basis", "value")
        page.click("#bands-button")
        page.select_option("#bands-0-colour", "green")
        page.fill("#bands-0-lower", "1")
        page.fill("#bands-0-consecutive", "1")
        page.click("input[type=submit][value=Save], button[type=submit]:has-text('Save')")
        page.wait_for_url("**/admin/colourrule/**")
        page.goto(server + "/admin/metricvalue/")
        legend = page.inner_text("#metric-legend")
        browser.close()
    assert "Won value" in legend and "1 or more" in legend
    with app.app_context():
        metric = Metric.get(Metric.key == "won_value")
        assert [(f.field, f.value) for f in MetricFilter.select()] == [("stage", "won")]
        colours = {v.colour for v in MetricValue.select().where(MetricValue.metric == metric)}
        assert colours == {"green"}
