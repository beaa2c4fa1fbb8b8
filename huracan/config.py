"""Every Huracan setting, read from ``HURACAN_*`` environment variables.

This is the only module that reads the environment. Everything else receives a :class:`Settings`
instance (usually from :func:`get_settings`), so tests build their own without touching ``os.environ``.

Units are in the names: ``*_s`` seconds, ``*_ms`` milliseconds, ``*_frac`` a fraction (0.1 = 10 %).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".huracan"


class Settings(BaseSettings):
    """Huracan's configuration. Each field maps to the env var ``HURACAN_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="HURACAN_", frozen=True, extra="ignore")

    home: Path = Field(
        default_factory=_default_home,
        description="Directory for the embedded database, reports, models and logs. Made absolute.",
    )
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store. None means a SQLite file `huracan.db` in `home`.",
    )
    exchange: str = Field(default="binance", description="ccxt exchange id.")
    exchange_url: str | None = Field(
        default=None,
        description="Base URL (e.g. http://127.0.0.1:8765) replacing the origin of every REST URL of the "
        "ccxt exchange; used to point ccxt at the loopback emulator. None means the real exchange.",
    )
    exchange_timeout_ms: int = Field(default=10_000, gt=0, description="ccxt HTTP timeout per request, ms.")
    retry_attempts: int = Field(
        default=3, ge=0, description="Retries after the first attempt on transient exchange errors."
    )
    retry_base_delay_s: float = Field(default=1.0, ge=0, description="Delay before the first retry, s.")
    retry_backoff_factor: float = Field(default=2.0, ge=1, description="Delay multiplier per retry.")
    retry_max_delay_s: float = Field(default=60.0, ge=0, description="Cap on any single retry delay, s.")
    retry_jitter_frac: float = Field(
        default=0.1, ge=0, le=1, description="Random extra delay, up to this fraction of the delay."
    )

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("exchange_url")
    @classmethod
    def _check_exchange_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"HURACAN_EXCHANGE_URL must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _default_db_url(self) -> Settings:
        if self.db_url is None:
            object.__setattr__(self, "db_url", f"sqlite:///{self.home / 'huracan.db'}")
        return self

    @property
    def store_url(self) -> str:
        """The store's SQLAlchemy URL (never None after validation)."""
        return str(self.db_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
