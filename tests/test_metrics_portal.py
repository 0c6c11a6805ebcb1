"""The "My metrics" card on the home page, with colours and the legend."""
from alignboard.metrics.api import set_target
from alignboard.org.models import Period


def test_rep_sees_own_metrics_card_with_legend(client, app, deals, won_value, admin_session):
    org = deals.org
    with app.app_context():
        # The card shows the latest quarter, which is the last one stored (2017-Q4): the
        # rep has a value there, 0, even with no deal in it.
        q4 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q4"))
        set_target("won_value", "person", org.rob.id, q4.id, 10 ** 6)
    admin_session(org.rob)
    page = client.get("/").data.decode()
    assert 'id="my-metrics"' in page
    assert 'data-metric="won_value" data-colour="red"' in page
    assert "below 85% of pace" in page


def test_manager_card_includes_the_team_total(client, app, deals, won_value, admin_session):
    admin_session(deals.org.mia)
    page = client.get("/").data.decode()
    assert "(team)" in page
