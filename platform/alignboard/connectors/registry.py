"""The connectors installed in this app, from every plugin's ``register_connectors``."""
import logging

from flask import current_app

from .. import plugins
from .base import Connector, ConnectorError

log = logging.getLogger(__name__)


def available(app=None):
    """``{key: connector class}`` of every loaded plugin; bad entries are skipped and logged."""
    app = app or current_app._get_current_object()
    found = {}
    for cls in plugins.current_for(app).call("register_connectors"):
        if not (isinstance(cls, type) and issubclass(cls, Connector) and cls.key):
            log.error("register_connectors returned %r: not a Connector subclass with a key",
                      cls)
            continue
        if cls.key in found:
            log.error("connector key %r registered twice (%s and %s); keeping the first",
                      cls.key, found[cls.key], cls)
            continue
        found[cls.key] = cls
    return found


def get(key, app=None):
    """The connector class for ``key``; ConnectorError if no installed plugin provides it."""
    cls = available(app).get(key)
    if cls is None:
        raise ConnectorError(f"no installed plugin provides the connector {key!r}: install it "
                             "(pip install ...) and restart, or check 'alignboard plugins'")
    return cls
