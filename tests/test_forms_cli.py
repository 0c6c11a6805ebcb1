"""alignboard forms: load-templates, export, import."""
import json

import yaml

from alignboard.forms.definition import normalise
from alignboard.forms.models import Form


def test_load_templates_loads_the_five_seed_forms(runner, app):
    result = runner.invoke(args=["forms", "load-templates"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        keys = {f.key for f in Form.select()}
    assert keys == {"weekly_report", "visit_log", "kr_checkin", "target_adjustment",
                    "objective"}
    # Loading again changes nothing: same definitions, same versions.
    again = runner.invoke(args=["forms", "load-templates"])
    assert "version 1" in again.output


def test_export_then_import_is_lossless_in_both_formats(runner, app, tmp_path):
    runner.invoke(args=["forms", "load-templates"])
    for fmt in ("yaml", "json"):
        out = tmp_path / f"visit.{fmt}"
        result = runner.invoke(args=["forms", "export", "visit_log", "--format", fmt,
                                     "-o", str(out)])
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        parsed = json.loads(text) if fmt == "json" else yaml.safe_load(text)
        with app.app_context():
            assert normalise(parsed) == Form.get(Form.key == "visit_log").definition
        assert "客户拜访记录" in text
        result = runner.invoke(args=["forms", "import", str(out)])
        assert result.exit_code == 0 and "version 1" in result.output


def test_import_refuses_unknown_type_and_duplicate_key(runner, app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: bad\ntitle: Bad\nfields:\n"
                   "  - {key: a, type: laser, label: A}\n"
                   "  - {key: b, type: text, label: B}\n"
                   "  - {key: b, type: text, label: B}\n", encoding="utf-8")
    result = runner.invoke(args=["forms", "import", str(bad)])
    assert result.exit_code == 1
    assert "unknown field type 'laser'" in result.output
    assert "duplicate key 'b'" in result.output
    with app.app_context():
        assert Form.select().count() == 0


def test_export_of_an_unknown_form_says_so(runner, app):
    result = runner.invoke(args=["forms", "export", "nope"])
    assert result.exit_code != 0 and "no form 'nope'" in result.output


def test_import_refuses_a_repeated_key_in_a_yaml_or_json_file(runner, app, tmp_path):
    files = {
        "field.yaml": ("key: dup\ntitle: Dup\nfields:\n"
                       "  - {key: a, type: text, label: A, type: number}\n",
                       "'type' appears twice in one mapping (line 4)"),
        "top.yaml": ("key: k1\ntitle: Dup\nkey: k2\nfields:\n"
                     "  - {key: a, type: text, label: A}\n",
                     "'key' appears twice in one mapping (line 3)"),
        "dup.json": ('{"key": "j1", "key": "j2", "title": "Dup", '
                     '"fields": [{"key": "a", "type": "text", "label": "A"}]}',
                     "'key' appears twice in one object"),
    }
    for name, (text, message) in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(args=["forms", "import", str(path)])
        assert result.exit_code == 1, result.output
        assert message in result.output
    with app.app_context():
        assert Form.select().count() == 0
