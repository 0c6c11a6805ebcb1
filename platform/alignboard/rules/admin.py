"""Admin: the rule list, the form-based builder (preview, test, save), the firing log,
problems, and "what would have fired" (a backtest)."""
import json
from datetime import date, timedelta

import yaml
from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape

from ..admin import SecureModelView, SecureView
from ..notify import channels as channel_registry
from ..org import periods
from ..org.models import Role
from . import backtest as backtester, builder, definition, engine, vocabulary
from .api import outcomes
from .models import Rule, RuleFiring, RuleProblem

CATEGORY = _l("Rules")


def _json(view, context, model, name):
    return Markup("<code>%s</code>") % json.dumps(getattr(model, name), ensure_ascii=False,
                                                   sort_keys=True)[:300]


class RuleView(SecureModelView):
    can_create = False
    can_edit = False
    column_list = ["key", "name", "trigger_type", "enabled", "version", "updated_at"]
    column_filters = ["trigger_type", "enabled"]
    column_searchable_list = ["key", "name"]
    column_formatters = {"key": lambda v, c, m, n: Markup('<a href="%s">%s</a>') % (
        url_for("rule_builder.index", key=m.key), m.key)}
    column_labels = {"key": _l("Key"), "name": _l("Name"), "trigger_type": _l("Trigger"),
                     "enabled": _l("Enabled"), "version": _l("Version")}
    list_template = "rules/rule_list.html"

    @action("enable", _l("Enable"))
    def action_enable(self, ids):
        Rule.update(enabled=True).where(Rule.id.in_([int(i) for i in ids])).execute()

    @action("disable", _l("Disable"))
    def action_disable(self, ids):
        Rule.update(enabled=False).where(Rule.id.in_([int(i) for i in ids])).execute()


class FiringView(SecureModelView):
    can_create = can_edit = False
    can_view_details = True
    column_list = ["id", "rule", "subject_key", "person", "at", "day", "recipients",
                   "outcomes"]
    column_details_list = column_list + ["facts", "event_id", "rule_version"]
    column_filters = ["at", "day", "subject_type"]
    column_default_sort = ("id", True)
    column_formatters = {
        "recipients": lambda v, c, m, n: ", ".join(m.recipients or []),
        "facts": _json,
        "outcomes": lambda v, c, m, n: Markup("<br>").join(
            escape(f"{o.get('channel')}: {o.get('status')}"
                   + (f" ({o.get('error') or o.get('reason')})"
                      if (o.get('error') or o.get('reason')) else ""))
            for o in outcomes(m)),
    }
    column_labels = {"subject_key": _l("Subject"), "person": _l("Person"), "at": _l("At (UTC)"),
                     "day": _l("Day"), "recipients": _l("Recipients"),
                     "outcomes": _l("Actions")}


class ProblemView(SecureModelView):
    can_create = can_edit = False
    column_list = ["created_at", "rule", "event_id", "message"]
    column_default_sort = ("id", True)


def _backtest(rule, start, end):
    limit = int(current_app.config.get("RULES_BACKTEST_LIMIT") or 0)
    return backtester.backtest(rule, start, end, limit=limit or None)


def _recipient_choices():
    return ["subject", "manager", "unit_owner"] + [f"role:{r.key}" for r in
                                                   Role.select().order_by(Role.key)]


class BuilderView(SecureView):
    """Pick a trigger, add condition rows, pick actions and recipients; preview the
    generated definition and ruleset; test against a sample payload or recent history."""

    @expose("/", methods=["GET", "POST"])
    def index(self):
        rule = Rule.get_or_none(Rule.key == request.args.get("key", ""))
        d = rule.definition if rule else {
            "key": "", "name": "", "enabled": False,
            "trigger": {"type": "event", "event": "form.submitted"},
            "conditions": {"match": "all", "rows": []},
            "actions": [{"channel": "inbox", "to": ["subject"], "title": "", "message": ""}]}
        if rule:
            d = dict(d, enabled=rule.enabled)
        errors, generated, test = {}, None, None
        if request.method == "POST":
            d, problems = builder.definition_from_form(request.form)
            op = request.form.get("op", "preview")
            try:
                if problems:
                    raise definition.RuleDefinitionError({"actions": problems})
                valid = definition.validate(d)
                generated = {"yaml": yaml.safe_dump(valid, allow_unicode=True,
                                                    sort_keys=False),
                             "ruleset": json.dumps(definition.compile_ruleset(valid),
                                                   indent=2, ensure_ascii=False)}
                if op == "save":
                    saved = definition.save(d)
                    flash(_("Rule %(key)s saved (version %(v)d).", key=saved.key,
                            v=saved.version), "success")
                    return redirect(url_for(".index", key=saved.key))
                if op == "test":
                    test = self._test(valid)
            except definition.RuleDefinitionError as exc:
                errors = exc.errors
        return self.render("rules/builder.html", d=d, errors=errors, generated=generated,
                           test=test, vocab=vocabulary, roles=[r.key for r in Role.select()],
                           recipients=_recipient_choices(),
                           channels=sorted(channel_registry.available()),
                           sample=request.form.get("sample", ""),
                           test_days=request.form.get("test_days", "30"))

    def _test(self, valid):
        """Evaluate against the sample payload, or backtest the last N days."""
        sample = (request.form.get("sample") or "").strip()
        ruleset = definition.compile_ruleset(valid)
        if sample:
            try:
                payload = json.loads(sample)
                if not isinstance(payload, dict):
                    raise ValueError("give a JSON object")
            except ValueError as exc:
                return {"error": _("The sample payload is not a JSON object: %(e)s", e=exc)}
            t = valid["trigger"]
            fact = {"kind": t["type"]}
            if t.get("event"):
                fact["event"] = t["event"]
            fact.update(engine.to_fact(payload, definition.referenced_fields(valid)))
            # The values the worker computes from the database (TRIGGER_VARIABLES)
            # may be given in the sample to see how the rule would decide.
            computed = ["quiet"] + [v["name"] for vs in vocabulary.TRIGGER_VARIABLES.values()
                                    for v in vs]
            for name in computed:
                if name in payload:
                    fact[name] = payload[name]
            return {"sample": True, "fact": fact, "matched": engine.match(ruleset, fact)}
        try:
            days = max(1, min(366, int(request.form.get("test_days") or 30)))
        except ValueError:
            days = 30
        end = periods.today()
        probe = Rule(key=valid["key"], name=valid["name"], definition=valid, ruleset=ruleset,
                     version=0, id=0)
        result = _backtest(probe, end - timedelta(days=days - 1), end)
        return {"sample": False, "days": days, "result": result}


class BacktestView(SecureView):
    """"What would have fired": a rule replayed over a date range, nothing sent."""

    @expose("/", methods=["GET"])
    def index(self):
        rules = list(Rule.select().order_by(Rule.key))
        key = request.args.get("rule")
        result, error = None, None
        start_s, end_s = request.args.get("from", ""), request.args.get("to", "")
        if key:
            rule = Rule.get_or_none(Rule.key == key)
            try:
                start, end = date.fromisoformat(start_s), date.fromisoformat(end_s)
                if rule is None:
                    raise ValueError(_("no rule %(key)s", key=key))
                if end < start:
                    raise ValueError(_("the end is before the start"))
                if (end - start).days > 731:
                    raise ValueError(_("at most two years at a time"))
                result = _backtest(rule, start, end)
            except ValueError as exc:
                error = str(exc)
        return self.render("rules/backtest.html", rules=rules, key=key, start=start_s,
                           end=end_s, result=result, error=error)


def register(admin):
    admin.add_view(RuleView(Rule, name=_l("Rules"), category=CATEGORY))
    admin.add_view(BuilderView(name=_l("Rule builder"), endpoint="rule_builder",
                               category=CATEGORY))
    admin.add_view(BacktestView(name=_l("What would have fired"), endpoint="rule_backtest",
                                category=CATEGORY))
    admin.add_view(FiringView(RuleFiring, name=_l("Firing log"), category=CATEGORY))
    admin.add_view(ProblemView(RuleProblem, name=_l("Rule problems"), category=CATEGORY))
