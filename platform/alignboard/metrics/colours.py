"""Colour rules: bands on a metric's value, its % of target or its % of pace.

A band holds ``lower <= basis < upper`` (either bound may be open). Bands with
``consecutive`` N > 1 apply only when the N - 1 previous periods of the same kind were in
the same band as well; they are checked before the single-period bands, so a rule can say
"amber below 85% of pace; red when below 85% two weeks in a row". Bands with the same N must
not overlap (refused on save).
"""
from ..i18n import colour_name, say as _
from .models import COLOURS, ColourBand, ColourRule


class ColourError(ValueError):
    """A colour rule that cannot be saved."""


DEFAULT_BANDS = [
    # The default: green >= 100% of pace, amber 85-100%, red below.
    dict(colour="green", lower=100, upper=None, consecutive=1, label="on or ahead of plan"),
    dict(colour="amber", lower=85, upper=100, consecutive=1, label="up to 15% behind plan"),
    dict(colour="red", lower=None, upper=85, consecutive=1, label="more than 15% behind plan"),
]


def _fmt(x):
    return "" if x is None else (f"{x:g}")


def check_bands(bands):
    """Refuse bands that overlap (same ``consecutive``), are empty or name unknown colours.

    ``bands``: dicts or objects with colour, lower, upper, consecutive. Raises ColourError.
    """
    rows = []
    for i, b in enumerate(bands, 1):
        get = (lambda k, b=b: b.get(k)) if isinstance(b, dict) else (lambda k, b=b: getattr(b, k))
        colour, lower, upper = get("colour"), get("lower"), get("upper")
        consecutive = get("consecutive") or 1
        if colour not in COLOURS:
            raise ColourError(_("band %(n)d: colour %(colour)r is not one of %(colours)s",
                                n=i, colour=colour, colours=", ".join(COLOURS)))
        if lower is not None and upper is not None and lower >= upper:
            raise ColourError(_("band %(n)d (%(colour)s): the lower bound %(lower)s must be "
                                "below the upper bound %(upper)s", n=i,
                                colour=colour_name(colour), lower=_fmt(lower),
                                upper=_fmt(upper)))
        if consecutive < 1 or consecutive > 52:
            raise ColourError(_("band %(n)d (%(colour)s): consecutive periods must be 1 to 52",
                                n=i, colour=colour_name(colour)))
        rows.append((i, colour, lower, upper, consecutive))
    for a in rows:
        for b in rows:
            if a[0] >= b[0] or a[4] != b[4]:
                continue
            lo = max(x for x in (a[2], b[2], float("-inf")) if x is not None)
            hi = min(x for x in (a[3], b[3], float("inf")) if x is not None)
            if lo < hi:
                raise ColourError(_(
                    "bands %(a)d (%(a_colour)s: %(a_range)s) and %(b)d (%(b_colour)s: "
                    "%(b_range)s) overlap", a=a[0], a_colour=colour_name(a[1]),
                    a_range=describe_range(a[2], a[3]), b=b[0], b_colour=colour_name(b[1]),
                    b_range=describe_range(b[2], b[3])))


def describe_range(lower, upper, unit=""):
    """A band's range in words, in the reader's language (legends, refusals)."""
    if lower is None and upper is None:
        return _("any value")
    if lower is None:
        return _("below %(upper)s", upper=f"{_fmt(upper)}{unit}")
    if upper is None:
        return _("%(lower)s or more", lower=f"{_fmt(lower)}{unit}")
    return _("%(lower)s to below %(upper)s", lower=f"{_fmt(lower)}{unit}",
             upper=f"{_fmt(upper)}{unit}")


def ordered(bands):
    """Bands in the order they are tried: longer streaks first, then as entered."""
    return sorted(bands, key=lambda b: (-(b.consecutive or 1), b.id or 0))


def in_band(band, x):
    return (x is not None and (band.lower is None or x >= band.lower)
            and (band.upper is None or x < band.upper))


def pick(bands, history):
    """The band for the latest of ``history`` (basis values, oldest first, latest last)."""
    if not history or history[-1] is None:
        return None
    for band in ordered(bands):
        n = band.consecutive or 1
        if len(history) < n:
            continue
        if all(in_band(band, x) for x in history[-n:]):
            return band
    return None


def basis_value(rule, value, target, expected):
    """The number the bands of ``rule`` are compared with (percent for target/pace)."""
    if value is None:
        return None
    if rule.basis == "value":
        return value
    ref = target if rule.basis == "target" else expected
    if not ref:
        return None
    return value / ref * 100


def rule_for(metric_id):
    """(rule, bands) of a metric, or (None, [])."""
    rule = ColourRule.get_or_none(ColourRule.metric == metric_id)
    if rule is None:
        return None, []
    return rule, list(ColourBand.select().where(ColourBand.rule == rule)
                      .order_by(ColourBand.id))


def legend(metric_id):
    """The legend of a metric's colours, as shown next to every table of the metric."""
    rule, bands = rule_for(metric_id)
    if rule is None:
        return []
    items = []
    for band in ordered(bands):
        text = describe_range(band.lower, band.upper, "%" if rule.basis != "value" else "")
        # Whole phrases, so that a translation can put the words in its own order.
        if rule.basis == "target":
            text = _("%(range)s of target", range=text)
        elif rule.basis == "pace":
            text = _("%(range)s of pace", range=text)
        if (band.consecutive or 1) > 1:
            text = _("%(range)s, %(n)d periods in a row", range=text, n=band.consecutive)
        items.append({"colour": band.colour, "range": text, "label": band.label,
                      "consecutive": band.consecutive or 1})
    return items


def save_rule(metric, basis, bands, description=""):
    """Create or replace the colour rule of ``metric`` after checking the bands."""
    from ..db import database

    check_bands(bands)
    with database.atomic():
        rule = ColourRule.get_or_none(ColourRule.metric == metric)
        if rule is None:
            rule = ColourRule.create(metric=metric, basis=basis, description=description)
        else:
            rule.basis, rule.description = basis, description
            rule.save()
            ColourBand.delete().where(ColourBand.rule == rule).execute()
        for b in bands:
            ColourBand.create(rule=rule, colour=b["colour"], lower=b.get("lower"),
                              upper=b.get("upper"), consecutive=b.get("consecutive") or 1,
                              label=b.get("label") or "")
    return rule
