"""Our one interface to durable_rules: ``match(ruleset, fact) -> bool``.

durable_rules cannot re-register or unregister a ruleset name, keeps state per process, starts
timer threads that do not survive a fork, raises when a message matches nothing or is seen
twice, and swallows errors raised in actions. So:

- a ruleset is registered under a name derived from its content (``rs_<hash>``): an edited
  rule is simply a new name, and an unchanged rule is never registered twice;
- one Host per process, created lazily on first use and again after a fork (pid check),
  never at import time;
- every fact gets a unique ``id`` and the same session id; a matched message is consumed by
  its rule, an unmatched one raises ``MessageNotHandledException``, which means "no match";
- the action only records that it ran; ``state['exception']`` is checked all the same.
"""
import copy
import hashlib
import itertools
import json
import logging
import os
import threading

from durable import engine as durable_engine
from durable.engine import MessageNotHandledException, MessageObservedException

log = logging.getLogger(__name__)


class EngineError(RuntimeError):
    """durable_rules refused a ruleset or a fact; the message says which and why."""


class _Host(durable_engine.Host):
    def __init__(self, hits):
        self._hits = hits
        super().__init__()

    def get_action(self, name):
        hits = self._hits

        def action(c):
            hits.append(c.m["id"])
        return action


class Engine:
    """Matches facts against rulesets; safe to share between threads of one process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        self._host = None
        self._names = set()
        self._hits = []
        self._ids = itertools.count(1)

    def _ensure_host(self):
        if self._host is None or self._pid != os.getpid():
            self._hits = []
            self._host = _Host(self._hits)
            self._names = set()
            self._pid = os.getpid()

    @staticmethod
    def name_for(ruleset):
        digest = hashlib.sha1(json.dumps(ruleset, sort_keys=True).encode()).hexdigest()
        return "rs_" + digest[:20]

    def _register(self, ruleset):
        name = self.name_for(ruleset)
        if name not in self._names:
            try:
                # durable_rules deletes 'run' from the dict it is given: hand it a copy.
                self._host.set_rulesets({name: copy.deepcopy(ruleset)})
            except Exception as exc:
                raise EngineError(f"durable_rules refused the ruleset: {exc}") from exc
            self._names.add(name)
        return name

    def match(self, ruleset, fact):
        """True when ``fact`` (a flat dict of strings and numbers) satisfies ``ruleset``."""
        with self._lock:
            self._ensure_host()
            name = self._register(ruleset)
            fact_id = next(self._ids)
            message = dict(fact, id=fact_id, sid="0")
            before = len(self._hits)
            try:
                state = self._host.post(name, message)
            except MessageNotHandledException:
                return False
            except MessageObservedException as exc:
                raise EngineError(f"fact {fact_id} was seen twice") from exc
            except Exception as exc:
                raise EngineError(f"durable_rules failed on a fact: {exc}") from exc
            if isinstance(state, dict) and state.get("exception"):
                raise EngineError(f"rule action failed: {state['exception']}")
            matched = fact_id in self._hits[before:]
            del self._hits[before:]
            return matched


_engine = Engine()


def match(ruleset, fact):
    """Match with the process-wide engine (see ``Engine.match``)."""
    return _engine.match(ruleset, fact)


def to_fact(values, referenced):
    """A flat fact for durable_rules: each referenced field's value, normalised.

    Missing, None and empty values become "" (so "is empty" is ``{field: ""}``), booleans
    become 1/0, lists and dicts become JSON text.
    """
    fact = {}
    for field, name in referenced:
        value = lookup(values, field)
        if value is None or value == "" or value == [] or value == {}:
            value = ""
        elif isinstance(value, bool):
            value = int(value)
        elif isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        elif not isinstance(value, (int, float, str)):
            value = str(value)
        fact[name] = value
    return fact


def lookup(values, field):
    """``values["data"]["duration"]`` for ``data.duration``; None when any part is missing."""
    node = values
    for part in field.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
