"""Every plugin hook of Alignboard, in one place.

A plugin is a module (or object) with functions named like these hooks and decorated with
``alignboard.hookimpl``, registered under the ``alignboard`` entry-point group::

    [options.entry_points]
    alignboard =
        my_connector = my_package.plugin

Hooks named ``register_*`` return a list; Alignboard concatenates the lists of every
plugin. Built-in features are registered as plugins through these same hooks
(see ``alignboard.plugins.BUILTIN``).
"""
import pluggy

hookspec = pluggy.HookspecMarker("alignboard")
hookimpl = pluggy.HookimplMarker("alignboard")


@hookspec
def startup(app):
    """Called once when an app is created, after the database and the areas are set up.

    Arguments: ``app``, the Flask app. Returns nothing. Use it to check settings or warm
    caches; raising disables the plugin, the app still starts.
    """


@hookspec
def register_connectors():
    """Connectors this plugin provides.

    Returns a list of connector classes (see ``alignboard.connectors.base.Connector``): each
    has a unique ``key``, a ``title``, a marshmallow ``Settings`` schema for the connection
    form and the methods to pull or receive records: ``pull(settings, cursor)`` yielding
    ``Batch(rows, cursor)`` for pull connectors (``kind = "pull"``), ``receive(request,
    settings)`` returning rows for push connectors (``kind = "push"``). Settings marked
    ``metadata={"secret": True}`` are stored encrypted. A worked example is in the README
    ("Writing a connector").
    """


@hookspec
def register_channels():
    """Notification channels this plugin provides (e-mail, webhook, group robots...).

    Returns a list of channel classes (see ``alignboard.notify.channels.Channel``): each has
    a unique ``key``, a ``title``, a marshmallow ``Settings`` schema and ``send(message,
    recipients, settings)``.
    """


@hookspec
def register_field_types():
    """Form field types this plugin provides.

    Returns a list of field type classes (see ``alignboard.forms.fieldtypes.FieldType``): each
    has a unique ``key``, labels, and builds the marshmallow field that validates answers.
    """


@hookspec
def register_formula_functions():
    """Functions metric formulas may call.

    Returns a list of plain Python callables; each is available in formulas under its
    ``__name__``. They receive and return plain numbers or strings and must not touch I/O.
    An argument may be None (a metric without a value); an exception raised inside gives
    the metric no value and a note instead of a crash. Built-ins (``iif``, ``min``,
    ``max``, ``round``, ``coalesce``...) come from ``alignboard.metrics.functions``.
    """
