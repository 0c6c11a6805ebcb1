"""`alignboard demo`: the CRM company's org through the importer, its data through the csv
connector and its mapping."""
import json
from datetime import datetime

from alignboard.cli import main
from alignboard.connectors.models import Connection, SyncRun
from alignboard.org.models import Person, Role, Unit
from alignboard.records.models import Record


def test_demo_loads_the_crm_sample_through_csv_connections_once(app, runner, shipped):
    first = runner.invoke(main, ["demo", "--password", "password123"])
    assert first.exit_code == 0, first.output
    assert "succeeded: 8800 created" in first.output
    with app.app_context():
        reps = Person.select().join(Role).where(Role.key == "rep")
        managers = Person.select().join(Role).where(Role.key == "manager")
        assert reps.count() == 35 and managers.count() == 6
        assert Unit.select().where(Unit.kind == "region").count() == 3
        anna = Person.get(Person.login == "anna.snelling")
        assert anna.manager.login == "dustin.brinkmann"
        assert anna.unit.leader.login == "dustin.brinkmann"
        assert anna.check_password("password123")
        for login in ("hr", "exec", "admin", "mei-mei.johns"):
            assert Person.get_or_none(Person.login == login), login
        conns = {c.name: c for c in Connection.select()}
        assert {c.connector for c in conns.values()} == {"csv"}
        assert [r.trigger for r in SyncRun.select()] == ["demo", "demo"]
        assert Record.select().where(Record.type == "deal").count() == 8800
        assert Record.select().where(Record.type == "account").count() == 85
        # The shared contract for CRM deals (see the connectors README section).
        deal = Record.get(Record.external_id == "1C1I7A6R")
        assert deal.owner.login == "moses.frase" and deal.owner_ref == "Moses Frase"
        assert deal.fields == {"stage": "won", "amount": 1054.0, "product": "GTX Plus Basic",
                               "account": "Cancity", "engage_date": "2016-10-20",
                               "close_date": "2017-03-01"}
        assert deal.occurred_at == datetime(2017, 3, 1)
        engaging = Record.get(Record.external_id == "HAXMC4IX")
        assert engaging.fields["account"] is None and engaging.fields["amount"] is None
        assert engaging.occurred_at == datetime(2016, 11, 3)
        assert Record.select().where(Record.owner.is_null()).where(
            Record.type == "deal").count() == 0
        assert Record.select().where(Record.type == "collection").count() == 0
        blank = [r for r in Record.select().where(Record.type == "deal")
                 if r.fields["account"] is None]
        assert len(blank) == 1425
        prospecting = [r for r in Record.select().where(Record.type == "deal")
                       if r.fields["stage"] == "prospecting"]
        assert prospecting and all(r.occurred_at is None for r in prospecting)
    second = runner.invoke(main, ["demo", "--password", "password123"])
    assert second.exit_code == 0, second.output
    assert "0 created" in second.output
    with app.app_context():
        from alignboard.goals.models import Objective
        from alignboard.metrics.models import Metric, MetricValue
        assert {m.key for m in Metric.select()} >= {"won_value", "collections"}
        assert MetricValue.select().where(MetricValue.colour == "red").exists()
        assert Objective.select().exists()
        from alignboard.forms.models import Form, FormVersion
        assert {f.key for f in Form.select()} >= {"weekly_report", "visit_log", "kr_checkin",
                                                  "target_adjustment", "objective"}
        assert FormVersion.select().count() == Form.select().count()  # no version added
        assert Person.select().count() == 44
        assert Record.select().count() == 8885
        last = list(SyncRun.select().order_by(SyncRun.id))[-2:]
        assert [(r.created, r.updated) for r in last] == [(0, 0), (0, 0)]
        from alignboard.rules.models import Rule
        rules = {r.key: r for r in Rule.select()}
        assert len(rules) == 7 and rules["no-new-customer-14d"].enabled
        assert {r.version for r in rules.values()} == {1}  # loading again adds no version
    # The shipped rule over the CRM sample: who would have had a meeting reminder in Q1 2017.
    backtest = runner.invoke(main, ["rules", "backtest", "no-new-customer-14d",
                                    "--from", "2017-01-01", "--to", "2017-03-31", "--json"])
    assert backtest.exit_code == 0, backtest.output
    firings = [json.loads(line) for line in backtest.output.splitlines()]
    assert firings and all(f["rule"] == "no-new-customer-14d" for f in firings)
    with app.app_context():
        managers = {p.login: p.manager.login for p in Person.select().where(
            Person.manager.is_null(False))}
    for f in firings:
        assert f["recipients"] == [managers[f["subject"]]]
        assert "2017-01-01" <= f["at"][:10] <= "2017-03-31"


def test_demo_without_the_csv_plugin_says_what_to_install(app, runner):
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 1 and "pip install -e plugins/csv" in result.output
    with app.app_context():
        from alignboard.org.models import Person
        assert Person.select().count() == 0
