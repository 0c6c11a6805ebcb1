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


def test_sync_command_counts_rows_while_a_source_without_a_total_is_read(
        app, runner, org, shipped, source, monkeypatch):
    """rest pages until an empty page and never says how many rows there are: the command
    still shows how far it got, while it runs (not only in the summary at the end)."""
    import sys

    from alignboard.connectors import cli, service

    monkeypatch.setattr(cli, "PROGRESS_EVERY", 0)
    items = [{"id": f"R{i}", "amount": str(i)} for i in range(5)]
    seen_while_running = []

    def deals(req):
        page = int(req.query["page"])
        if page == 3:
            # What the user has seen on the terminal when the third page is requested.
            sys.stdout.flush()
            seen_while_running.append(sys.stdout.buffer.getvalue().decode())
        return 200, {"data": items[(page - 1) * 2:page * 2]}

    source.route("GET", "/deals", deals)
    with app.app_context():
        service.create("api", "rest", {"url": source.url + "/deals", "records_path": "data",
                                       "pagination": "page", "page_size": 2},
                       {"external_id": "id", "type": "deal",
                        "fields": [{"source": "amount", "target": "amount",
                                    "convert": "number"}]})
    result = runner.invoke(main, ["sync", "api"])
    assert result.exit_code == 0, result.output
    assert seen_while_running == [
        "syncing api: 2 rows read (2 created, 0 updated, 0 unchanged, 0 failed)\n"
        "syncing api: 4 rows read (4 created, 0 updated, 0 unchanged, 0 failed)\n"]
    lines = result.output.splitlines()
    assert "syncing api: 5 rows read (5 created, 0 updated, 0 unchanged, 0 failed)" in lines
    assert lines[-1] == "api: succeeded: 5 created, 0 updated, 0 unchanged, 0 failed"


def test_on_a_terminal_the_count_is_rewritten_in_place(app, org, shipped, source,
                                                        monkeypatch):
    from alignboard.connectors import cli, service

    monkeypatch.setattr(cli, "_is_terminal", lambda: True)
    items = [{"id": f"R{i}"} for i in range(3)]
    source.route("GET", "/deals", lambda req: (200, {"data": items[
        (int(req.query["page"]) - 1) * 2:int(req.query["page"]) * 2]}))
    out = []
    with app.app_context():
        c = service.create("api", "rest", {"url": source.url + "/deals", "records_path": "data",
                                           "pagination": "page", "page_size": 2},
                           {"external_id": "id", "type": "deal"})
        cli.run_with_progress(c, echo=lambda text="", nl=True: out.append(text + "\n" * nl))
    text = "".join(out)
    assert text.startswith("\rsyncing api: 2 rows read (2 created, 0 updated, 0 unchanged, "
                           "0 failed)\rsyncing api: 3 rows read (3 created")
    assert text.endswith(" failed)\napi: succeeded: 3 created, 0 updated, 0 unchanged, "
                         "0 failed\n")
