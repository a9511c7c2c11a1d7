"""Signing secrets: Standard Webhooks format, sealed at rest, keys that rotate."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.core.config import Settings
from app.webhooks.secrets import SecretBox, SecretKeyMismatch, new_signing_secret

OLD_KEY = "old-webhook-secrets-key-0123456789abcdef"
NEW_KEY = "new-webhook-secrets-key-fedcba9876543210"


def decoded(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"), validate=True)


class TestNewSigningSecret:
    def test_format(self) -> None:
        secret = new_signing_secret()
        assert secret.startswith("whsec_")
        assert len(decoded(secret)) == 32
        assert len(secret) == len("whsec_") + 44  # 32 bytes in padded base64

    def test_every_secret_is_new(self) -> None:
        secrets = [new_signing_secret() for _ in range(200)]
        assert len(set(secrets)) == 200
        assert len({decoded(s) for s in secrets}) == 200
        # 200 x 32 random bytes use (nearly) every byte value; a constant or a
        # counter would not.
        assert len(set(b"".join(decoded(s) for s in secrets))) > 240

    def test_standard_webhooks_signs_and_verifies_with_it(self) -> None:
        secret = new_signing_secret()
        payload = '{"type":"contract.approved","data":{"id":42}}'
        sent_at = datetime.now(UTC)
        signature = Webhook(secret).sign("msg_1", sent_at, payload)
        headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(sent_at.timestamp())),
                   "webhook-signature": signature}
        assert Webhook(secret).verify(payload, headers) == {
            "type": "contract.approved", "data": {"id": 42}}
        # The signature is HMAC-SHA256 over "id.timestamp.payload" keyed by the decoded
        # bytes, so any Standard Webhooks receiver computes the same.
        expected = hmac.new(decoded(secret), f"msg_1.{int(sent_at.timestamp())}.{payload}"
                            .encode(), hashlib.sha256).digest()
        assert signature == "v1," + base64.b64encode(expected).decode()
        with pytest.raises(WebhookVerificationError):
            Webhook(new_signing_secret()).verify(payload, headers)


class TestSealAndOpen:
    def test_round_trip(self) -> None:
        box = SecretBox([NEW_KEY])
        secret = new_signing_secret()
        assert box.open(box.seal(secret)) == secret

    def test_sealed_text_does_not_reveal_the_secret(self) -> None:
        box = SecretBox([NEW_KEY])
        secret = new_signing_secret()
        sealed = box.seal(secret)
        assert sealed.isascii()
        assert secret not in sealed
        assert secret.removeprefix("whsec_") not in sealed
        assert NEW_KEY not in sealed
        # A fresh IV each time: equal secrets do not look equal at rest.
        assert box.seal(secret) != sealed

    def test_tampered_or_foreign_text_is_refused(self) -> None:
        box = SecretBox([NEW_KEY])
        sealed = box.seal(new_signing_secret())
        tampered = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
        for bad in [tampered, sealed[:-4], "", "not sealed", "ü" * 12]:
            with pytest.raises(SecretKeyMismatch):
                box.open(bad)

    def test_key_derivation_is_sha256_of_the_key(self) -> None:
        # Stored secrets must stay readable: pin the derivation the data depends on.
        secret = new_signing_secret()
        fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(NEW_KEY.encode()).digest()))
        assert fernet.decrypt(SecretBox([NEW_KEY]).seal(secret)).decode() == secret
        assert SecretBox([NEW_KEY]).open(fernet.encrypt(secret.encode()).decode()) == secret


class TestKeyRotation:
    def test_new_key_first_opens_old_secrets_and_seals_with_the_new_key(self) -> None:
        secret = new_signing_secret()
        sealed_with_old = SecretBox([OLD_KEY]).seal(secret)
        rotating = SecretBox([NEW_KEY, OLD_KEY])
        assert rotating.open(sealed_with_old) == secret
        sealed_now = rotating.seal(secret)
        assert SecretBox([NEW_KEY]).open(sealed_now) == secret
        with pytest.raises(SecretKeyMismatch):
            SecretBox([OLD_KEY]).open(sealed_now)

    def test_old_secret_is_refused_once_the_old_key_is_gone(self) -> None:
        sealed_with_old = SecretBox([OLD_KEY]).seal(new_signing_secret())
        with pytest.raises(SecretKeyMismatch, match="SALESFLOW_WEBHOOK_SECRETS_KEYS") as exc:
            SecretBox([NEW_KEY]).open(sealed_with_old)
        assert OLD_KEY not in str(exc.value) and NEW_KEY not in str(exc.value)

    def test_reseal_moves_a_secret_to_the_new_key(self) -> None:
        secret = new_signing_secret()
        sealed_with_old = SecretBox([OLD_KEY]).seal(secret)
        resealed = SecretBox([NEW_KEY, OLD_KEY]).reseal(sealed_with_old)
        assert SecretBox([NEW_KEY]).open(resealed) == secret
        with pytest.raises(SecretKeyMismatch):
            SecretBox([NEW_KEY]).reseal(sealed_with_old)

    def test_from_settings_uses_the_configured_keys_in_order(self) -> None:
        settings = Settings(_env_file=None, environment="production",  # type: ignore[arg-type]
                            jwt_secret="x" * 40, webhook_secrets_keys=[NEW_KEY, OLD_KEY])
        box = SecretBox.from_settings(settings)
        secret = new_signing_secret()
        assert box.open(SecretBox([OLD_KEY]).seal(secret)) == secret
        assert SecretBox([NEW_KEY]).open(box.seal(secret)) == secret


class TestKeys:
    @pytest.mark.parametrize("keys", [["x" * 31], [NEW_KEY, "short"], [NEW_KEY, ""], []])
    def test_refused(self, keys: list[str]) -> None:
        with pytest.raises(ValueError, match="at least"):
            SecretBox(keys)

    def test_any_string_of_32_characters_is_a_key(self) -> None:
        for key in ["x" * 32, "ключ-для-секретов-вебхуков-0123456789", "a" * 500]:
            box = SecretBox([key])
            assert box.open(box.seal("whsec_abc")) == "whsec_abc"
