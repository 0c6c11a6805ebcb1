"""/api/v1/rule-firings (scoped firing log) and /api/v1/rules (definitions, for HR)."""
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..api import PAGINATE, configure_required, fail, login_required, page
from ..notify.models import Delivery
from ..org import scopes
from ..org.models import Unit
from . import definition, vocabulary
from .models import Rule, RuleFiring

bp = Blueprint("rule_firings", __name__, url_prefix="/api/v1/rule-firings",
               description="The firing log: which rule fired about whom, when, why, and what "
                           "each action did. A rep sees firings about themselves, a manager "
                           "their subtree.")
rules_bp = Blueprint("rules", __name__, url_prefix="/api/v1/rules",
                     description="Trigger rules as data (hr and admin).")


def visible_firings(viewer):
    """Firings about people (or, for managers and up, units) the viewer may see."""
    q = RuleFiring.select()
    scope = scopes.scope_of(viewer)
    if scope == "all":
        return q
    cond = RuleFiring.person.in_(scopes.visible_person_ids(viewer))
    if scope == "subtree":
        cond = cond | RuleFiring.unit.in_(scopes.visible_units(viewer).select(Unit.id))
    return q.where(cond)


def outcomes(firing):
    """The firing's action outcomes with each delivery's current status."""
    by_id = {d.id: d for d in Delivery.select().where(Delivery.firing_id == firing.id)}
    out = []
    for o in firing.outcomes or []:
        o = dict(o)
        d = by_id.get(o.get("delivery_id"))
        if d is not None:
            o.update(status=d.status, attempts=d.attempts, error=d.last_error or None,
                     result=d.result or None)
        out.append(o)
    return out


class FiringSchema(Schema):
    id = fields.Integer()
    rule = fields.Function(lambda f: f.rule.key)
    rule_version = fields.Integer()
    subject_type = fields.String()
    subject_id = fields.Integer(allow_none=True)
    subject = fields.Function(lambda f: f.person.login if f.person_id else f.subject_key)
    at = fields.DateTime()
    day = fields.Date(allow_none=True)
    facts = fields.Dict()
    recipients = fields.List(fields.String())
    outcomes = fields.Function(outcomes)


class FiringQuerySchema(Schema):
    rule = fields.String(metadata={"description": "a rule key"})
    subject = fields.String(metadata={"description": "a person's login"})


@bp.route("/")
class Firings(MethodView):
    decorators = [login_required]

    @bp.arguments(FiringQuerySchema, location="query")
    @bp.response(200, FiringSchema(many=True))
    @bp.paginate(**PAGINATE)
    def get(self, args, pagination_parameters):
        """List firings you may see, newest first."""
        from ..org.models import Person

        q = visible_firings(current_user)
        if "rule" in args:
            q = q.join(Rule).where(Rule.key == args["rule"]).switch(RuleFiring)
        if "subject" in args:
            q = q.where(RuleFiring.person.in_(
                Person.select(Person.id).where(Person.login == args["subject"])))
        return page(q.order_by(RuleFiring.at.desc(), RuleFiring.id.desc()),
                    pagination_parameters)


@bp.route("/<int:firing_id>")
class FiringItem(MethodView):
    decorators = [login_required]

    @bp.response(200, FiringSchema)
    def get(self, firing_id):
        """Read one firing within your scope."""
        firing = visible_firings(current_user).where(RuleFiring.id == firing_id).first()
        if firing is None:
            fail(404, f"No firing {firing_id} (or it is outside your scope).")
        return firing


class RuleSchema(Schema):
    key = fields.String()
    name = fields.String()
    enabled = fields.Boolean()
    trigger_type = fields.String()
    version = fields.Integer()
    definition = fields.Dict()
    ruleset = fields.Dict(metadata={"description": "the compiled durable_rules ruleset"})


@rules_bp.route("/")
class Rules(MethodView):
    decorators = [configure_required]

    @rules_bp.response(200, RuleSchema(many=True))
    def get(self):
        """List every rule with its definition and compiled ruleset."""
        return list(Rule.select().order_by(Rule.key))

    @rules_bp.response(200, RuleSchema)
    def post(self):
        """Create or update (by key) a rule from its definition (JSON, the YAML form)."""
        from flask import request

        data = request.get_json(silent=True)
        try:
            return definition.save(data)
        except definition.RuleDefinitionError as exc:
            fail(422, "The rule is invalid: see errors.", exc.errors)


@rules_bp.route("/vocabulary")
class Vocabulary(MethodView):
    decorators = [login_required]

    def get(self):
        """Triggers, events, variables, operators and recipients a rule may use."""
        return vocabulary.as_json()
