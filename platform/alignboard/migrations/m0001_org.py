"""Organisation: roles, units, people, periods."""
import peewee as pw

from ..db import utcnow
from . import frozen_base

ROLES = [
    # key, English, Chinese, scope, may configure
    ("rep", "Sales rep", "销售代表", "own", False),
    ("manager", "Manager", "经理", "subtree", False),
    ("hr", "HR / BP", "人力资源/BP", "all", True),
    ("exec", "Executive", "高管", "all", False),
    ("admin", "Administrator", "管理员", "all", True),
]


def up(db, migrator):
    Base = frozen_base(db)

    class Role(Base):
        key = pw.CharField(max_length=32, unique=True)
        name_en = pw.CharField(max_length=100)
        name_zh = pw.CharField(max_length=100)
        scope = pw.CharField(max_length=16, default="own")
        can_configure = pw.BooleanField(default=False)
        description = pw.TextField(default="")

    class Unit(Base):
        code = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=200)
        kind = pw.CharField(max_length=32, default="team")
        parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
        leader_id = pw.IntegerField(null=True, index=True)
        path = pw.CharField(max_length=1000, index=True, default="/")

    class Person(Base):
        login = pw.CharField(max_length=64, unique=True)
        name = pw.CharField(max_length=200)
        email = pw.CharField(max_length=254, null=True)
        external_id = pw.CharField(max_length=128, null=True, unique=True)
        unit = pw.ForeignKeyField(Unit, null=True, backref="people", on_delete="RESTRICT")
        manager = pw.ForeignKeyField("self", null=True, backref="reports", on_delete="SET NULL")
        role = pw.ForeignKeyField(Role, backref="people", on_delete="RESTRICT")
        password_hash = pw.CharField(max_length=255, null=True)
        active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField(default=utcnow)

    class Period(Base):
        kind = pw.CharField(max_length=16)
        name = pw.CharField(max_length=32)
        start = pw.DateField()
        end = pw.DateField()

        class Meta:
            indexes = ((("kind", "start"), True),)

    db.create_tables([Role, Unit, Person, Period])
    Role.insert_many(
        [dict(key=k, name_en=en, name_zh=zh, scope=s, can_configure=c)
         for k, en, zh, s, c in ROLES]).execute()
