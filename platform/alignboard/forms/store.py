"""Saving definitions with versions, and their export/import as YAML or JSON files.

Editing a form that already has submissions creates a new version; old submissions keep
the version they were made with. Editing a form nobody has used yet changes its current
version in place, so HR can try things out without piling up versions.
"""
import json
import logging

import yaml

from ..db import database, utcnow
from ..i18n import say as _
from .definition import DefinitionError, normalise
from .models import Form, FormVersion, Submission

log = logging.getLogger(__name__)


def save_definition(raw, by=None, expected_key=None):
    """Create or update the form ``raw["key"]`` names; return ``(form, version, created)``.

    ``expected_key``: when updating through a URL naming the form, the definition must keep
    that key. Raises ``DefinitionError``; nothing is stored then.
    """
    definition = normalise(raw)
    if expected_key is not None and definition["key"] != expected_key:
        raise DefinitionError({"key": [_("the key cannot change (this form is %(key)r)",
                                         key=expected_key)]})
    with database.atomic():
        form = Form.get_or_none(Form.key == definition["key"])
        created = form is None
        if created:
            form = Form.create(key=definition["key"], title=_title(definition),
                               title_zh=definition["title"]["zh"])
        current = form.current_version
        if current is not None and current.definition == definition:
            return form, current, False
        if current is not None and not Submission.select().where(
                Submission.form_version == current).exists():
            current.definition = definition
            current.created_by = by
            current.created_at = utcnow()
            current.save()
            version = current
        else:
            number = (current.version + 1) if current else 1
            version = FormVersion.create(form=form, version=number, definition=definition,
                                         created_by=by)
        form.title = _title(definition)
        form.title_zh = definition["title"]["zh"]
        form.current_version_id = version.id
        form.updated_at = utcnow()
        form.save()
    log.info("form %s saved as version %s", form.key, version.version)
    return form, version, created


def _title(definition):
    return (definition["title"]["en"] or definition["title"]["zh"])[:200]


TOP_ORDER = ["key", "title", "description", "access", "frequency", "edit", "visit_rule",
             "fields"]
FIELD_ORDER = ["key", "type", "label", "help", "required", "required_if", "show_if"]


def _ordered(mapping, first):
    keys = [k for k in first if k in mapping] + sorted(k for k in mapping if k not in first)
    return {k: mapping[k] for k in keys}


def readable(definition):
    """The definition as a person would write it: key and title first, each field's key
    and type first, empty texts left out. Importing it gives the same definition back
    (``normalise`` fills the empty texts in again)."""
    out = _ordered({k: v for k, v in definition.items()
                    if not (k == "description" and not any(v.values()))}, TOP_ORDER)
    out["fields"] = [_ordered({k: v for k, v in f.items()
                               if not (k == "help" and not any(v.values()))}, FIELD_ORDER)
                     for f in definition["fields"]]
    return out


def dumps(definition, fmt="yaml"):
    """The definition as a YAML or JSON document (UTF-8 text, Chinese kept readable)."""
    definition = readable(definition)
    if fmt == "json":
        return json.dumps(definition, ensure_ascii=False, indent=2) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100)
    raise ValueError(f"unknown format {fmt!r}: use yaml or json")


class _DuplicateKey(Exception):
    """A mapping in the file names the same key twice (the parsers would keep the last)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a repeated mapping key instead of keeping the last one."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                line = key_node.start_mark.line + 1
                raise _DuplicateKey(_("the key %(key)r appears twice in one mapping "
                                      "(line %(line)d)", key=key, line=line))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _strict_pairs(pairs):
    """``object_pairs_hook`` for json: refuse a repeated key in one object."""
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(_("the key %(key)r appears twice in one object", key=key))
        out[key] = value
    return out


def loads(text, filename=""):
    """Parse a YAML or JSON definition file; raise DefinitionError on anything else."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DefinitionError({"_schema": [_("the file is not UTF-8 text")]}) from None
    try:
        if filename.lower().endswith(".json"):
            data = json.loads(text, object_pairs_hook=_strict_pairs)
        else:
            # JSON is YAML too; the safe loader never builds Python objects from tags.
            # A repeated key is refused: silently keeping the last one loses a setting.
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - safe subclass
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        # The parser's own detail (line, column, what it expected) stays as it says it.
        raise DefinitionError({"_schema": [_("the file cannot be read: %(reason)s",
                                             reason=exc)]}) from None
    except _DuplicateKey as exc:
        raise DefinitionError({"_schema": [str(exc)]}) from None
    if not isinstance(data, dict):
        raise DefinitionError({"_schema": [_("the file must hold one form definition "
                                             "(a mapping with key, title and fields)")]})
    return data


def import_text(text, filename="", by=None):
    """Import one definition file; return ``(form, version, created)``."""
    return save_definition(loads(text, filename), by=by)
