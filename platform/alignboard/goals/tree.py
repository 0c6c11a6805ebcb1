"""The cascade: objectives as a tree from the company down to each rep, and who sees what.

Objectives of units (the strategy from the company down) are visible to everyone logged in;
objectives of a person only to those who may see that person (org.scopes), so a rep sees
the strategy above and their own objectives, never a colleague's.
"""
from ..metrics import colours
from ..org import scopes
from . import health, hygiene
from .models import Objective


def visible_objectives(viewer):
    q = Objective.select()
    if scopes.scope_of(viewer) == "all":
        return q
    return q.where(Objective.owner.is_null(True)
                   | Objective.owner.in_(scopes.visible_person_ids(viewer)))


def card(objective, day=None, with_health=True, engines=None):
    """An objective as a dict: owner, period, parent, tags, alignment, health, issues.
    ``engines``: metric engines per day shared by the cards of one page (health)."""
    colour, en, zh = hygiene.alignment(objective)
    body = {"id": objective.id, "title": objective.title,
            "description": objective.description, "period_id": objective.period_id,
            "period": objective.period.name, "owner_id": objective.owner_id,
            "owner": objective.owner.name if objective.owner_id else None,
            "unit_id": objective.unit_id,
            "unit": objective.unit.name if objective.unit_id else None,
            "parent_id": objective.parent_id, "tags": sorted(objective.tag_set),
            "weight": objective.weight, "health_mode": objective.health_mode,
            "alignment": {"colour": colour, "reason_en": en, "reason_zh": zh}}
    if with_health:
        h = health.objective_card(objective, day, engines)
        body.update(health={"colour": h["colour"], "how": h["how"]},
                    key_results=h["key_results"])
    return body


def build(viewer, period_id=None, day=None):
    """Nested cards of the objectives ``viewer`` may see. A visible objective whose parent
    is hidden from the viewer becomes a root of the viewer's tree."""
    q = visible_objectives(viewer)
    if period_id is not None:
        q = q.where(Objective.period == period_id)
    objectives = list(q.order_by(Objective.id))
    ids = {o.id for o in objectives}
    engines = {}
    cards = {o.id: dict(card(o, day, engines=engines), children=[]) for o in objectives}
    roots = []
    for o in objectives:
        if o.parent_id in ids:
            cards[o.parent_id]["children"].append(cards[o.id])
        else:
            roots.append(cards[o.id])
    return roots


def legends(cards):
    """The legend of each metric whose colour rule colours a key result in ``cards``
    (objective cards, children included), in the order they first appear: the default
    legend alone would contradict the metric's bands, which decide those key results."""
    seen, out, todo = set(), [], list(cards)
    while todo:
        c = todo.pop(0)
        for kr in c.get("key_results", ()):
            rule = kr.get("colour_rule")
            if rule and rule["metric_id"] not in seen:
                seen.add(rule["metric_id"])
                out.append({"metric": rule["metric"], "name": rule["name"],
                            "items": colours.legend(rule["metric_id"])})
        todo.extend(c.get("children", ()))
    return out
