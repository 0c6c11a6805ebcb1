"""The metrics admin: metrics built from form controls, bad ones refused, values with legend."""
import pytest

from alignboard.metrics.models import ColourBand, ColourRule, Metric, MetricFilter, MetricValue


def _metric_form(token, no_filters=False, **overrides):
    data = {"csrf_token": token, "key": "won_value", "name": "Won value", "description": "",
            "kind": "aggregate", "source": "records", "record_types": "deal,collection",
            "form_key": "", "aggregation": "sum", "field": "amount", "numerator": "__None",
            "denominator": "__None", "formula": "", "window": "period", "rolling_days": "",
            "period_kinds": "week,quarter", "by_person": "y", "by_unit": "y",
            "unit_label": "USD", "decimals": "0", "active": "y",
            "filters-0-field": "stage", "filters-0-op": "eq", "filters-0-value": "won"}
    data.update(overrides)
    if no_filters:
        data = {k: v for k, v in data.items() if not k.startswith("filters-")}
    return data


def test_hr_builds_a_metric_with_a_filter_row_and_values_appear(client, app, deals,
                                                                admin_session):
    token = admin_session(deals.org.hr)
    response = client.post("/admin/metric/new/", data=_metric_form(token))
    assert response.status_code == 302, response.data.decode()[-2000:]
    with app.app_context():
        metric = Metric.get(Metric.key == "won_value")
        assert [(f.field, f.op, f.value) for f in MetricFilter.select()] == [
            ("stage", "eq", "won")]
        assert MetricValue.select().where(MetricValue.metric == metric).count() > 0


def test_a_formula_with_a_syntax_error_is_refused_with_the_reason(client, app, deals,
                                                                  admin_session):
    token = admin_session(deals.org.hr)
    client.post("/admin/metric/new/", data=_metric_form(token))
    response = client.post("/admin/metric/new/", data=_metric_form(
        token, key="bonus", kind="formula", formula="won_value * (", no_filters=True),
        follow_redirects=True)
    page = response.data.decode()
    assert "syntax error at character 13: unclosed parenthesis &#39;(&#39;" in page
    with app.app_context():
        assert not Metric.select().where(Metric.key == "bonus").exists()


def test_an_unknown_metric_in_a_formula_is_refused(client, app, deals, admin_session):
    token = admin_session(deals.org.hr)
    response = client.post("/admin/metric/new/", data=_metric_form(
        token, key="bonus", kind="formula", formula="visits * 2", no_filters=True), follow_redirects=True)
    assert "unknown metric &#39;visits&#39;" in response.data.decode()
    with app.app_context():
        assert Metric.select().count() == 0 and MetricFilter.select().count() == 0


def test_overlapping_colour_bands_are_refused_and_nothing_is_stored(client, app, deals,
                                                                   admin_session):
    token = admin_session(deals.org.hr)
    client.post("/admin/metric/new/", data=_metric_form(token))
    with app.app_context():
        metric_id = Metric.get(Metric.key == "won_value").id
    form = {"csrf_token": token, "metric": str(metric_id), "basis": "pace", "description": "",
            "bands-0-colour": "green", "bands-0-lower": "90", "bands-0-upper": "",
            "bands-0-consecutive": "1", "bands-0-label": "",
            "bands-1-colour": "red", "bands-1-lower": "", "bands-1-upper": "95",
            "bands-1-consecutive": "1", "bands-1-label": ""}
    response = client.post("/admin/colourrule/new/", data=form, follow_redirects=True)
    assert "overlap" in response.data.decode()
    with app.app_context():
        assert ColourRule.select().count() == 0 and ColourBand.select().count() == 0
    form["bands-1-upper"] = "90"
    response = client.post("/admin/colourrule/new/", data=form)
    assert response.status_code == 302
    with app.app_context():
        assert ColourBand.select().count() == 2


def test_values_list_shows_colours_and_the_legend(client, app, deals, won_value,
                                                  admin_session):
    from alignboard.metrics.api import set_target
    from alignboard.org.models import Period

    with app.app_context():
        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))
        set_target("won_value", "person", deals.org.rob.id, q1.id, 10 ** 6)
    admin_session(deals.org.hr)
    page = client.get("/admin/metricvalue/").data.decode()
    assert 'id="metric-legend"' in page and "below 85% of pace" in page
    assert ">red</span>" in page
    assert client.get("/admin/metric/").status_code == 200


def test_a_rep_cannot_open_the_metrics_admin(client, app, deals, admin_session):
    admin_session(deals.org.rob)
    assert client.get("/admin/metric/").status_code == 403


def test_a_metric_other_metrics_use_cannot_be_deleted(client, app, deals, admin_session):
    from alignboard.metrics import definitions

    token = admin_session(deals.org.hr)
    client.post("/admin/metric/new/", data=_metric_form(token))
    with app.app_context():
        definitions.save(dict(key="bonus", name="Bonus", kind="formula",
                              formula="won_value * 0.01", period_kinds="quarter"))
        won_id = Metric.get(Metric.key == "won_value").id
    response = client.post("/admin/metric/delete/", data={"id": str(won_id),
                                                          "csrf_token": token},
                           follow_redirects=True)
    assert "used by bonus" in response.data.decode()
    with app.app_context():
        assert Metric.select().where(Metric.id == won_id).exists()


def test_composite_parts_must_weigh_100_in_the_admin(client, app, deals, admin_session):
    token = admin_session(deals.org.hr)
    client.post("/admin/metric/new/", data=_metric_form(token))
    client.post("/admin/metric/new/", data=_metric_form(token, key="won_deals",
                                                        aggregation="count", field=""))
    with app.app_context():
        ids = {m.key: m.id for m in Metric.select()}
    form = _metric_form(token, key="score", name="Score", kind="composite", no_filters=True,
                        period_kinds="quarter", **{
                            "parts-0-part": str(ids["won_value"]), "parts-0-weight": "20",
                            "parts-1-part": str(ids["won_deals"]), "parts-1-weight": "20"})
    response = client.post("/admin/metric/new/", data=form, follow_redirects=True)
    assert "add up to 40%" in response.data.decode()
    with app.app_context():
        assert not Metric.select().where(Metric.key == "score").exists()
    form["parts-1-weight"] = "80"
    assert client.post("/admin/metric/new/", data=form).status_code == 302
    with app.app_context():
        score = Metric.get(Metric.key == "score")
        assert MetricValue.select().where(MetricValue.metric == score).count() > 0


@pytest.mark.parametrize("weights, message", [
    ("1,inf", "no inf or nan"),
    ("nan,1", "no inf or nan"),
    ("1e308,1e308", "sum overflows"),
    ("0,0", "not all zero"),
])
def test_curve_weights_that_are_not_finite_or_sum_to_nothing_are_refused(
        client, app, crm_people, admin_session, weights, message):
    from alignboard.metrics.models import SeasonalityCurve

    token = admin_session(crm_people.hr)
    response = client.post("/admin/seasonalitycurve/new/", data={
        "csrf_token": token, "name": "odd", "weights": weights}, follow_redirects=True)
    assert message in response.data.decode()
    with app.app_context():
        assert not SeasonalityCurve.select().exists()


def _speaks_chinese(app, person):
    from alignboard.org.models import Person

    with app.app_context():
        Person.update(locale="zh_CN").where(Person.id == person.id).execute()


def test_formula_refusals_speak_chinese_on_the_chinese_admin(client, app, deals, won_value,
                                                             admin_session):
    _speaks_chinese(app, deals.org.hr)
    token = admin_session(deals.org.hr)
    for formula, chinese in (
            ("won_value * (", "第 13 个字符处语法错误：圆括号 &#39;(&#39; 未闭合"),
            ("if(won_value > 0, 1)", "if() 需要 3 个参数（condition, if_true, if_false），"
                                     "而不是 2 个"),
            ("won_value.real", "公式中不允许使用属性访问 (a.b)"),
            ("lost_value * 2", "公式中有未知指标 &#39;lost_value&#39;")):
        page = client.post("/admin/metric/new/", follow_redirects=True, data=_metric_form(
            token, key="bonus", kind="formula", formula=formula, no_filters=True)).data.decode()
        assert chinese in page, formula
        assert "syntax error" not in page and "takes 3 arguments" not in page
    with app.app_context():
        assert not Metric.select().where(Metric.key == "bonus").exists()
    page = client.post("/admin/seasonalitycurve/new/", follow_redirects=True, data={
        "csrf_token": token, "name": "odd", "weights": "1,inf"}).data.decode()
    assert "权重必须是普通数字" in page and "no inf or nan" not in page


def test_refusals_legends_and_colour_names_speak_chinese(client, app, deals, won_value,
                                                          admin_session):
    """definitions.check, colours.check_bands and the views' own checks run away from the
    page; on the zh_CN admin their refusals, the legend and the colour words are Chinese."""
    _speaks_chinese(app, deals.org.hr)
    token = admin_session(deals.org.hr)
    page = client.post("/admin/metric/new/", follow_redirects=True, data=_metric_form(
        token, key="calls", name="Calls", period_kinds="day", decimals="9")).data.decode()
    assert "小数位数为 0 到 6" in page and "&#39;day&#39; 不是周期类型" in page
    assert "0 to 6 decimals" not in page and "is not a period kind" not in page
    with app.app_context():
        metric_id = Metric.get(Metric.key == "won_value").id
        ColourBand.delete().execute()
        ColourRule.delete().execute()
    form = {"csrf_token": token, "metric": str(metric_id), "basis": "pace", "description": "",
            "bands-0-colour": "green", "bands-0-lower": "90", "bands-0-upper": "",
            "bands-0-consecutive": "1", "bands-0-label": "",
            "bands-1-colour": "red", "bands-1-lower": "", "bands-1-upper": "95",
            "bands-1-consecutive": "1", "bands-1-label": ""}
    page = client.post("/admin/colourrule/new/", data=form, follow_redirects=True).data.decode()
    assert "第 1 个区间（绿色：90 及以上）与第 2 个区间（红色：低于 95）重叠" in page
    assert "overlap" not in page
    form["bands-1-upper"] = "90"
    assert client.post("/admin/colourrule/new/", data=form).status_code == 302
    with app.app_context():
        from alignboard.metrics.api import set_target
        from alignboard.org.models import Period

        q1 = Period.get((Period.kind == "quarter") & (Period.name == "2017-Q1"))
        set_target("won_value", "person", deals.org.rob.id, q1.id, 10 ** 6)
    page = client.get("/admin/metricvalue/").data.decode()
    listing, legend = page.split('id="metric-legend"')
    assert ">红色</span>" in listing and ">red</span>" not in listing
    assert "低于 90%（相对进度）" in legend and ">红色</span>" in legend
    assert "of pace" not in legend and ">red</span>" not in legend
    # The words change, not the keys: CSS colours and data stay English.
    assert "#c62828" in listing


def test_a_second_colour_rule_for_a_metric_is_refused_clearly(client, app, deals, won_value,
                                                               admin_session):
    """One rule per metric: the admin says so instead of the database's UNIQUE error."""
    token = admin_session(deals.org.hr)
    with app.app_context():
        metric = Metric.get(Metric.key == "won_value")
        assert ColourRule.select().where(ColourRule.metric == metric).exists()
        bands_before = ColourBand.select().count()
    form = {"csrf_token": token, "metric": str(metric.id), "basis": "value", "description": "",
            "bands-0-colour": "blue", "bands-0-lower": "1", "bands-0-upper": "",
            "bands-0-consecutive": "1", "bands-0-label": ""}
    page = client.post("/admin/colourrule/new/", data=form, follow_redirects=True).data.decode()
    assert "Won value already has a colour rule: edit that rule to change its bands." in page
    assert "UNIQUE" not in page
    with app.app_context():
        assert ColourRule.select().count() == 1 and ColourBand.select().count() == bands_before
    _speaks_chinese(app, deals.org.hr)
    admin_session(deals.org.hr)
    page = client.post("/admin/colourrule/new/", data=form, follow_redirects=True).data.decode()
    assert "Won value 已有颜色规则" in page
