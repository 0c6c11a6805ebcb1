"""The database proxy and its connection settings."""
from alignboard.db import database, dialect
from conftest import BACKEND


def test_database_matches_the_backend_and_its_settings(app):
    with app.app_context():
        database.connect(reuse_if_open=True)
        if BACKEND == "postgres":
            assert dialect() == "postgres"
        else:
            assert dialect() == "sqlite"
            assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_each_request_closes_its_connection(app, client):
    client.get("/healthz")
    assert database.is_closed()


def test_a_transaction_that_reads_then_writes_survives_a_concurrent_writer(app, tmp_path):
    """Two connections, as the web process and the worker: one reads, the other commits a
    write meanwhile, then the first writes. On SQLite a deferred transaction would fail
    with 'database is locked'; both must succeed."""
    import threading

    from alignboard.db import open_database
    from alignboard.org.models import Role

    url = app.config["DATABASE_URL"]
    other = open_database(url)
    read_done, other_started = threading.Event(), threading.Event()
    errors = []

    def writer():
        read_done.wait(5)
        other_started.set()
        try:
            with other.atomic():
                other.execute_sql("UPDATE role SET description = 'by the worker' "
                                  "WHERE key = 'rep'")
        except Exception as exc:  # reported below
            errors.append(exc)

    with app.app_context():
        thread = threading.Thread(target=writer)
        thread.start()
        with database.atomic():
            Role.get(Role.key == "rep")  # the read
            read_done.set()
            other_started.wait(5)
            thread.join(0.3)  # let the other writer try while this one is open
            Role.update(description="by the web").where(Role.key == "exec").execute()
        thread.join(10)
        other.close()
        assert errors == []
        assert Role.get(Role.key == "rep").description == "by the worker"
        assert Role.get(Role.key == "exec").description == "by the web"
