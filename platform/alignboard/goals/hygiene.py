"""OKR hygiene and alignment checks, in English and Chinese.

- a key result worded as an activity ("complete", "publish", "完成", "发布"...) gets a
  suggestion to state the outcome;
- at most N objectives per person and period (default 3);
- the weights of a set (key results of an objective, objectives of an owner in a period)
  add up to 100%;
- an objective whose focus tags share nothing with its parent's is flagged red.
Each check can be switched off in ``HygieneSettings``.
"""
import re

from ..i18n import say as _
from .models import HygieneSettings, KeyResult, Objective

# "do", "make", "run", "hold" and "start" are left out: they begin outcomes as often as
# activities ("Hold churn below 5%", "Run rate reaches 1M").
DEFAULT_VERBS = [
    "complete", "completed", "finish", "publish", "launch", "organise", "organize",
    "conduct", "attend", "write", "prepare", "submit",
    "完成", "发布", "组织", "召开", "举办", "参加", "开展", "撰写", "提交", "准备", "推进",
    "启动", "上线",
]
TOLERANCE = 1e-6


def settings():
    """The hygiene settings (the stored row, or the defaults)."""
    return HygieneSettings.select().order_by(HygieneSettings.id).first() or HygieneSettings()


def verbs(s=None):
    s = s or settings()
    custom = [v.strip() for v in re.split(r"[,\n，、]", s.activity_verbs or "") if v.strip()]
    return custom or DEFAULT_VERBS


def _position(verb, text, lower):
    """Where ``verb`` first occurs in the title: English (Latin) verbs as whole words, any
    case; others (Chinese has no spaces between words) anywhere. None when absent."""
    if re.fullmatch(r"[A-Za-z\- ]+", verb):
        found = re.search(rf"(?<![A-Za-z]){re.escape(verb.lower())}(?![A-Za-z])", lower)
        return found.start() if found else None
    at = text.find(verb)
    return at if at >= 0 else None


def activity_verb(title, verb_list):
    """The activity verb found first anywhere in ``title`` ("Q4 complete 10 visits",
    "本季度完成10次客户拜访"), or None."""
    text = (title or "").strip()
    lower = text.lower()
    hits = [(at, i, verb) for i, verb in enumerate(verb_list)
            if (at := _position(verb, text, lower)) is not None]
    return min(hits)[2] if hits else None


def issue(check, severity, en, zh, objective=None, key_result=None):
    return {"check": check, "severity": severity, "message_en": en, "message_zh": zh,
            "objective_id": objective.id if objective else None,
            "key_result_id": key_result.id if key_result else None}


def check_key_result_wording(kr, verb_list):
    verb = activity_verb(kr.title, verb_list)
    if not verb:
        return []
    return [issue("activity_wording", "suggestion",
                  f"“{kr.title}” describes an activity ({verb}); state the outcome it should "
                  "achieve, e.g. “raise trial conversion from 20% to 30%”.",
                  f"“{kr.title}”描述的是活动（{verb}），请写明要达成的结果，"
                  "例如“试用转化率从20%提升到30%”。", kr.objective, kr)]


def weight_problem(weights):
    """None when ``weights`` add up to 100 (or there are none); else the total."""
    weights = [w or 0 for w in weights]
    if not weights:
        return None
    total = sum(weights)
    return None if abs(total - 100) <= TOLERANCE else total


def sibling_weight_total(objective_id, weight, exclude_id=None):
    """The total weight of an objective's key results once one of ``weight`` is saved
    (``exclude_id``: the key result being edited, whose stored weight it replaces)."""
    q = KeyResult.select(KeyResult.weight).where(KeyResult.objective == objective_id)
    if exclude_id:
        q = q.where(KeyResult.id != exclude_id)
    return sum(kr.weight or 0 for kr in q) + (weight or 0)


def weights_overflow(objective_id, weight, exclude_id=None):
    """The total when saving a key result of ``weight`` would take its objective's key
    results above 100% (and HR checks weights); else None. Below 100 is allowed while a
    set is being built one key result at a time; the hygiene report flags it."""
    if not settings().check_weights:
        return None
    total = sibling_weight_total(objective_id, weight, exclude_id)
    return total if total > 100 + TOLERANCE else None


def alignment(objective):
    """(colour, reason_en, reason_zh) of an objective against its parent's focus."""
    if objective.parent_id is None:
        return None, "", ""
    mine, theirs = objective.tag_set, objective.parent.tag_set
    if not mine or not theirs:
        return "green", "", ""
    if mine & theirs:
        return "green", "", ""
    return ("red",
            f"its focus ({', '.join(sorted(mine))}) does not match the parent objective’s "
            f"focus ({', '.join(sorted(theirs))})",
            f"重点（{'、'.join(sorted(mine))}）与上级目标的重点（{'、'.join(sorted(theirs))}）不一致")


def check_objective(objective, s=None):
    """Issues of one objective: wording of its key results, their weights, alignment."""
    s = s or settings()
    out = []
    krs = list(KeyResult.select().where(KeyResult.objective == objective).order_by(KeyResult.id))
    if s.check_activity:
        vl = verbs(s)
        for kr in krs:
            kr.objective = objective
            out.extend(check_key_result_wording(kr, vl))
    if s.check_weights:
        total = weight_problem([kr.weight for kr in krs])
        if total is not None:
            out.append(issue("weights", "error",
                             f"the key results' weights add up to {total:g}%, not 100%",
                             f"关键结果的权重合计为{total:g}%，应为100%", objective))
    if s.check_alignment:
        colour, en, zh = alignment(objective)
        if colour == "red":
            out.append(issue("alignment", "error", en, zh, objective))
    return out


def check_owner_sets(objectives, s=None):
    """Issues across each person's objectives in a period: how many, their weights."""
    s = s or settings()
    out = []
    groups = {}
    for o in objectives:
        if o.owner_id:
            groups.setdefault((o.owner_id, o.period_id), []).append(o)
    for (_, _), items in sorted(groups.items()):
        if s.check_max_objectives and len(items) > s.max_objectives:
            out.append(issue("max_objectives", "error",
                             f"{items[0].owner.name} has {len(items)} objectives in "
                             f"{items[0].period.name}; at most {s.max_objectives}",
                             f"{items[0].owner.name}在{items[0].period.name}有{len(items)}个目标，"
                             f"最多{s.max_objectives}个", items[0]))
        if s.check_weights and len(items) > 1:
            total = weight_problem([o.weight for o in items])
            if total is not None:
                out.append(issue("weights", "error",
                                 f"{items[0].owner.name}'s objectives in {items[0].period.name} "
                                 f"weigh {total:g}% together, not 100%",
                                 f"{items[0].owner.name}在{items[0].period.name}的目标权重合计"
                                 f"{total:g}%，应为100%", items[0]))
    return out


def report(objectives):
    """Every issue of ``objectives`` (a list), objective checks first."""
    s = settings()
    out = []
    for o in objectives:
        out.extend(check_objective(o, s))
    out.extend(check_owner_sets(objectives, s))
    return out


class GoalError(ValueError):
    """A goal change refused on save; ``errors`` maps fields to messages."""

    def __init__(self, errors):
        self.errors = errors
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1][0]}")


def check_new_objective(owner_id, period_id, exclude_id=None, key_result_weights=None):
    """Refuse an objective that breaks a hygiene rule HR has switched on (raises GoalError)."""
    s = settings()
    errors = {}
    if owner_id and s.check_max_objectives:
        q = Objective.select().where((Objective.owner == owner_id)
                                     & (Objective.period == period_id))
        if exclude_id:
            q = q.where(Objective.id != exclude_id)
        if q.count() >= s.max_objectives:
            errors["owner_id"] = [_("this person has %(n)d objectives in the period already "
                                    "(at most %(n)d)", n=s.max_objectives)]
    if key_result_weights and s.check_weights:
        total = weight_problem(key_result_weights)
        if total is not None:
            errors["key_results"] = [_("the key results' weights add up to %(total)g%%; they "
                                       "must add up to 100%%", total=total)]
    if errors:
        raise GoalError(errors)
