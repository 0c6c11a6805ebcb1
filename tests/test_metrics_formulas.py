"""Safe formulas: what they may say, what they refuse, and that evaluation never crashes."""
import pytest

from alignboard.metrics import formulas
from alignboard.metrics.formulas import FormulaError, evaluate


def test_arithmetic_over_metric_names():
    assert evaluate("first_order_amount * completion_coefficient",
                    {"first_order_amount": 200.0, "completion_coefficient": 0.8}).value == 160.0


def test_if_is_accepted_as_a_function():
    assert evaluate("if(visits >= 5, 1, 0)", {"visits": 6}).value == 1.0
    assert evaluate("if(visits >= 5, 1, 0)", {"visits": 4}).value == 0.0
    assert evaluate("iif(visits >= 5 and calls > 2, 10, 0)", {"visits": 5, "calls": 3}).value == 10


def test_if_evaluates_only_the_branch_taken():
    guarded = "if(visits == 0, 0, won / visits)"
    result = evaluate(guarded, {"visits": 0, "won": 500.0})
    assert (result.value, result.flag) == (0.0, None)
    assert evaluate(guarded, {"visits": 4, "won": 500.0}).value == 125.0
    # The branch not taken may even lack a value.
    assert evaluate("iif(won > 0, won, bonus * 2)", {"won": 5.0, "bonus": None}).value == 5.0


def test_builtin_functions_come_from_the_plugin_hook(app):
    with app.app_context():
        funcs = formulas.functions()
        assert {"iif", "min", "max", "round", "coalesce", "clamp"} <= set(funcs)
        assert evaluate("round(max(a, b) / 3, 2)", {"a": 1, "b": 10}).value == 3.33
        assert evaluate("coalesce(bonus, 0) + 1", {"bonus": None}).value == 1.0


def test_a_plugin_can_add_a_formula_function(app):
    from alignboard import hookimpl, plugins

    class Plugin:
        @hookimpl
        def register_formula_functions(self):
            def double(x):
                return 2 * x
            return [double]

    with app.app_context():
        plugins.current().pm.register(Plugin(), name="doubler")
        app.extensions.pop("alignboard.formula_functions", None)
        assert evaluate("double(x)", {"x": 4}).value == 8.0


def test_a_failing_plugin_function_gives_no_value(app):
    from alignboard import hookimpl, plugins

    class Plugin:
        @hookimpl
        def register_formula_functions(self):
            def explode(x):
                raise RuntimeError("boom")
            return [explode]

    with app.app_context():
        plugins.current().pm.register(Plugin(), name="exploder")
        app.extensions.pop("alignboard.formula_functions", None)
        result = evaluate("explode(x)", {"x": 1})
    assert result.value is None and result.flag == "error: boom"


def test_division_by_zero_gives_no_value_and_a_flag():
    result = evaluate("won / visits", {"won": 3, "visits": 0})
    assert result.value is None and result.flag == "division by zero"


def test_a_missing_input_gives_no_value_and_says_which():
    result = evaluate("won * 2 + visits", {"won": None, "visits": 1})
    assert result.value is None and result.flag == "no value for won"


@pytest.mark.parametrize("text, message", [
    ("won *", "syntax error"),
    ("won.__class__", "attribute access"),
    ("won.real", "attribute access"),
    ("__import__('os')", "names may not start"),
    ("[x for x in won]", "comprehensions"),
    ("won[0]", "subscripts"),
    ("lambda: 1", "lambda"),
    ("x := 1", "syntax error"),
    ("a\nb", "one line"),
    ("w" * 501, "at most 500"),
    ("", "empty"),
    ("won / 0", "division by zero"),
    ("won % 0.0", "division by zero"),
    ("won_value * (", r"syntax error at character 13: unclosed parenthesis '\('"),
    ("min(a, (b)", r"at character 4: unclosed parenthesis"),
    ("won)", r"at character 4: '\)' closes nothing"),
    ("'abc'", "text .'abc'. is not allowed"),
    ("round(won_value, 'x')", "text .'x'. is not allowed"),
])
def test_unsafe_or_broken_formulas_are_refused_on_parse(text, message):
    with pytest.raises(FormulaError, match=message):
        formulas.parse(text)


def test_huge_powers_are_refused_at_evaluation_not_computed():
    result = evaluate("9 ** 999999", {})
    assert result.value is None and "too large" in result.flag


def test_unknown_names_and_functions_are_reported_by_check(app):
    with app.app_context():
        with pytest.raises(FormulaError, match="unknown metric 'vists'"):
            formulas.check("vists * 2", {"visits"})
        with pytest.raises(FormulaError, match=r"unknown function open\(\)"):
            formulas.check("open(visits)", {"visits"})
        assert formulas.check("if(visits > 1, visits, 0)", {"visits"}) == {"visits"}


@pytest.mark.parametrize("text, message", [
    ("if(won_value > 0, 1)", r"if\(\) takes 3 arguments \(condition, if_true, if_false\), not 2"),
    ("clamp(won_value)", r"clamp\(\) takes 3 arguments \(value, low, high\), not 1"),
    ("round(won_value, 1, 2)", r"round\(\) takes 1 to 2 arguments \(value, digits\), not 3"),
    ("sqrt(won_value, 2)", r"sqrt\(\) takes 1 argument \(value\), not 2"),
    # Accepted before (re-audit of issue 5): stored, then never gave a value or a note.
    ("min()", r"min\(\) takes at least 1 argument, not 0"),
    ("won_value + max()", r"max\(\) takes at least 1 argument, not 0"),
    ("coalesce()", r"coalesce\(\) takes at least 1 argument, not 0"),
])
def test_a_wrong_number_of_arguments_is_refused_by_check(app, text, message):
    with app.app_context(), pytest.raises(FormulaError, match=message):
        formulas.check(text, {"won_value"})


def test_functions_taking_any_number_of_arguments_pass_check(app):
    with app.app_context():
        assert formulas.check("max(a, b, 3) + coalesce(a, 0) + round(a)", {"a", "b"}) == {"a", "b"}


def test_a_plugin_functions_arguments_are_checked_from_its_signature(app):
    from alignboard import hookimpl, plugins

    class Plugin:
        @hookimpl
        def register_formula_functions(self):
            def weighted(value, *weights):
                return value * sum(weights)
            return [weighted]

    with app.app_context():
        plugins.current().pm.register(Plugin(), name="weighter")
        app.extensions.pop("alignboard.formula_functions", None)
        assert formulas.check("weighted(a, 1, 2, 3)", {"a"}) == {"a"}
        with pytest.raises(FormulaError, match=r"weighted\(\) takes at least 1 argument "
                                               r"\(value\), not 0"):
            formulas.check("weighted()", {"a"})


def test_parsing_is_cached():
    formulas.parse.cache_clear()
    formulas.parse("a + b")
    formulas.parse("a + b")
    assert formulas.parse.cache_info().hits == 1


@pytest.mark.parametrize("text, names", [
    ('"ab" * 99999999', {}),
    ("sqrt(-1)", {}),
    ("round(1, 2, 3)", {}),
    ("x * 2", {"x": "text"}),
    ("1e308 * 1e308 * 0 + 9 ** 64 ** 2", {}),
])
def test_bad_evaluations_give_no_value_and_never_raise(text, names):
    result = evaluate(text, names)
    assert result.value is None and result.flag


@pytest.mark.parametrize("text, names, flag", [
    ("won_value * 1e308", {"won_value": 10.0}, formulas.NOT_FINITE),
    ("-won_value * 1e308", {"won_value": 10.0}, formulas.NOT_FINITE),
    ("won_value * 1e308 - won_value * 1e308", {"won_value": 10.0}, "not a number"),
])
def test_infinite_or_nan_results_give_no_value_and_a_note(text, names, flag):
    result = evaluate(text, names)
    assert (result.value, result.flag) == (None, flag)
