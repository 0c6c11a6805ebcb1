"""Goals admin: objectives with their key results, check-ins, hygiene settings, local
factors, target plans (with HQ weights) and the cascade view with health and alignment."""
from flask import flash, request
from flask_admin import expose
from flask_babel import gettext, lazy_gettext as _l
from wtforms.validators import Optional, ValidationError

from ..admin import SecureModelView, SecureView
from ..i18n import say as _
from ..metrics.admin import SWATCH, AtomicMixin, _inline_rows
from ..org.models import Period
from . import hygiene, inheritance, tree
from .models import (CheckIn, HygieneSettings, KeyResult, LocalFactor, Objective, PlanWeight,
                     TargetPlan)

GOALS = _l("Goals")


def _health_badges(objective):
    from markupsafe import Markup
    from ..metrics.admin import badge
    from . import health
    colour, reason, _ = hygiene.alignment(objective)
    out = badge(health.objective_card(objective)["colour"])
    if colour == "red":
        out += Markup(" ") + badge("red", "not aligned") + Markup(" <small>{}</small>").format(
            reason)
    return out


class ObjectiveView(AtomicMixin, SecureModelView):
    column_list = ["title", "period", "owner", "unit", "parent", "tags", "weight",
                   "health_mode", "health"]
    column_formatters = {"health": lambda v, c, m, p: _health_badges(m)}
    column_searchable_list = ["title", "tags"]
    form_columns = ["title", "description", "period", "owner", "unit", "parent", "tags",
                    "weight", "health_mode"]
    inline_models = [(KeyResult, {
        "form_columns": ["id", "title", "owner", "criterion", "deadline", "start_value",
                         "target_value", "unit_label", "weight", "metric"],
        "form_args": {"id": {"validators": [Optional()]}},
        "form_label": _l("Key result (KR-point)")})]
    column_labels = {"tags": _l("Focus tags"), "health_mode": _l("Health")}
    column_descriptions = {"tags": _l("focus, comma separated (industries, product lines); "
                                      "checked against the parent objective's")}

    def on_model_change(self, form, model, is_created):
        if (model.owner is None) == (model.unit is None):
            raise ValidationError(_("an objective belongs to a person or a unit (one of them)"))
        rows = _inline_rows(form, "key_results", ("weight", "owner", "metric"))
        for row in rows:
            _refuse_unmeasurable(row.get("metric"), row.get("owner"), model)
        weights = [r.get("weight") for r in rows]
        try:
            hygiene.check_new_objective(model.owner.id if model.owner else None,
                                        model.period.id,
                                        exclude_id=None if is_created else model.id,
                                        key_result_weights=weights)
        except hygiene.GoalError as exc:
            raise ValidationError(" ".join(m for ms in exc.errors.values() for m in ms))


def _refuse_unmeasurable(metric, owner, objective):
    """Refuse a key result measured by a metric that is never computed for its objective's
    period kind or its subject (a month objective on a metric computed per week and
    quarter): its card could only ever be grey."""
    from . import health

    if metric is None or objective.period is None:
        return
    why = health.refusal(metric, objective.period.kind,
                         health.subject_type_for(owner.id if owner else None, objective))
    if why is not None:
        raise ValidationError(why.translated())


class KeyResultView(SecureModelView):
    column_list = ["objective", "title", "owner", "deadline", "target_value", "unit_label",
                   "weight", "metric"]
    form_columns = ["objective", "title", "owner", "criterion", "deadline", "start_value",
                    "target_value", "unit_label", "weight", "metric"]
    column_labels = {"criterion": _l("Acceptance criterion")}

    def on_model_change(self, form, model, is_created):
        _refuse_unmeasurable(model.metric, model.owner, model.objective)
        # Key results added one by one never pass through the objective's inline check.
        total = hygiene.weights_overflow(model.objective.id, model.weight,
                                         exclude_id=None if is_created else model.id)
        if total is not None:
            raise ValidationError(gettext(
                "The key results of this objective would weigh %(total)s%% together; "
                "the weights of a set must add up to 100%%.", total=f"{total:g}"))


class CheckInView(SecureModelView):
    column_list = ["key_result", "person", "progress", "blocker", "created_at"]
    form_columns = ["key_result", "person", "progress", "blocker", "note"]


class HygieneView(SecureModelView):
    column_list = form_columns = ["max_objectives", "activity_verbs", "check_activity",
                                  "check_max_objectives", "check_weights", "check_alignment"]
    column_descriptions = {"activity_verbs": _l("verbs that make a key result an activity, "
                                                "comma separated; empty = the defaults "
                                                "(complete, publish, 完成, 发布, ...)")}
    can_delete = False

    def on_model_change(self, form, model, is_created):
        if model.max_objectives is None or not 1 <= model.max_objectives <= 20:
            raise ValidationError(_("at most 1 to 20 objectives per person"))


class LocalFactorView(SecureModelView):
    column_list = form_columns = ["unit", "key", "value"]
    column_descriptions = {"key": _l("e.g. customer_density, competition"),
                           "value": _l("a score; more means more potential")}


def _inherit_percentage(form, field):
    """Refused on save: the plan could never be derived (150% would hand out more than the
    whole). Missing local factors are not refused, as HR may enter them after the plan."""
    if field.data is not None and not 0 <= field.data <= 100:
        raise ValidationError(_("the inherited share is a percentage from 0 to 100, not "
                                "%(value)s", value=f"{field.data:g}"))


class TargetPlanView(AtomicMixin, SecureModelView):
    column_list = ["name", "metric", "period", "parent_unit", "total", "inherit_pct",
                   "factor_keys", "derived"]
    form_columns = ["name", "metric", "period", "parent_unit", "total", "inherit_pct",
                    "factor_keys"]
    form_args = {"inherit_pct": {"validators": [_inherit_percentage]}}
    inline_models = [(PlanWeight, {"form_columns": ["id", "unit", "hq_weight"],
                                   "form_args": {"id": {"validators": [Optional()]}},
                                   "form_label": _l("HQ weight of a child unit")})]
    column_labels = {"inherit_pct": _l("Inherited from HQ weights (%)"),
                     "factor_keys": _l("Local factors"), "derived": _l("Derived targets")}
    column_formatters = {"derived": lambda v, c, m, p: "; ".join(
        f"{r['unit']}: {r['derivation']}" for r in (m.applied or []))}

    def after_model_change(self, form, model, is_created):
        try:
            rows = inheritance.apply(model)
        except hygiene.GoalError as exc:
            flash(_("Saved, but the targets could not be derived: %(reason)s",
                    reason=" ".join(m for ms in exc.errors.values() for m in ms)), "error")
            return
        for r in rows:
            flash(f"{r['unit']}: {r['derivation']}", "info")


class CascadeView(SecureView):
    """The objectives tree with health, alignment and hygiene issues."""

    @expose("/")
    def index(self):
        periods = list(Period.select().where(Period.id.in_(
            Objective.select(Objective.period))).order_by(Period.start))
        period_id = request.args.get("period_id", type=int)
        from flask_login import current_user
        roots = tree.build(current_user, period_id)
        q = Objective.select()
        if period_id:
            q = q.where(Objective.period == period_id)
        issues = hygiene.report(list(q))
        return self.render("goals/cascade.html", roots=roots, periods=periods,
                           period_id=period_id, issues=issues, swatch=SWATCH,
                           legends=tree.legends(roots))


def register(admin):
    admin.add_view(ObjectiveView(Objective, name=_l("Objectives"), category=GOALS))
    admin.add_view(KeyResultView(KeyResult, name=_l("Key results"), category=GOALS))
    admin.add_view(CheckInView(CheckIn, name=_l("Check-ins"), category=GOALS))
    admin.add_view(CascadeView(name=_l("Cascade and health"), endpoint="goal_cascade",
                               category=GOALS))
    admin.add_view(HygieneView(HygieneSettings, name=_l("OKR hygiene settings"),
                               category=GOALS))
    admin.add_view(LocalFactorView(LocalFactor, name=_l("Local factors"), category=GOALS))
    admin.add_view(TargetPlanView(TargetPlan, name=_l("Target plans"), category=GOALS))
