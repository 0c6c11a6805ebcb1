"""The "My metrics" card on the home page: the latest values the viewer may see, coloured,
with the legend of each metric."""
from ..org.models import Period
from . import colours
from .admin import SWATCH
from .models import Metric, MetricValue


def card_context(person):
    """Latest value of each metric for the person themself (and, for a manager, the units
    they lead), newest period first."""
    from ..org import scopes
    subjects = [("person", person.id)]
    if scopes.scope_of(person) != "own":
        subjects += [("unit", u.id) for u in scopes.led_units(person)]
    rows = []
    for subject_type, subject_id in subjects:
        seen = set()
        q = (MetricValue.select(MetricValue, Metric, Period).join(Metric)
             .switch(MetricValue).join(Period)
             .where((MetricValue.subject_type == subject_type)
                    & (MetricValue.subject_id == subject_id))
             .order_by(Period.end.desc(), Metric.key).limit(200))
        for v in q:
            k = (v.metric_id, v.period.kind)
            if k in seen:
                continue
            seen.add(k)
            rows.append(v)
    legends = {}
    for v in rows:
        if v.metric_id not in legends:
            legends[v.metric_id] = (v.metric, colours.legend(v.metric_id))
    return {"metric_rows": rows, "metric_legends": list(legends.values()),
            "swatch": SWATCH}


CARD = ("metrics/card.html", card_context)
