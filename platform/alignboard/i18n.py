"""Languages: English and Simplified Chinese, chosen per user.

The choice is, in order: the session (set by the switcher), the logged-in person's saved
locale, the browser's Accept-Language, English. Flask-Admin ships its Chinese as
``zh_Hans_CN``; ``zh_CN`` maps to it. Babel parses ``zh_CN`` as ``zh_Hans_CN``, which is
why our own catalogue lives in ``translations/zh_Hans_CN`` too.
"""
from flask import current_app, has_request_context, request, session
from flask_babel import Babel, gettext
from flask_login import current_user

LOCALES = {"en": "English", "zh_CN": "中文"}

babel = Babel()


def select_locale():
    # Commands and the worker render text outside any request: they use the default.
    if not has_request_context():
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    code = session.get("locale")
    if code in LOCALES:
        return code
    if current_user and getattr(current_user, "is_authenticated", False) \
            and current_user.locale in LOCALES:
        return current_user.locale
    best = request.accept_languages.best_match(["en", "zh_CN", "zh"]) if request else None
    return "zh_CN" if best in ("zh_CN", "zh") else "en"


def say(text, **variables):
    """``text`` in the reader's language inside a request, plain English elsewhere.

    For refusals made in model and service code (imports, definitions, checks) that a page
    shows later: inside a request they follow the reader's language; the CLI, the worker and
    the tests that call the code directly get the English text, unchanged. Import it as
    ``_`` so that the catalogue extraction (and tests/test_i18n.py) sees every message.
    Placeholders are ``%(name)s`` and filled after translating, so the catalogue entry
    matches whatever the values are.
    """
    if has_request_context():
        return gettext(text, **variables)
    return text % variables if variables else text


def N_(text):
    """Marks a text for the catalogue without translating it here (Babel's N_ keyword)."""
    return text


# Colour names shown as words (badges, legends, refusals). CSS, data attributes and the
# API keep the English keys; only the word a person reads is translated.
COLOUR_NAMES = {"green": N_("green"), "amber": N_("amber"), "red": N_("red"),
                "blue": N_("blue"), "grey": N_("grey")}


class Phrase(str):
    """English text that remembers its catalogue template and values.

    It *is* the English string (the API, logs and comparisons see plain English), and a
    page shows it in the reader's language with the ``translated`` filter. For texts built
    in service code and shown both through the API and on pages, such as the explanation
    of a health colour. Mark the template with ``N_`` so the catalogue sees it; a value may
    itself be a Phrase and is translated with it.
    """

    def __new__(cls, template, **values):
        self = super().__new__(cls, template % values if values else template)
        self.template, self.values = template, values
        return self

    def translated(self):
        if not has_request_context():
            return str(self)
        values = {k: (v.translated() if isinstance(v, Phrase) else v)
                  for k, v in self.values.items()}
        return gettext(self.template, **values)


def translated(text):
    """Jinja filter: a Phrase in the reader's language; any other text as it is."""
    return text.translated() if isinstance(text, Phrase) else text


def colour_name(colour):
    """The word for ``colour`` in the reader's language (unknown colours as they are)."""
    if colour in COLOUR_NAMES:
        return say(COLOUR_NAMES[colour])
    return colour or ""


def init_app(app):
    # Flask-Admin's pages read app.extensions["babel"]: without Babel they answer 500.
    babel.init_app(app, locale_selector=select_locale)

    app.jinja_env.filters["colour_name"] = colour_name
    app.jinja_env.filters["translated"] = translated

    @app.context_processor
    def _locales():
        return {"LOCALES": LOCALES, "current_locale": select_locale()}
