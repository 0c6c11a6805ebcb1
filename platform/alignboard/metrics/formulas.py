"""Safe formulas over other metrics, evaluated by simpleeval (never ``eval``).

A formula is one expression of numbers, metric keys, arithmetic, comparisons, ``and``/``or``
and calls of registered functions (``register_formula_functions``), e.g.
``first_order_amount * completion_coefficient`` or ``if(visits >= 5, 1, 0)``. Attribute
access, subscripts, imports, lambdas, comprehensions, text constants and calls with a
wrong number of arguments (read from each function's signature) are refused when the
formula is saved; formulas are at most ``MAX_LENGTH`` characters and exponents at most ``MAX_EXPONENT``,
so an evaluation is bounded in time and size. Parsed trees are cached.
"""
import ast
import inspect
import io
import logging
import math
import tokenize
from functools import lru_cache

import simpleeval
from flask import current_app, has_app_context

from ..i18n import N_, say as _

log = logging.getLogger(__name__)

MAX_LENGTH = 500
MAX_EXPONENT = 64
MAX_MAGNITUDE = 1e15
NOT_FINITE = "not a finite number (too large)"


class FormulaError(ValueError):
    """A formula that cannot be saved; the message says what is wrong and where."""


def _bounded_power(a, b):
    if abs(b) > MAX_EXPONENT or abs(a) > MAX_MAGNITUDE:
        raise FormulaError(_("%(a)s ** %(b)s is too large (exponent at most %(most)s)",
                             a=a, b=b, most=MAX_EXPONENT))
    return a ** b


OPERATORS = dict(simpleeval.DEFAULT_OPERATORS)
OPERATORS[ast.Pow] = _bounded_power
# Bit operators make no sense for metrics and ^ is easily mistaken for power.
for _op in (ast.BitXor, ast.BitOr, ast.BitAnd, ast.LShift, ast.RShift, ast.Invert):
    OPERATORS.pop(_op, None)

ALLOWED_NODES = (ast.Expression, ast.Expr, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare,
                 ast.IfExp, ast.Call, ast.Name, ast.Load, ast.Constant,
                 ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
                 ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, ast.Eq, ast.NotEq, ast.Lt,
                 ast.LtE, ast.Gt, ast.GtE)
NODE_NAMES = {ast.Attribute: N_("attribute access (a.b)"),
              ast.Subscript: N_("subscripts (a[b])"), ast.Lambda: N_("lambda"),
              ast.ListComp: N_("comprehensions"), ast.GeneratorExp: N_("comprehensions"),
              ast.DictComp: N_("comprehensions"), ast.SetComp: N_("comprehensions"),
              ast.NamedExpr: N_("assignment (:=)"), ast.List: N_("lists"),
              ast.Tuple: N_("tuples"), ast.Dict: N_("dictionaries"), ast.Set: N_("sets"),
              ast.JoinedStr: N_("f-strings"), ast.Starred: N_("* arguments")}


def _tokens(text):
    """The tokens of ``text``; an unbalanced parenthesis is named with its position (the
    tokenizer only says "EOF in multi-line statement")."""
    tokens, opened = [], []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens.append(tok)
            if tok.type == tokenize.OP and tok.string in "([{":
                opened.append((tok.string, tok.start[1] + 1))
            elif tok.type == tokenize.OP and tok.string in ")]}":
                if not opened:
                    raise FormulaError(_(
                        "syntax error at character %(n)d: '%(token)s' closes nothing that "
                        "was opened", n=tok.start[1] + 1, token=tok.string))
                opened.pop()
    except tokenize.TokenError as exc:
        if opened:
            what, where = opened[-1]
            if what == "(":
                message = _("syntax error at character %(n)d: unclosed parenthesis '%(token)s'",
                            n=where, token=what)
            else:
                message = _("syntax error at character %(n)d: unclosed bracket '%(token)s'",
                            n=where, token=what)
            raise FormulaError(message) from None
        # The parser's own words stay English inside the translated frame.
        raise FormulaError(_("syntax error: %(detail)s", detail=exc.args[0])) from None
    except (IndentationError, SyntaxError) as exc:
        raise FormulaError(_("syntax error: %(detail)s", detail=exc)) from None
    return tokens


def _rewrite_if(text):
    """``if(`` is a Python keyword, so ``if(a, b, c)`` is rewritten to ``iif(a, b, c)``."""
    tokens = _tokens(text)
    out, last = [], 0
    for tok, nxt in zip(tokens, tokens[1:]):
        if tok.type == tokenize.NAME and tok.string == "if" and nxt.string == "(":
            offset = tok.start[1]
            out.append(text[last:offset] + "iif")
            last = tok.end[1]
    out.append(text[last:])
    return "".join(out)


LAZY_IF = ("iif",)   # ``if(`` is rewritten to ``iif(`` first


class _LazyIf(ast.NodeTransformer):
    """``iif(c, a, b)`` becomes the conditional ``a if c else b``: only the branch taken is
    evaluated, so ``if(visits == 0, 0, won / visits)`` never divides by zero."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if (isinstance(node.func, ast.Name) and node.func.id in LAZY_IF
                and len(node.args) == 3 and not node.keywords):
            test, body, orelse = node.args
            return ast.copy_location(ast.IfExp(test=test, body=body, orelse=orelse), node)
        return node


@lru_cache(maxsize=2048)
def parse(text):
    """Check and parse ``text``; return the expression node (cached).

    Raises FormulaError for a syntax error, an over-long formula or a construct formulas
    do not allow.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError(_("the formula is empty"))
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("the formula is %(n)d characters long; at most %(most)d are "
                             "allowed", n=len(text), most=MAX_LENGTH))
    if "\n" in text or "\r" in text:
        raise FormulaError(_("a formula is one line"))
    source = _rewrite_if(text.strip())
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        if exc.offset:
            raise FormulaError(_("syntax error at character %(n)d: %(detail)s",
                                 n=exc.offset, detail=exc.msg)) from None
        raise FormulaError(_("syntax error: %(detail)s", detail=exc.msg)) from None
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED_NODES):
            what = NODE_NAMES.get(type(node), type(node).__name__)
            raise FormulaError(_("%(what)s is not allowed in a formula", what=_(what)))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise FormulaError(_("only functions may be called, by name"))
            if node.keywords:
                raise FormulaError(_("%(name)s() takes no keyword arguments",
                                     name=node.func.id))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            # Metrics are numbers: text can only fail at evaluation ("not a number").
            raise FormulaError(_("text (%(value)s) is not allowed in a formula; formulas "
                                 "compute with numbers and metric keys",
                                 value=repr(node.value)))
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise FormulaError(_("the constant %(value)s is not allowed",
                                 value=repr(node.value)))
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise FormulaError(_("names may not start with '_': %(name)s", name=node.id))
        if (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod))
                and isinstance(node.right, ast.Constant) and node.right.value == 0):
            raise FormulaError(_("division by zero: the divisor is the constant 0"))
    return _LazyIf().visit(tree).body


def names_and_calls(text):
    """(metric names used, function names called) of a formula."""
    node = parse(text)
    calls = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call)}
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - calls
    return names, calls


def functions():
    """The registered formula functions by name (from every plugin), cached per app."""
    if not has_app_context():
        from . import functions as builtin
        return {f.__name__: f for f in builtin.register_formula_functions()}
    cache = current_app.extensions.get("alignboard.formula_functions")
    if cache is None:
        from .. import plugins
        cache = {}
        for fn in plugins.call("register_formula_functions"):
            if callable(fn) and getattr(fn, "__name__", "").isidentifier():
                cache[fn.__name__] = fn
            else:
                log.warning("ignoring formula function %r: not a named callable", fn)
        current_app.extensions["alignboard.formula_functions"] = cache
    return cache


def _arity_error(name, fn, count):
    """Why ``fn`` cannot be called with ``count`` arguments, or None when it can (or when
    its signature cannot be read, as for some C functions: evaluation then flags it)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*range(count))
    except TypeError:
        pass
    else:
        if count == 0 and any(p.kind == p.VAR_POSITIONAL
                              for p in signature.parameters.values()):
            # min(), max() and coalesce() of nothing bind, but can never give a value: an
            # empty call is a slip, not a formula. (A function declaring no parameters at
            # all is meant to be called empty and still is.)
            return _("%(name)s() takes at least 1 argument, not 0", name=name)
        return None
    params = signature.parameters.values()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.KEYWORD_ONLY and p.default is p.empty for p in params):
        return _("%(name)s() needs keyword arguments, which formulas cannot give", name=name)
    least = sum(1 for p in positional if p.default is p.empty)
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        takes = _("at least %(n)d", n=least)
    elif least == len(positional):
        takes = str(least)
    else:
        takes = _("%(least)d to %(most)d", least=least, most=len(positional))
    names = ", ".join(p.name for p in positional)
    if least == 1 and len(positional) <= 1:
        return _("%(name)s() takes %(takes)s argument (%(names)s), not %(count)d", name=name,
                 takes=takes, names=names, count=count)
    if not names:
        return _("%(name)s() takes %(takes)s arguments, not %(count)d", name=name,
                 takes=takes, count=count)
    return _("%(name)s() takes %(takes)s arguments (%(names)s), not %(count)d", name=name,
             takes=takes, names=names, count=count)


def check(text, known_metrics):
    """Refuse ``text`` unless it parses and uses only ``known_metrics`` and functions,
    each called with a number of arguments it accepts.

    Returns the set of metric keys it depends on.
    """
    names, calls = names_and_calls(text)
    funcs = functions()
    unknown_calls = sorted(calls - set(funcs))
    if unknown_calls:
        raise FormulaError(_("unknown function %(name)s(); available: %(names)s",
                             name=unknown_calls[0], names=", ".join(sorted(funcs))))
    # A wrong number of arguments would only show at evaluation, as "not a number" on
    # every value; plugin functions are checked the same way through their signature.
    for node in ast.walk(parse(text)):
        if isinstance(node, ast.Call):
            name = node.func.id
            # if(c, a, b) was rewritten to iif; a 3-argument one became a conditional.
            shown = "if" if name == "iif" and "iif" not in text else name
            problem = _arity_error(shown, funcs[name], len(node.args))
            if problem:
                raise FormulaError(problem)
    unknown = sorted(names - set(known_metrics))
    if unknown:
        raise FormulaError(_("unknown metric %(key)s in the formula", key=repr(unknown[0])))
    return names


class Evaluation:
    """The result of evaluating a formula: ``value`` (a number or None) and ``flag``."""

    __slots__ = ("value", "flag")

    def __init__(self, value, flag=None):
        self.value, self.flag = value, flag


def evaluate(text, names):
    """Evaluate ``text`` with ``names`` (metric key -> number or None). Never raises.

    Division by zero, a missing input or an over-large power give ``value`` None and a
    ``flag`` saying why.
    """
    try:
        node = parse(text)
    except FormulaError as exc:
        return Evaluation(None, str(exc))
    plain = {k: v for k, v in names.items()
             if v is None or isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    evaluator = simpleeval.SimpleEval(operators=OPERATORS, functions=functions(),
                                      names=plain)
    try:
        value = evaluator.eval(text, previously_parsed=node)
    except ZeroDivisionError:
        return Evaluation(None, "division by zero")
    except simpleeval.NameNotDefined as exc:
        return Evaluation(None, f"no value for {exc.name}")
    except TypeError:
        missing = sorted(k for k in names_and_calls(text)[0] if plain.get(k) is None)
        flag = f"no value for {', '.join(missing)}" if missing else "not a number"
        return Evaluation(None, flag)
    except (FormulaError, OverflowError, ValueError, simpleeval.InvalidExpression) as exc:
        return Evaluation(None, str(exc)[:200])
    except Exception as exc:  # a plugin's function failing must not break an update
        log.warning("formula %r failed: %r", text, exc)
        return Evaluation(None, f"error: {exc}"[:200])
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, (int, float)):
        return Evaluation(None, "the formula does not give a number")
    if isinstance(value, float) and value != value:
        return Evaluation(None, "not a number")
    if not math.isfinite(value):
        # Infinity cannot be stored meaningfully nor written as JSON.
        return Evaluation(None, NOT_FINITE)
    return Evaluation(float(value))
