"""`alignboard sync` and `alignboard connections`."""
from alignboard.cli import main


def test_sync_command_reports_counts_and_failed_rows(runner, csv_connection):
    csv_connection.path.write_text(csv_connection.path.read_text() + "D9,Rob,,,,,,x\n")
    result = runner.invoke(main, ["sync", "deals"])
    assert result.exit_code == 0, result.output
    assert "deals: succeeded: 4 created, 0 updated, 0 unchanged, 1 failed" in result.output
    assert "deals.csv:6 D9: close_value: 'x' is not a number" in result.output
    again = runner.invoke(main, ["sync", str(csv_connection.id), "--full"])
    assert "0 created, 0 updated, 4 unchanged, 1 failed" in again.output


def test_sync_command_fails_with_the_reason(runner, csv_connection):
    csv_connection.path.unlink()
    result = runner.invoke(main, ["sync", "deals"])
    assert result.exit_code == 1 and "is neither a file nor a folder" in result.output
    assert runner.invoke(main, ["sync", "nosuch"]).exit_code == 1


def test_connections_command_lists_the_last_run(runner, csv_connection):
    runner.invoke(main, ["sync", "deals"])
    result = runner.invoke(main, ["connections"])
    assert "deals" in result.output and "csv" in result.output
    assert "last run succeeded" in result.output and "on demand" in result.output


def test_sync_command_refuses_a_connection_already_syncing_without_a_traceback(
        app, runner, csv_connection):
    from alignboard.connectors.models import SyncRun

    with app.app_context():
        live = SyncRun.create(connection=csv_connection.id, trigger="schedule")
    result = runner.invoke(main, ["sync", "deals"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.exc_info[0] is SystemExit
    assert f"Error: connection 'deals' is already syncing (run {live.id}" in result.output
    with app.app_context():
        assert SyncRun.select().count() == 1
