"""Versioned migrations: an old database upgrades and keeps its data."""
import peewee as pw

from alignboard import migrations
from alignboard.db import database
from conftest import make_app


def _model_classes():
    from alignboard.auth.models import ApiToken
    from alignboard.events import Event
    from alignboard.org.models import MODELS
    from alignboard.records.models import Record, RecordVersion
    # Areas add their models here through BaseModel's subclasses.
    from alignboard.db import BaseModel

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)
    return {m for m in walk(BaseModel)} | set(MODELS) | {ApiToken, Event, Record,
                                                        RecordVersion}


def test_upgrade_from_first_migration_keeps_data(database_url, tmp_path):
    app = make_app(database_url, tmp_path, migrate=False)
    with app.app_context():
        db = database.obj
        assert migrations.upgrade(db, target="m0001_org") == ["m0001_org"]
        role_id = db.execute_sql("SELECT id FROM role WHERE key = 'rep'").fetchone()[0]
        db.execute_sql("INSERT INTO unit (code, name, kind, path) VALUES ('u', 'U', 'team', '/')")
        db.execute_sql("INSERT INTO person (login, name, role_id, active, created_at) "
                       "VALUES ('old.timer', 'Old Timer', %s, %s, '2020-01-01 00:00:00')"
                       % (role_id, "true" if db.__class__.__name__.startswith("Postgres")
                          else 1))
        applied = migrations.upgrade(db)
        assert "m0002_auth_events" in applied
        assert migrations.is_current(db)
        from alignboard.org.models import Person
        person = Person.get(Person.login == "old.timer")
        assert person.name == "Old Timer" and person.locale is None
        person.locale = "zh_CN"
        person.save()


def test_upgrade_twice_does_nothing(app):
    with app.app_context():
        assert migrations.upgrade(database.obj) == []


def test_every_model_column_exists_after_migrating(app):
    """A model field without a migration would fail here, not on a user's database."""
    with app.app_context():
        db = database.obj
        for model in _model_classes():
            table = model._meta.table_name
            assert db.table_exists(table), f"no migration creates table {table}"
            columns = {c.name for c in db.get_columns(table)}
            for field in model._meta.sorted_fields:
                assert field.column_name in columns, f"{table}.{field.column_name} missing"


def test_failing_migration_leaves_the_previous_step(database_url, tmp_path, monkeypatch):
    app = make_app(database_url, tmp_path, migrate=False)

    class Broken:
        @staticmethod
        def up(db, migrator):
            db.execute_sql("CREATE TABLE half_done (id INTEGER)")
            raise RuntimeError("boom")

    real = migrations.available
    monkeypatch.setattr(migrations, "available",
                        lambda: real() + [("m9999_broken", Broken)])
    with app.app_context():
        db = database.obj
        try:
            migrations.upgrade(db)
        except RuntimeError:
            pass
        assert "m9999_broken" not in migrations.applied(db)
        assert not db.table_exists("half_done")
        assert "m0001_org" in migrations.applied(db)
