"""Connector secrets at rest: Fernet, with a key derived from the app's SECRET_KEY.

Tokens and passwords are stored encrypted and never sent back to a page or the API in full;
``mask`` shows enough to recognise a value. Changing SECRET_KEY makes the stored secrets
unreadable: ``decrypt`` then says so instead of handing out garbage.
"""
import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class SecretError(ValueError):
    """Stored secrets cannot be decrypted (SECRET_KEY changed or data damaged)."""


def _fernet(secret_key=None):
    key = (secret_key or current_app.config["SECRET_KEY"])
    if isinstance(key, str):
        key = key.encode()
    # HKDF turns a SECRET_KEY of any length into the 32 bytes Fernet wants; the info label
    # keeps this key distinct from any other key derived from the same secret.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"alignboard connector secrets").derive(key)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(values, secret_key=None):
    """A dict of secret settings -> one encrypted text (None for an empty dict)."""
    if not values:
        return None
    return _fernet(secret_key).encrypt(json.dumps(values).encode()).decode()


def decrypt(token, secret_key=None):
    """The text ``encrypt`` made -> the dict of secret settings."""
    if not token:
        return {}
    try:
        return json.loads(_fernet(secret_key).decrypt(token.encode()))
    except InvalidToken as exc:
        raise SecretError("the stored connector secrets cannot be decrypted: SECRET_KEY has "
                          "changed since they were saved; enter them again") from exc


def encrypt_text(text, secret_key=None):
    return _fernet(secret_key).encrypt(text.encode()).decode() if text else None


def decrypt_text(token, secret_key=None):
    if not token:
        return ""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretError("a stored secret cannot be decrypted: SECRET_KEY has changed") \
            from exc


def mask(value):
    """'sk_live_abcdef1234' -> '••••1234': recognisable, never the whole secret."""
    if not value:
        return ""
    value = str(value)
    return "••••" + (value[-4:] if len(value) >= 12 else "")
