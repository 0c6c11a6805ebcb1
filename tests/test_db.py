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
