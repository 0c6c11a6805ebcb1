"""An admin sets up a csv connection, maps its fields and syncs it, in a real browser."""
import pytest

from alignboard.records.models import Record

pytestmark = pytest.mark.browser


@pytest.fixture
def served(live_server):
    """The app on loopback, from tests/fixtures/browser.py."""
    return live_server


def test_admin_creates_maps_and_syncs_a_csv_connection(app, org, shipped, served, tmp_path,
                                                        browser):
    path = tmp_path / "deals.csv"
    path.write_text("id,stage,value,rep\nB1,Closed Won,60000,rob\nB2,Open,x,rae\n")
    page = browser.new_page()
    page.goto(served + "/login")
    page.fill("input[name=login]", "admin")
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")
    page.goto(served + "/admin/connections/")
    page.click("#new-csv")
    page.fill("#name", "browser deals")
    page.fill("input[name=s_path]", str(path))
    page.click("#connection-form button.btn-primary")
    # Lands on the mapping page.
    page.fill("input[name=external_id]", "id")
    page.fill("input[name=type]", "deal")
    page.fill("input[name=owner_source]", "rep")
    page.fill("input[name='f-0-source']", "stage")
    page.fill("input[name='f-0-target']", "stage")
    page.fill("textarea[name='f-0-value_map']", "Closed Won = won")
    page.fill("input[name='f-1-source']", "value")
    page.fill("input[name='f-1-target']", "amount")
    page.select_option("select[name='f-1-convert']", "number")
    page.fill("input[name='c-0-type']", "collection")
    page.fill("input[name='c-0-0-field']", "stage")
    page.fill("input[name='c-0-0-value']", "won")
    page.fill("input[name='c-0-1-field']", "amount")
    page.select_option("select[name='c-0-1-op']", ">")
    page.fill("input[name='c-0-1-value']", "50000")
    page.click("#mapping-form button.btn-primary")
    assert "Mapping saved" in page.content()
    # No worker runs in this test: in immediate mode the queued sync runs at once.
    app.config["HUEY_BACKEND"] = "immediate"
    page.goto(served + "/admin/connections/")
    page.click("button[value=now]")
    # "Sync now" lands on the connection's runs; the newest run's page lists failed rows.
    assert "<td>admin</td><td>succeeded</td>" in page.content()
    page.click("#runs tbody tr:first-child a")
    assert page.inner_text("#run-status") == "succeeded"
    assert "'x' is not a number" in page.inner_text("#failures")
    page.close()
    with app.app_context():
        record = Record.get(Record.external_id == "B1")
        assert record.type == "collection" and record.owner_id == org.rob.id
