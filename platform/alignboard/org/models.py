"""Org models. Roles carry their visibility scope, so scopes are data HR can read."""
import peewee as pw
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import BaseModel, utcnow
from ..i18n import say as _

SCOPES = ("own", "subtree", "all")
UNIT_KINDS = ("company", "region", "team", "other")
PERIOD_KINDS = ("year", "quarter", "month", "week")


class OrgError(ValueError):
    """An org change that would break the tree (a cycle, a missing parent...)."""


class Role(BaseModel):
    key = pw.CharField(max_length=32, unique=True)
    name_en = pw.CharField(max_length=100)
    name_zh = pw.CharField(max_length=100)
    # own: the person's own data; subtree: the units the person leads and everything
    # below them; all: everything.
    scope = pw.CharField(max_length=16, default="own", choices=[(s, s) for s in SCOPES])
    can_configure = pw.BooleanField(default=False)
    description = pw.TextField(default="")

    def __str__(self):
        return self.key


class Unit(BaseModel):
    code = pw.CharField(max_length=64, unique=True)
    name = pw.CharField(max_length=200)
    kind = pw.CharField(max_length=32, default="team", choices=[(k, k) for k in UNIT_KINDS])
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    # Unit and Person point at each other; the leader link is deferred to break the cycle.
    leader = pw.DeferredForeignKey("Person", null=True, column_name="leader_id",
                                   on_delete="SET NULL")
    # Materialised path "/1/4/9/" so that a subtree is one indexed LIKE query.
    path = pw.CharField(max_length=1000, index=True, default="/")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self._check_parent()
        with self._meta.database.atomic():
            result = super().save(*args, **kwargs)
            self._refresh_paths()
        return result

    def _check_parent(self):
        """Refuse a parent that lies inside this unit. The message names the parent that
        was chosen (walking up ends at this unit itself, which says nothing), in the
        reader's language: the admin shows it as it is."""
        seen = {self.id} if self.id else set()
        node = self.parent
        while node is not None:
            if node.id in seen:
                if self.parent.id == self.id:
                    raise OrgError(_("unit '%(code)s' cannot be its own parent unit",
                                     code=self.code))
                raise OrgError(_("unit '%(code)s' cannot be placed under '%(parent)s', one of "
                                 "its own descendants", code=self.code,
                                 parent=self.parent.code))
            seen.add(node.id)
            node = node.parent

    def _refresh_paths(self):
        old = self.path
        new = (self.parent.path if self.parent else "/") + f"{self.id}/"
        if new == old:
            return
        Unit.update(path=new).where(Unit.id == self.id).execute()
        self.path = new
        if old and old != "/":
            # Move the descendants along: replace the old prefix with the new one.
            for child in Unit.select().where(Unit.path.startswith(old) & (Unit.id != self.id)):
                Unit.update(path=new + child.path[len(old):]).where(
                    Unit.id == child.id).execute()

    def subtree(self):
        """This unit and every unit below it."""
        return Unit.select().where(Unit.path.startswith(self.path))


class Person(UserMixin, BaseModel):
    login = pw.CharField(max_length=64, unique=True)
    name = pw.CharField(max_length=200)
    email = pw.CharField(max_length=254, null=True)
    external_id = pw.CharField(max_length=128, null=True, unique=True)
    unit = pw.ForeignKeyField(Unit, null=True, backref="people", on_delete="RESTRICT")
    manager = pw.ForeignKeyField("self", null=True, backref="reports", on_delete="SET NULL")
    role = pw.ForeignKeyField(Role, backref="people", on_delete="RESTRICT")
    password_hash = pw.CharField(max_length=255, null=True)
    active = pw.BooleanField(default=True)
    locale = pw.CharField(max_length=16, null=True)
    created_at = pw.DateTimeField(default=utcnow)

    def __str__(self):
        return f"{self.name} ({self.login})"

    # Flask-Login: an inactive person cannot log in or use a token.
    @property
    def is_active(self):
        return self.active

    def set_password(self, password):
        # Tests choose a cheap method through PASSWORD_HASH_METHOD; real installs keep
        # werkzeug's default (scrypt).
        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = (generate_password_hash(password, method=method) if method
                              else generate_password_hash(password))

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def save(self, *args, **kwargs):
        self._check_manager()
        return super().save(*args, **kwargs)

    def _check_manager(self):
        """Refuse a manager who reports to this person, directly or through others. As
        for units, the message names the manager that was chosen, not the person the walk
        up the chain ends at (this person)."""
        seen = {self.id} if self.id else set()
        node = self.manager
        while node is not None:
            if node.id in seen:
                if self.manager.id == self.id:
                    raise OrgError(_("%(login)s cannot be their own manager: that makes a "
                                     "management cycle", login=self.login))
                raise OrgError(_("%(login)s cannot report to %(manager)s: %(manager)s already "
                                 "reports to %(login)s, so that makes a management cycle",
                                 login=self.login, manager=self.manager.login))
            seen.add(node.id)
            node = node.manager




class Period(BaseModel):
    kind = pw.CharField(max_length=16, choices=[(k, k) for k in PERIOD_KINDS])
    name = pw.CharField(max_length=32)
    start = pw.DateField()
    end = pw.DateField()  # inclusive

    class Meta:
        indexes = ((("kind", "start"), True),)

    def __str__(self):
        return self.name

    def contains(self, day):
        return self.start <= day <= self.end

    def problems(self):
        """{field: [message]} for every calendar rule this period breaks; empty when it is
        sound. The API (422) and the admin both ask here, so that they refuse the same
        periods: the one-per-period forms and ``periods.containing`` rely on a day lying in
        at most one period of each kind, and on weeks running Monday to Sunday."""
        errors = {}
        if not (self.start and self.end):
            return errors  # the schema or the form reports a missing date itself
        if self.end < self.start:
            errors.setdefault("end", []).append(_l("A period cannot end before it starts."))
        if self.kind == "week":
            if self.start.weekday() != 0:
                errors.setdefault("start", []).append(_l("A week must start on a Monday."))
            if (self.end - self.start).days != 6:
                errors.setdefault("end", []).append(
                    _l("A week lasts seven days: it ends on the Sunday after its start."))
        if not errors:
            clash = Period.select().where(
                (Period.kind == self.kind) & (Period.start <= self.end)
                & (Period.end >= self.start))
            if self.id is not None:
                clash = clash.where(Period.id != self.id)
            other = clash.order_by(Period.start).first()
            if other is not None:
                errors.setdefault("start", []).append(_l(
                    "It overlaps %(name)s (%(start)s to %(end)s), another period of the "
                    "same kind.", name=other.name, start=other.start, end=other.end))
        return errors


MODELS = [Role, Unit, Person, Period]
