"""/api/v1/goals: objectives with key results and health, the cascade tree, check-ins,
hygiene report, target plans (weighted inheritance)."""
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..api import configure_required, fail, login_required
from ..db import database
from ..metrics.models import Metric
from ..org import scopes
from ..org.models import Period, Person, Unit
from . import health, hygiene, inheritance, tree
from .models import HEALTH_MODES, CheckIn, KeyResult, Objective, TargetPlan

bp = Blueprint("goals", __name__, url_prefix="/api/v1/goals",
               description="Objectives, key results (KR-points), cascade, health, hygiene.")


class KeyResultInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    owner_id = fields.Integer(allow_none=True, load_default=None)
    criterion = fields.String(load_default="", metadata={"description": "acceptance criterion"})
    deadline = fields.Date(allow_none=True, load_default=None)
    start_value = fields.Float(load_default=0)
    target_value = fields.Float(allow_none=True, load_default=None)
    unit_label = fields.String(load_default="", validate=validate.Length(max=32))
    weight = fields.Float(load_default=0, validate=validate.Range(min=0, max=100))
    metric = fields.String(allow_none=True, load_default=None,
                           metadata={"description": "key of the metric that measures it"})


class ObjectiveInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = fields.String(load_default="")
    period_id = fields.Integer(required=True)
    owner_id = fields.Integer(allow_none=True, load_default=None)
    unit_id = fields.Integer(allow_none=True, load_default=None)
    parent_id = fields.Integer(allow_none=True, load_default=None)
    tags = fields.String(load_default="", validate=validate.Length(max=300),
                         metadata={"description": "focus tags, comma separated"})
    weight = fields.Float(load_default=100, validate=validate.Range(min=0, max=100))
    health_mode = fields.String(load_default="weakest",
                                validate=validate.OneOf([m for m, _ in HEALTH_MODES]))
    key_results = fields.List(fields.Nested(KeyResultInSchema), load_default=list)


class CheckInSchema(Schema):
    id = fields.Integer(dump_only=True)
    progress = fields.Float(required=True, metadata={"description": "the value reached"})
    blocker = fields.String(load_default="", validate=validate.Length(max=2000))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class TreeQuerySchema(Schema):
    period_id = fields.Integer()
    as_of = fields.Date()


def _ref(model, id_, field):
    if id_ is None:
        return None
    obj = model.get_or_none(model.id == id_)
    if obj is None:
        fail(422, f"{field} refers to nothing.", {field: [f"no {model.__name__.lower()} {id_}"]})
    return obj


def _objective_or_404(objective_id):
    o = tree.visible_objectives(current_user).where(Objective.id == objective_id).first()
    if o is None:
        fail(404, f"No objective {objective_id} (or it is outside your scope).")
    return o


def _may_edit(objective_owner_id):
    return scopes.can_configure(current_user) or objective_owner_id == current_user.id


@bp.route("/objectives")
class Objectives(MethodView):
    decorators = [login_required]

    @bp.arguments(TreeQuerySchema, location="query")
    def get(self, args):
        """Objectives you may see, each with key results, health and alignment."""
        q = tree.visible_objectives(current_user)
        if "period_id" in args:
            q = q.where(Objective.period == args["period_id"])
        return [tree.card(o, args.get("as_of")) for o in q.order_by(Objective.id)]

    @bp.arguments(ObjectiveInSchema)
    def post(self, data):
        """Create an objective with its key results (hr/admin for anyone; a person for
        themself). Refused when hygiene rules HR switched on are broken."""
        if data["owner_id"] is None and data["unit_id"] is None:
            fail(422, "An objective belongs to a person or a unit.",
                 {"owner_id": ["give owner_id or unit_id"]})
        if data["owner_id"] is not None and data["unit_id"] is not None:
            fail(422, "An objective belongs to a person or a unit, not both.",
                 {"unit_id": ["give owner_id or unit_id, not both"]})
        if not _may_edit(data["owner_id"]):
            fail(403, "You may create objectives for yourself only.")
        period = _ref(Period, data["period_id"], "period_id")
        owner = _ref(Person, data["owner_id"], "owner_id")
        unit = _ref(Unit, data["unit_id"], "unit_id")
        parent = None
        if data["parent_id"] is not None:
            parent = tree.visible_objectives(current_user).where(
                Objective.id == data["parent_id"]).first()
            if parent is None:
                fail(422, "parent_id refers to nothing.",
                     {"parent_id": [f"no objective {data['parent_id']}"]})
        krs = data["key_results"]
        metrics = {}
        for i, kr in enumerate(krs):
            _ref(Person, kr["owner_id"], f"key_results.{i}.owner_id")
            if kr["metric"]:
                m = Metric.get_or_none(Metric.key == kr["metric"])
                if m is None:
                    fail(422, "A key result names an unknown metric.",
                         {f"key_results.{i}.metric": [f"unknown metric {kr['metric']!r}"]})
                why = health.refusal(m, period.kind,
                                     "unit" if kr["owner_id"] is None and unit else "person")
                if why is not None:
                    fail(422, "A key result's metric is not computed for it.",
                         {f"key_results.{i}.metric": [str(why)]})
                metrics[i] = m
        try:
            hygiene.check_new_objective(data["owner_id"], period.id,
                                        key_result_weights=[k["weight"] for k in krs])
        except hygiene.GoalError as exc:
            fail(422, f"The objective cannot be saved: {exc}", exc.errors)
        with database.atomic():
            o = Objective.create(title=data["title"], description=data["description"],
                                 period=period, owner=owner, unit=unit, parent=parent,
                                 tags=data["tags"], weight=data["weight"],
                                 health_mode=data["health_mode"])
            for i, kr in enumerate(krs):
                KeyResult.create(objective=o, title=kr["title"], owner=kr["owner_id"],
                                 criterion=kr["criterion"], deadline=kr["deadline"],
                                 start_value=kr["start_value"],
                                 target_value=kr["target_value"], unit_label=kr["unit_label"],
                                 weight=kr["weight"], metric=metrics.get(i))
        body = tree.card(o)
        body["issues"] = hygiene.check_objective(o)
        return body, 201


@bp.route("/objectives/<int:objective_id>")
class ObjectiveItem(MethodView):
    decorators = [login_required]

    @bp.arguments(TreeQuerySchema, location="query")
    def get(self, args, objective_id):
        """One objective: key results with health cards, alignment, hygiene issues."""
        o = _objective_or_404(objective_id)
        body = tree.card(o, args.get("as_of"))
        body["issues"] = hygiene.check_objective(o)
        return body


@bp.route("/tree")
class Tree(MethodView):
    decorators = [login_required]

    @bp.arguments(TreeQuerySchema, location="query")
    def get(self, args):
        """The cascade you may see, from the company down, with health at every node."""
        return tree.build(current_user, args.get("period_id"), args.get("as_of"))


@bp.route("/hygiene")
class Hygiene(MethodView):
    decorators = [login_required]

    @bp.arguments(TreeQuerySchema, location="query")
    def get(self, args):
        """OKR hygiene issues (English and Chinese) of the objectives you may see."""
        q = tree.visible_objectives(current_user)
        if "period_id" in args:
            q = q.where(Objective.period == args["period_id"])
        return hygiene.report(list(q.order_by(Objective.id)))


@bp.route("/key-results/<int:kr_id>/check-ins")
class CheckIns(MethodView):
    decorators = [login_required]

    @bp.response(200, CheckInSchema(many=True))
    def get(self, kr_id):
        """Check-ins of a key result you may see."""
        kr = self._kr(kr_id)
        return list(CheckIn.select().where(CheckIn.key_result == kr).order_by(CheckIn.id))

    @bp.arguments(CheckInSchema)
    @bp.response(201, CheckInSchema)
    def post(self, data, kr_id):
        """The three-field check-in: this key result, progress, blocker (its owner, the
        objective's owner, or hr/admin)."""
        kr = self._kr(kr_id)
        if not (_may_edit(kr.owner_id) or _may_edit(kr.objective.owner_id)):
            fail(403, "Only the owner of the key result checks in on it.")
        return CheckIn.create(key_result=kr, person=current_user.id, **data)

    def _kr(self, kr_id):
        kr = KeyResult.get_or_none(KeyResult.id == kr_id)
        if kr is None or not tree.visible_objectives(current_user).where(
                Objective.id == kr.objective_id).exists():
            fail(404, f"No key result {kr_id} (or it is outside your scope).")
        return kr


@bp.route("/plans/<int:plan_id>/apply")
class PlanApply(MethodView):
    decorators = [configure_required]

    def post(self, plan_id):
        """Compute a target plan (weighted inheritance) and write the child units' targets;
        answers each derived target with how it was derived (hr, admin)."""
        plan = TargetPlan.get_or_none(TargetPlan.id == plan_id)
        if plan is None:
            fail(404, f"No target plan {plan_id}.")
        try:
            return {"plan": plan.name, "targets": inheritance.apply(plan)}
        except hygiene.GoalError as exc:
            fail(422, f"The plan cannot be applied: {exc}", exc.errors)
