"""The vocabulary rules are written in: triggers, variables, operators, recipients.

It lives in code, with metadata a UI can render (labels in English and Chinese, the input
type, options), as in the business-rules library; rules themselves are data that use it.
"""

# Events a rule can react to. ``free`` events carry payloads whose fields are not known in
# advance (approvals arrive later), so their conditions are not checked against a list.
EVENTS = {
    "form.submitted": {"label_en": "A form is submitted", "label_zh": "表单提交",
                       "subject": "submission"},
    "record.created": {"label_en": "A record arrives", "label_zh": "新记录",
                       "subject": "record"},
    "record.changed": {"label_en": "A record changes", "label_zh": "记录变更",
                       "subject": "record"},
    "metric.colour_changed": {"label_en": "A metric changes colour", "label_zh": "指标变色",
                              "subject": "metric"},
    "approval.submitted": {"label_en": "An approval is requested", "label_zh": "提交审批",
                           "subject": "person", "free": True},
    "approval.decided": {"label_en": "An approval is decided", "label_zh": "审批完成",
                         "subject": "person", "free": True},
}

TRIGGERS = {
    "event": {"label_en": "When an event happens", "label_zh": "事件发生时"},
    "schedule": {"label_en": "On a schedule (cron, local time)", "label_zh": "定时（本地时间）"},
    "absence": {"label_en": "No matching record in N days", "label_zh": "N 天内无记录"},
    "count": {"label_en": "N records of a type on one subject", "label_zh": "同一对象累计 N 条记录"},
    "streak": {"label_en": "Condition holds N periods in a row", "label_zh": "连续 N 个周期成立"},
}


def _var(name, type_, en, zh, options=None):
    return {"name": name, "type": type_, "label_en": en, "label_zh": zh,
            "options": options or []}


COLOURS = ["green", "amber", "red"]

EVENT_VARIABLES = {
    "form.submitted": [
        _var("form_key", "string", "Form", "表单"),
        _var("version", "number", "Form version", "表单版本"),
        _var("edited", "boolean", "Is an edit", "是否修改"),
    ],
    "record.created": [
        _var("type", "string", "Record type", "记录类型"),
        _var("external_id", "string", "External id", "外部编号"),
    ],
    "metric.colour_changed": [
        _var("metric", "string", "Metric", "指标"),
        _var("subject_type", "string", "Subject type", "对象类型", ["person", "unit"]),
        _var("old", "string", "Old colour", "原颜色", COLOURS),
        _var("new", "string", "New colour", "新颜色", COLOURS),
        _var("value", "number", "Value", "数值"),
        _var("pace_ratio", "number", "Pace ratio", "进度比"),
    ],
}
EVENT_VARIABLES["record.changed"] = EVENT_VARIABLES["record.created"]

# Variables every trigger of a kind provides, computed by the engine from the database.
TRIGGER_VARIABLES = {
    "absence": [_var("days_quiet", "number", "Days since the last matching record",
                     "距上次记录天数")],
    "count": [_var("count", "number", "Number of records", "记录数")],
    "streak": [_var("streak", "number", "Consecutive periods", "连续周期数")],
    # Per subject, over the 7 days before the occurrence (evaluate.week_activity).
    "schedule": [
        _var("records_7d", "number", "Records (synced) in the last 7 days", "近 7 天记录数"),
        _var("submissions_7d", "number", "Forms sent in the last 7 days", "近 7 天提交表单数"),
        _var("visits_7d", "number", "Visits logged in the last 7 days", "近 7 天拜访数"),
        _var("valid_visits_7d", "number", "Valid visits (30+ minutes, located) in the last 7 days",
             "近 7 天有效拜访数"),
    ],
}

# Fields of record types whose shape is agreed between areas (the CRM deal contract);
# fields of other types are learnt from the records already stored.
RECORD_FIELDS = {
    "deal": ["stage", "amount", "product", "account", "engage_date", "close_date"],
    "collection": ["stage", "amount", "product", "account", "engage_date", "close_date"],
    "account": ["name", "sector"],
    "communication": ["opportunity_id", "channel", "summary"],
}

OPERATORS = {
    "eq": {"label_en": "is", "label_zh": "等于", "input": "value"},
    "ne": {"label_en": "is not", "label_zh": "不等于", "input": "value"},
    "gt": {"label_en": "greater than", "label_zh": "大于", "input": "number"},
    "gte": {"label_en": "at least", "label_zh": "不小于", "input": "number"},
    "lt": {"label_en": "less than", "label_zh": "小于", "input": "number"},
    "lte": {"label_en": "at most", "label_zh": "不大于", "input": "number"},
    "empty": {"label_en": "is empty", "label_zh": "为空", "input": "none"},
    "not_empty": {"label_en": "is not empty", "label_zh": "不为空", "input": "none"},
    "contains_any": {"label_en": "contains any of the words", "label_zh": "包含任一词",
                     "input": "words"},
}

RECIPIENTS = {
    "subject": {"label_en": "The subject (the person concerned)", "label_zh": "当事人"},
    "manager": {"label_en": "Their manager", "label_zh": "其经理"},
    "unit_owner": {"label_en": "The owner (leader) of their unit", "label_zh": "所在单元负责人"},
    "role:<key>": {"label_en": "Everyone with a role, e.g. role:hr", "label_zh": "某角色的所有人"},
}


def variables_for(trigger):
    """The variables (name -> metadata) a rule with ``trigger`` (a dict) may test.

    For form and record events the payload's fields appear as ``data.<key>`` and
    ``fields.<key>``; which of those exist is checked by ``definition.validate``.
    """
    kind = trigger.get("type")
    out = {}
    if kind in ("event", "streak", "count"):
        for v in EVENT_VARIABLES.get(trigger.get("event"), []):
            out[v["name"]] = v
    for v in TRIGGER_VARIABLES.get(kind, []):
        out[v["name"]] = v
    return out


def as_json():
    """The whole vocabulary, for a UI: triggers, events, variables, operators, recipients."""
    return {"triggers": TRIGGERS, "events": EVENTS, "event_variables": EVENT_VARIABLES,
            "trigger_variables": TRIGGER_VARIABLES, "record_fields": RECORD_FIELDS,
            "operators": OPERATORS, "recipients": RECIPIENTS}
