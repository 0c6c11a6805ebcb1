"""marshmallow schemas of the org resources, shared by the API and the importer's checks."""
from marshmallow import Schema, fields, validate

from ..validation import ID, plain_text
from .models import PERIOD_KINDS, SCOPES, UNIT_KINDS

LOGIN = validate.Regexp(r"^[a-z0-9][a-z0-9._-]*$",
                        error="may hold only lower-case letters, digits, . _ and -")
# Names, codes, logins and e-mails are shown on one line and written to spreadsheets
# (openpyxl refuses control characters, so one would break every XLSX export naming the
# person): the same refusal as the importer's, so that the API is no way round it.
ONE_LINE = plain_text(one_line=True)


class RoleSchema(Schema):
    key = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    scope = fields.String(dump_only=True, validate=validate.OneOf(SCOPES))


class UnitSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=[validate.Length(1, 64), ONE_LINE])
    name = fields.String(required=True, validate=[validate.Length(1, 200), ONE_LINE])
    kind = fields.String(load_default="team", validate=validate.OneOf(UNIT_KINDS))
    parent_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    leader_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    path = fields.String(dump_only=True)


class PersonSchema(Schema):
    id = fields.Integer(dump_only=True)
    login = fields.String(required=True, validate=[validate.Length(1, 64), LOGIN, ONE_LINE])
    name = fields.String(required=True, validate=[validate.Length(1, 200), ONE_LINE])
    email = fields.Email(allow_none=True, load_default=None,
                         validate=[validate.Length(max=254), ONE_LINE])
    external_id = fields.String(allow_none=True, load_default=None,
                                validate=[validate.Length(max=128), ONE_LINE])
    unit_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    manager_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    # Dumps Role.__str__, its key.
    role = fields.String(load_default="rep",
                         metadata={"description": "rep, manager, hr, exec or admin"})
    active = fields.Boolean(load_default=True)
    password = fields.String(load_only=True, validate=validate.Length(8, 200),
                             metadata={"description": "sets the login password"})


class PeriodSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(PERIOD_KINDS))
    name = fields.String(required=True, validate=[validate.Length(1, 32), ONE_LINE])
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class PeriodQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(PERIOD_KINDS))
    on = fields.Date(metadata={"description": "only periods containing this date"})


class PeopleQuerySchema(Schema):
    unit_id = fields.Integer(validate=ID)
    role = fields.String()
    q = fields.String(metadata={"description": "part of the name or login"})
