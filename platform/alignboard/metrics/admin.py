"""Admin views: metrics (with filter rows and composite parts as form rows), colour rules
(with bands), targets, seasonality curves, and the values with their colour legend.

Every save goes through ``metrics.definitions.check`` / ``colours.check_bands``: a formula
with a syntax error, an unknown metric, a cycle, weights not adding up to 100 or
overlapping bands are refused with the reason, and nothing is stored.
"""
import math

from flask import flash
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.validators import Optional, ValidationError

from ..admin import SecureModelView
from ..db import database
from ..i18n import colour_name, say as _
from ..org.models import Period
from . import colours, definitions
from .models import (ColourBand, ColourRule, CompositePart, Metric, MetricFilter,
                     MetricValue, SeasonalityCurve, Target)

METRICS = _l("Metrics")
SWATCH = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828", "blue": "#1565c0",
          "grey": "#757575"}


def badge(colour, text=None):
    if not colour:
        return ""
    return Markup('<span class="badge" style="background:{};color:#fff">{}</span>').format(
        SWATCH.get(colour, "#999"), text or colour_name(colour))


class AtomicMixin:
    """The model and its inline rows are stored together or not at all."""

    def create_model(self, form):
        with database.atomic() as txn:
            result = super().create_model(form)
            if not result:
                txn.rollback()
        return result

    def update_model(self, form, model):
        with database.atomic() as txn:
            result = super().update_model(form, model)
            if not result:
                txn.rollback()
        return result


def _inline_rows(form, name, fields):
    rows = []
    inline = getattr(form, name, None)
    if inline is None:
        return rows
    for entry in inline.entries:
        if inline.should_delete(entry):
            continue
        rows.append({f: getattr(entry.form, f).data for f in fields if hasattr(entry.form, f)})
    return rows


class MetricView(AtomicMixin, SecureModelView):
    column_list = ["key", "name", "kind", "source", "record_types", "aggregation", "field",
                   "window", "period_kinds", "active", "legend"]
    column_searchable_list = ["key", "name"]
    column_filters = ["kind", "source", "active"]
    form_columns = ["key", "name", "description", "kind", "source", "record_types", "form_key",
                    "aggregation", "field", "numerator", "denominator", "formula", "window",
                    "rolling_days", "period_kinds", "by_person", "by_unit", "unit_label",
                    "decimals", "active"]
    inline_models = [
        (MetricFilter, {"form_columns": ["id", "field", "op", "value"],
                        "form_args": {"id": {"validators": [Optional()]}},
                        "form_label": _l("Filter (every row must match)")}),
        (CompositePart, {"form_columns": ["id", "part", "weight"],
                         "form_args": {"id": {"validators": [Optional()]}},
                         "form_label": _l("Composite part (weights add up to 100)")}),
    ]
    column_labels = {"key": _l("Key"), "name": _l("Name"), "kind": _l("Kind"),
                     "source": _l("Source"), "record_types": _l("Record types"),
                     "aggregation": _l("Aggregation"), "field": _l("Field"),
                     "window": _l("Time window"), "period_kinds": _l("Period kinds"),
                     "legend": _l("Colours")}
    column_descriptions = {
        "key": _l("lower-case name formulas use, e.g. won_value"),
        "record_types": _l("comma separated, e.g. deal,collection"),
        "form_key": _l("for form submissions: the form's key"),
        "field": _l("the record or form field summed, averaged... (amount)"),
        "formula": _l("for formula metrics: e.g. first_order_amount * completion_coefficient "
                      "or if(visits >= 5, 1, 0)"),
        "period_kinds": _l("comma separated: week, month, quarter, year"),
        "rolling_days": _l("for a rolling window: the number of days"),
    }
    column_formatters = {"legend": lambda v, c, m, p: Markup(" ").join(
        badge(item["colour"], f"{colour_name(item['colour'])}: {item['range']}")
        for item in colours.legend(m.id))}

    def on_model_change(self, form, model, is_created):
        data = {f: getattr(model, f) for f in definitions.FIELDS}
        data["numerator_key"] = model.numerator.key if model.numerator else None
        data["denominator_key"] = model.denominator.key if model.denominator else None
        filters = _inline_rows(form, "filters", ("field", "op", "value"))
        parts = [{"part_key": r["part"].key if r.get("part") else None,
                  "weight": r.get("weight")} for r in _inline_rows(form, "parts",
                                                                  ("part", "weight"))]
        current = None if is_created else Metric.get_by_id(model.id).key
        try:
            definitions.check(data, filters, parts, current_key=current)
        except definitions.MetricError as exc:
            raise ValidationError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()))

    def on_model_delete(self, model):
        users = definitions.users_of(model.key)
        if users:
            raise ValidationError(_("%(key)s is used by %(users)s; change or delete those "
                                    "first", key=model.key, users=", ".join(users)))

    def after_model_change(self, form, model, is_created):
        from .rebuild import rebuild
        summary = rebuild(definitions.dependents(model.key))
        flash(_l("Values recomputed: %(n)s stored.", n=summary["values"]), "info")


class ColourRuleView(AtomicMixin, SecureModelView):
    column_list = ["metric", "basis", "description", "legend"]
    form_columns = ["metric", "basis", "description"]
    inline_models = [(ColourBand, {
        "form_columns": ["id", "colour", "lower", "upper", "consecutive", "label"],
        "form_args": {"id": {"validators": [Optional()]}},
        "form_label": _l("Band: lower <= basis < upper (empty = open)")})]
    column_labels = {"metric": _l("Metric"), "basis": _l("Compared with"),
                     "legend": _l("Legend")}
    column_formatters = {"legend": lambda v, c, m, p: Markup("<br>").join(
        Markup("{} {}").format(badge(i["colour"]), i["range"] + (f" ({i['label']})"
                                                                 if i["label"] else ""))
        for i in colours.legend(m.metric_id))}

    def on_model_change(self, form, model, is_created):
        # One rule per metric (a unique column): say so, rather than letting the database
        # refuse with "UNIQUE constraint failed: colour_rule.metric_id".
        if model.metric_id and ColourRule.select().where(
                (ColourRule.metric == model.metric_id)
                & (ColourRule.id != (model.id or 0))).exists():
            raise ValidationError(_("%(metric)s already has a colour rule: edit that rule "
                                    "to change its bands.", metric=model.metric.name))
        bands = _inline_rows(form, "bands", ("colour", "lower", "upper", "consecutive"))
        try:
            colours.check_bands(bands)
        except colours.ColourError as exc:
            raise ValidationError(str(exc))

    def after_model_change(self, form, model, is_created):
        from .rebuild import rebuild
        rebuild({model.metric.key})


class TargetView(SecureModelView):
    column_list = ["metric", "subject_type", "subject_id", "subject", "period", "value",
                   "curve", "derivation"]
    column_filters = ["subject_type", "value"]
    form_columns = ["metric", "subject_type", "subject_id", "period", "value", "curve"]
    column_labels = {"subject_id": _l("Person or unit id"), "subject": _l("Person / unit"),
                     "derivation": _l("How it was derived")}
    column_formatters = {"subject": lambda v, c, m, p: _subject_name(m.subject_type,
                                                                     m.subject_id)}

    def on_model_change(self, form, model, is_created):
        from ..org.models import Person, Unit
        cls = Person if model.subject_type == "person" else Unit
        if not cls.select().where(cls.id == model.subject_id).exists():
            raise ValidationError(
                _("there is no person with id %(id)s", id=model.subject_id)
                if model.subject_type == "person"
                else _("there is no unit with id %(id)s", id=model.subject_id))
        if model.period.kind not in model.metric.kinds:
            raise ValidationError(_("%(key)s is computed per %(kinds)s, not per %(kind)s",
                                    key=model.metric.key, kinds=model.metric.period_kinds,
                                    kind=model.period.kind))
        if model.value is None or model.value < 0:
            raise ValidationError(_("a target is a number, 0 or more"))

    def after_model_change(self, form, model, is_created):
        from .updates import recompute_key
        recompute_key(model.metric_id, model.subject_type, model.subject_id, model.period_id)


def _subject_name(subject_type, subject_id):
    from ..org.models import Person, Unit
    cls = Person if subject_type == "person" else Unit
    obj = cls.get_or_none(cls.id == subject_id)
    return obj.name if obj else f"#{subject_id}"


def _finite_weights(form, field):
    """inf, nan or weights whose sum overflows (1e308,1e308) would make every expected
    value, pace and deviation of a target using the curve NaN."""
    try:
        values = [float(w) for w in (field.data or "").split(",") if w.strip()]
    except ValueError:
        return  # on_model_change explains the format
    if not math.isfinite(sum(values)):
        raise ValidationError(_("weights must be ordinary numbers: no inf or nan, and not "
                                "so large that their sum overflows"))


class CurveView(SecureModelView):
    form_columns = column_list = ["name", "weights"]
    column_descriptions = {"weights": _l("relative weights of equal slices of the period, "
                                         "comma separated, e.g. 1,1,2")}
    form_args = {"weights": {"validators": [_finite_weights]}}

    def on_model_change(self, form, model, is_created):
        try:
            values = [float(w) for w in model.weights.split(",") if w.strip()]
        except ValueError:
            raise ValidationError(_("weights are numbers separated by commas, e.g. 1,1,2"))
        if not values or any(v < 0 for v in values) or sum(values) <= 0:
            raise ValidationError(_("give at least one weight, none negative, not all zero"))


class ValueView(SecureModelView):
    """Computed values: read only, coloured, with the legend of each metric."""
    can_create = can_edit = can_delete = False
    list_template = "admin/metric_values_list.html"
    column_list = ["metric", "subject_type", "subject", "period", "value", "target",
                   "expected", "pace", "colour", "flag", "updated_at"]
    column_filters = ["subject_type", "colour", Metric.key, Period.kind, Period.name]
    column_default_sort = ("updated_at", True)
    column_labels = {"pace": _l("Share of pace (%)"), "expected": _l("Expected to date"),
                     "flag": _l("Note")}
    column_formatters = {
        "subject": lambda v, c, m, p: _subject_name(m.subject_type, m.subject_id),
        "colour": lambda v, c, m, p: badge(m.colour),
        "pace": lambda v, c, m, p: "" if m.pace is None else f"{m.pace * 100:.0f}%",
        "value": lambda v, c, m, p: "" if m.value is None else f"{m.value:,.{m.metric.decimals}f}",
    }

    def render(self, template, **kwargs):
        kwargs["legends"] = [(m, colours.legend(m.id)) for m in
                             Metric.select().order_by(Metric.key)]
        kwargs["swatch"] = SWATCH
        return super().render(template, **kwargs)


def register(admin):
    admin.add_view(MetricView(Metric, name=_l("Metrics"), category=METRICS))
    admin.add_view(ColourRuleView(ColourRule, name=_l("Colour rules"), category=METRICS))
    admin.add_view(TargetView(Target, name=_l("Targets"), category=METRICS))
    admin.add_view(CurveView(SeasonalityCurve, name=_l("Seasonality curves"),
                             category=METRICS))
    admin.add_view(ValueView(MetricValue, name=_l("Values"), endpoint="metricvalue",
                             category=METRICS))
