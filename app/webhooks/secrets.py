"""Webhook signing secrets: Standard Webhooks format, encrypted at rest.

The signing secret must be readable again to sign each delivery, so it is encrypted
(not hashed) with keys from settings. Keys rotate the Fernet way: the first key seals,
every key opens, so a new key goes first while the old one stays until all secrets are
re-sealed (`SecretBox.reseal`).
"""

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.core.config import Settings

SIGNING_SECRET_PREFIX = "whsec_"
SIGNING_SECRET_BYTES = 32
MIN_KEY_LENGTH = 32
_NO_KEY_OPENS = ("no configured webhook secrets key opens this sealed secret "
                 "(check SALESFLOW_WEBHOOK_SECRETS_KEYS)")


class SecretKeyMismatch(RuntimeError):
    """No configured key opens a sealed secret: a key was removed too early, or it was
    sealed by another installation."""


def new_signing_secret() -> str:
    """A fresh "whsec_<base64>" secret as Standard Webhooks libraries expect it."""
    raw = secrets.token_bytes(SIGNING_SECRET_BYTES)
    return SIGNING_SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


class SecretBox:
    """Seals signing secrets for storage and opens them again for signing."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one webhook secrets key is required")
        if any(len(key) < MIN_KEY_LENGTH for key in keys):
            raise ValueError(f"each webhook secrets key must be at least {MIN_KEY_LENGTH} "
                             "characters")
        # Operators configure passphrases, Fernet wants 32 url-safe base64 bytes; a hash
        # of a long random string keeps its entropy (this is not a password KDF).
        self._fernet = MultiFernet([Fernet(_fernet_key(key)) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> "SecretBox":
        return cls([key.get_secret_value() for key in settings.webhook_secrets_keys])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except (InvalidToken, ValueError):
            raise SecretKeyMismatch(_NO_KEY_OPENS) from None

    def reseal(self, sealed: str) -> str:
        """The same secret sealed with the first key, for finishing a key rotation."""
        try:
            return self._fernet.rotate(sealed).decode("ascii")
        except (InvalidToken, ValueError):
            raise SecretKeyMismatch(_NO_KEY_OPENS) from None


def _fernet_key(key: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest())
