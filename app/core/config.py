"""Settings from environment variables prefixed SALESFLOW_ (and an optional .env file)."""

import re
from enum import StrEnum
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.i18n import Language

DEVELOPMENT_JWT_SECRET = "salesflow-development-secret-do-not-use-in-production"
DEVELOPMENT_WEBHOOK_KEY = "salesflow-development-webhook-key-do-not-use-in-production"

# The prefix of each document kind's business number (app/core/numbering.py), from the
# pinyin of its Chinese name: 合同 HeTong, 报价 BaoJia, 订单 DingDan, 发货 FaHuo,
# 应收 YingShou, 回款 HuiKuan, 红字 HongZi (credit notes), 投诉 TouSu, 计划 JiHua,
# 费用 FeiYong (expense budgets), 偏差 PianCha (deviation analyses), 拜访 BaiFang.
DEFAULT_NUMBER_PREFIXES = {
    "contract": "HT",
    "quote": "BJ",
    "order": "DD",
    "delivery": "FH",
    "receivable": "YS",
    "payment": "HK",
    "credit_note": "HZ",
    "complaint": "TS",
    "sales_plan": "JH",
    "expense_budget": "FY",
    "deviation_analysis": "PC",
    "visit": "BF",
}
# Upper-case letters and digits: a number reads the same on paper, in a URL and typed back
# into a search box in any case (searches are upper-cased), and the hyphens stay separators.
NUMBER_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,9}")


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SALESFLOW_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Environment = Environment.development
    database_url: str = "sqlite+aiosqlite:///./salesflow.db"
    # None means: migrate on start when the database is the embedded SQLite default.
    auto_migrate: bool | None = None
    # Connections kept open per worker process. Overflow connections beyond them are opened
    # for a burst and closed as soon as they are returned, each costing a new session and
    # its statements prepared again, so the pool is sized for the load and overflow is off.
    db_pool_size: int = Field(default=20, ge=1, le=200)
    db_max_overflow: int = Field(default=0, ge=0, le=200)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    db_echo: bool = False

    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_jwks_url: str | None = None
    jwt_jwks_cache_seconds: int = Field(default=600, ge=0)
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=600)

    idempotency_ttl_hours: int = Field(default=24, ge=1, le=24 * 30)
    # A complaint is acknowledged within this many working hours of the company calendar
    # (SPEC §3 Complaint: 24 h); past it, `complaint.ack_overdue` is announced once.
    complaint_ack_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Background work (audit sealing, approval SLA escalation, key expiry): in the API
    # process (None: only on the embedded SQLite default), else run `salesflow worker`.
    in_process_worker: bool | None = None
    worker_interval_seconds: float = Field(default=1.0, ge=0.1, le=3600)
    # The worker recomputes the whole audit chain this often (0: never), since
    # GET /audit-log/verify checks only what was sealed after its verified checkpoint.
    audit_full_check_hours: float = Field(default=24, ge=0, le=24 * 366)

    # Webhooks (SPEC §6). Signing secrets are stored encrypted with the first of these keys;
    # every key decrypts, so a new key can be put first and the old one kept until the
    # secrets are rotated.
    webhook_secrets_keys: list[SecretStr] = Field(
        default_factory=lambda: [SecretStr(DEVELOPMENT_WEBHOOK_KEY)], min_length=1)
    # Networks (CIDR) that webhook URLs may resolve into although they are not public.
    webhook_allowed_networks: list[str] = Field(default_factory=list)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Delay before each retry; after the last one a delivery fails for good (about a day).
    webhook_retry_schedule_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        min_length=1)
    webhook_disable_after_hours: float = Field(default=120, gt=0)
    webhook_poll_seconds: float = Field(default=0.2, gt=0, le=60)
    webhook_batch_size: int = Field(default=200, ge=1, le=5000)
    webhook_concurrency: int = Field(default=64, ge=1, le=1000)
    event_retention_days: int = Field(default=30, ge=1, le=3650)

    # Business numbers: a JSON object of document kind -> prefix, e.g.
    # SALESFLOW_NUMBER_PREFIXES='{"contract": "XSHT"}'; kinds left out keep their default.
    number_prefixes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_NUMBER_PREFIXES))

    # The language of problems and rendered messages when the caller's Accept-Language
    # names none the service speaks (zh-CN or en).
    default_language: Language = "zh-CN"

    log_level: str = "INFO"
    log_json: bool = True
    cors_origins: list[str] = Field(default_factory=list)

    # Request bodies above this are refused with 413 before anything reads them.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # The request line and headers together: a larger block is refused with 431, and the
    # server stops buffering an unfinished one at this size.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    # Prometheus metrics on their own port, away from the public API. Without one,
    # the API serves /metrics itself, but only in development and test.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "0.0.0.0"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_worker_in_process(self) -> bool:
        return self.is_sqlite if self.in_process_worker is None else self.in_process_worker

    @property
    def migrate_on_start(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    @property
    def metrics_on_api_port(self) -> bool:
        # In production the API port faces clients, who must not read its internals.
        return self.metrics_port is None and self.environment != Environment.production

    @field_validator("number_prefixes")
    @classmethod
    def _complete_prefixes(cls, given: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(given) - set(DEFAULT_NUMBER_PREFIXES))
        if unknown:
            raise ValueError(f"SALESFLOW_NUMBER_PREFIXES: unknown document kinds {unknown}; "
                             f"the kinds are {sorted(DEFAULT_NUMBER_PREFIXES)}")
        prefixes = {**DEFAULT_NUMBER_PREFIXES, **given}
        malformed = sorted(p for p in prefixes.values() if not NUMBER_PREFIX.fullmatch(p))
        if malformed:
            raise ValueError(f"SALESFLOW_NUMBER_PREFIXES: {malformed} must be 1 to 10 upper-case "
                             "letters or digits, starting with a letter")
        # Two kinds sharing a prefix would give two documents the same printed number.
        shared = sorted({p for p in prefixes.values() if list(prefixes.values()).count(p) > 1})
        if shared:
            raise ValueError(f"SALESFLOW_NUMBER_PREFIXES: {shared} used for more than one kind")
        return prefixes

    @model_validator(mode="after")
    def _refuse_development_secret(self) -> "Settings":
        # The development secret is public (it is in this file); outside development
        # a token signed with it would be a master key.
        dev_secret = self.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
        if self.environment != Environment.development and dev_secret and not self.jwt_jwks_url:
            raise ValueError(
                "SALESFLOW_JWT_SECRET is the development default; set a secret of your own "
                "(or SALESFLOW_JWT_JWKS_URL) outside SALESFLOW_ENVIRONMENT=development"
            )
        if not self.jwt_jwks_url and len(self.jwt_secret.get_secret_value()) < 32:
            raise ValueError("SALESFLOW_JWT_SECRET must be at least 32 characters")
        # Webhook signing secrets are stored encrypted with these keys: a published key
        # would leave them readable to anyone with a database copy.
        dev_key = any(k.get_secret_value() == DEVELOPMENT_WEBHOOK_KEY
                      for k in self.webhook_secrets_keys)
        if self.environment == Environment.production and dev_key:
            raise ValueError(
                "SALESFLOW_WEBHOOK_SECRETS_KEYS holds the development default; set keys of "
                'your own in production, e.g. \'["<openssl rand -hex 32>"]\'')
        if any(len(k.get_secret_value()) < 32 for k in self.webhook_secrets_keys):
            raise ValueError("each of SALESFLOW_WEBHOOK_SECRETS_KEYS must be at least 32 "
                             "characters")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
