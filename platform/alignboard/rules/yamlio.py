"""Rules to and from YAML files: one rule per file, or a list, or ``{rules: [...]}``."""
import os
from pathlib import Path

import yaml
from flask import current_app

from ..db import database
from . import definition


class RuleFileError(ValueError):
    """Some rules in the files are invalid; ``errors`` maps "file: rule" to messages."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(f"{k}: {m}" for k, m in errors.items()))


def templates_dir():
    """The shipped seed rules (the top-level ``rules/`` folder), or RULE_TEMPLATES_DIR."""
    configured = current_app.config.get("RULE_TEMPLATES_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "rules"


def _files(path):
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    return [path]


def read(path):
    """All rule mappings in a file or directory, as (source, mapping) pairs."""
    out = []
    for f in _files(path):
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise RuleFileError({f.name: f"cannot be read as YAML: {exc}"}) from None
        if isinstance(data, dict) and "rules" in data and "key" not in data:
            data = data["rules"]
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items):
            name = item.get("key") if isinstance(item, dict) else None
            out.append((f"{f.name}: {name or f'item {i + 1}'}", item))
    return out


def load(path):
    """Validate every rule in ``path`` and store them all, or none; return the Rules."""
    items = read(path)
    if not items:
        raise RuleFileError({str(path): "no rules found"})
    errors, keys = {}, set()
    for source, item in items:
        try:
            d = definition.validate(item)
        except definition.RuleDefinitionError as exc:
            errors[source] = str(exc)
            continue
        if d["key"] in keys:
            errors[source] = f"key {d['key']!r} appears twice"
        keys.add(d["key"])
    if errors:
        raise RuleFileError(errors)
    with database.atomic():
        return [definition.save(item) for _, item in items]


def dump(rules):
    """YAML text of the rules' definitions (a list under ``rules:``)."""
    return yaml.safe_dump({"rules": [definition.export(r) for r in rules]},
                          allow_unicode=True, sort_keys=False)


def export_dir(rules, directory):
    """One ``<key>.yaml`` per rule into ``directory``; return the paths."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for rule in rules:
        path = Path(directory) / f"{rule.key}.yaml"
        path.write_text(yaml.safe_dump(definition.export(rule), allow_unicode=True,
                                       sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
