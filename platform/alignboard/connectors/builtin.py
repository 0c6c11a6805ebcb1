"""The connectors area's own plugin, registered through the same hooks as any other.

At startup it logs which connectors are installed, and names any connector key that two
plugins both claim (the second one is ignored by ``registry.available``).
"""
import logging

from ..hookspecs import hookimpl

log = logging.getLogger(__name__)


@hookimpl
def startup(app):
    from . import registry

    found = registry.available(app)
    log.info("connectors installed: %s", ", ".join(sorted(found)) or "none")
