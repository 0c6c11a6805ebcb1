"""Connector secrets: encrypted with a key derived from SECRET_KEY, masked for display."""
import pytest

from alignboard.connectors import secrets


def test_round_trip_and_ciphertext_hides_the_value():
    token = secrets.encrypt({"password": "hunter2-hunter2"}, "key-a")
    assert "hunter2" not in token
    assert secrets.decrypt(token, "key-a") == {"password": "hunter2-hunter2"}


def test_another_secret_key_cannot_read_them():
    token = secrets.encrypt({"password": "x"}, "key-a")
    with pytest.raises(secrets.SecretError, match="SECRET_KEY has changed"):
        secrets.decrypt(token, "key-b")


def test_mask_shows_only_the_end_of_long_values():
    assert secrets.mask("sk_live_abcdef1234") == "••••1234"
    assert secrets.mask("short") == "••••"
    assert secrets.mask("") == ""
