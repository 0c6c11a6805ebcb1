"""Built-in formula functions, registered as a plugin through ``register_formula_functions``.

Each receives and returns plain numbers (or None for "no value"); none touches I/O.
"""
import math

from ..hookspecs import hookimpl


def iif(condition, if_true, if_false):
    """``iif(visits >= 5, 1, 0)``; formulas may also write ``if(...)``."""
    return if_true if condition else if_false


def coalesce(*values):
    """The first value that is not None: ``coalesce(bonus, 0)``."""
    for value in values:
        if value is not None:
            return value
    return None


def _numbers(values):
    return [v for v in values if v is not None]


def minimum(*values):
    nums = _numbers(values)
    return min(nums) if nums else None


def maximum(*values):
    nums = _numbers(values)
    return max(nums) if nums else None


def absolute(value):
    return abs(value)


def rounded(value, digits=0):
    return round(value, int(digits))


def sqrt(value):
    return math.sqrt(value)


def floor(value):
    return math.floor(value)


def ceil(value):
    return math.ceil(value)


def clamp(value, low, high):
    """``value`` held within ``low`` and ``high``: ``clamp(completion / 100, 0, 1.2)``."""
    return max(low, min(high, value))


minimum.__name__, maximum.__name__ = "min", "max"
absolute.__name__, rounded.__name__ = "abs", "round"


@hookimpl
def register_formula_functions():
    return [iif, coalesce, minimum, maximum, absolute, rounded, sqrt, floor, ceil, clamp]
