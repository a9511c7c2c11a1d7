import pytest
from pydantic import ValidationError

from app.core.config import DEVELOPMENT_JWT_SECRET, Settings


def test_development_secret_is_accepted_in_development():
    settings = Settings(_env_file=None, environment="development")
    assert settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET


@pytest.mark.parametrize("environment", ["production", "test"])
def test_development_secret_is_refused_elsewhere(environment):
    with pytest.raises(ValidationError, match="development default"):
        Settings(_env_file=None, environment=environment)


def test_short_secret_is_refused():
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(_env_file=None, environment="production", jwt_secret="short")


def test_jwks_needs_no_secret():
    settings = Settings(_env_file=None, environment="production",
                        jwt_jwks_url="https://idp.example/jwks.json",
                        webhook_secrets_keys=["k" * 40])
    assert settings.jwt_jwks_url


def test_production_refuses_the_development_webhook_key():
    with pytest.raises(ValidationError, match="WEBHOOK_SECRETS_KEYS"):
        Settings(_env_file=None, environment="production", jwt_secret="x" * 40)
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(_env_file=None, environment="production", jwt_secret="x" * 40,
                 webhook_secrets_keys=["short"])
    settings = Settings(_env_file=None, environment="production", jwt_secret="x" * 40,
                        webhook_secrets_keys=["n" * 40, "o" * 40])
    assert len(settings.webhook_secrets_keys) == 2


def test_embedded_default_migrates_on_start():
    assert Settings(_env_file=None).migrate_on_start is True
    postgres = Settings(_env_file=None, database_url="postgresql+asyncpg://u@h/db")
    assert postgres.migrate_on_start is False
