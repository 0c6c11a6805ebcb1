"""HR builds a metric in the admin with a real browser: selects, a filter row added with the
"Add" button, then sees coloured values with their legend."""
import pytest

from alignboard.metrics.models import Metric, MetricFilter, MetricValue

@pytest.fixture
def server(app, live_server):
    # The browser posts real forms, so they carry their CSRF tokens as in production.
    app.config["WTF_CSRF_ENABLED"] = True
    return live_server


@pytest.mark.browser
def test_hr_builds_won_value_in_the_admin_and_sees_the_legend(app, deals, server, browser):
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
    page.close()
    assert "Won value" in legend and "1 or more" in legend
    with app.app_context():
        metric = Metric.get(Metric.key == "won_value")
        assert [(f.field, f.value) for f in MetricFilter.select()] == [("stage", "won")]
        # Every value with won deals is green; the people and quarters with none show 0,
        # which the single band (1 or more) leaves uncoloured.
        colours = {(v.value > 0, v.colour)
                   for v in MetricValue.select().where(MetricValue.metric == metric)}
        assert colours == {(True, "green"), (False, None)}
