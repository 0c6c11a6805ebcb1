"""The admin rule builder's form <-> definition translation, kept apart from the views.

The builder posts plain form fields: the trigger's settings, condition rows as parallel
lists (``cond_field``, ``cond_op``, ``cond_value``) and action rows numbered ``action_<i>_*``.
"""
import json


def parse_value(text):
    """A condition value typed in a text box: numbers and true/false become typed."""
    text = (text or "").strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _int(text):
    text = (text or "").strip()
    try:
        return int(text) if text else None
    except ValueError:
        return text  # left for the schema to refuse with a clear message


def _where(text):
    out = {}
    for part in (text or "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def definition_from_form(form, max_actions=6):
    """Build a definition dict from the builder's posted fields; JSON errors in action
    settings are returned as a list of messages."""
    problems = []
    t = {"type": form.get("trigger_type", "event")}
    for name in ("event", "form_key", "record_type", "cron", "date_field", "group_by",
                 "period"):
        value = (form.get(name) or "").strip()
        if value:
            t[name] = value
    for name in ("days", "threshold", "periods"):
        value = _int(form.get(name))
        if value is not None:
            t[name] = value
    where = _where(form.get("where"))
    if where:
        t["where"] = where
    if t["type"] in ("absence", "schedule"):
        t["subjects"] = {"role": form.get("subjects_role") or "rep"}
        if (form.get("subjects_unit") or "").strip():
            t["subjects"]["unit"] = form.get("subjects_unit").strip()
    for name in list(t):
        if name not in _TRIGGER_FIELDS[t["type"]] and name != "type":
            del t[name]
    rows = []
    for field, op, value in zip(form.getlist("cond_field"), form.getlist("cond_op"),
                                form.getlist("cond_value")):
        if field.strip():
            row = {"field": field.strip(), "op": op}
            if op not in ("empty", "not_empty"):
                row["value"] = value.strip() if op == "contains_any" else parse_value(value)
            rows.append(row)
    actions = []
    for i in range(max_actions):
        channel = (form.get(f"action_{i}_channel") or "").strip()
        if not channel:
            continue
        raw = (form.get(f"action_{i}_settings") or "").strip()
        try:
            settings = json.loads(raw) if raw else {}
        except ValueError as exc:
            problems.append(f"action {i + 1}: settings are not valid JSON ({exc})")
            settings = {}
        actions.append({"channel": channel, "to": form.getlist(f"action_{i}_to"),
                        "title": form.get(f"action_{i}_title", ""),
                        "message": form.get(f"action_{i}_message", ""),
                        "settings": settings})
    d = {"key": (form.get("key") or "").strip(), "name": (form.get("name") or "").strip(),
         "description": form.get("description", ""), "enabled": form.get("enabled") == "1",
         "trigger": t, "conditions": {"match": form.get("match", "all"), "rows": rows},
         "actions": actions}
    return d, problems


_TRIGGER_FIELDS = {
    "event": {"event", "form_key", "record_type"},
    "schedule": {"cron", "subjects"},
    "absence": {"record_type", "days", "date_field", "where", "subjects"},
    "count": {"event", "record_type", "threshold", "group_by", "where"},
    "streak": {"event", "periods", "period", "form_key"},
}
