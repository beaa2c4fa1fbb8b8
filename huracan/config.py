"""Every Huracan setting, read from ``HURACAN_*`` environment variables.

This is the only module that reads the environment. Everything else receives a :class:`Settings`
instance (usually from :func:`get_settings`), so tests build their own without touching ``os.environ``.

Units are in the names: ``*_s`` seconds, ``*_ms`` milliseconds, ``*_frac`` a fraction (0.1 = 10 %).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from huracan.errors import ConfigError
from huracan.redaction import redact


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
    exchange_timeout_ms: int = Field(
        default=10_000,
        gt=0,
        description="Total deadline of one HTTP request to the exchange (connect, headers and body), ms; "
        "also ccxt's per-read timeout.",
    )
    retry_attempts: int = Field(
        default=3, ge=0, description="Retries after the first attempt on transient exchange errors."
    )
    retry_base_delay_s: float = Field(default=1.0, ge=0, description="Delay before the first retry, s.")
    retry_backoff_factor: float = Field(default=2.0, ge=1, description="Delay multiplier per retry.")
    retry_max_delay_s: float = Field(default=60.0, ge=0, description="Cap on any single retry delay, s.")
    retry_jitter_frac: float = Field(
        default=0.1, ge=0, le=1, description="Random extra delay, up to this fraction of the delay."
    )
    quality_suite_path: Path | None = Field(
        default=None,
        description="The Great Expectations suite (JSON) of the data-quality gate. None means "
        "`expectations/candles.json` of the source checkout the `huracan` package is imported from.",
    )
    quality_min_coverage: float = Field(
        default=0.99,
        ge=0,
        le=1,
        description="Minimum coverage: candles present / candles expected on the timeframe grid in the "
        "validated range, a fraction (0.99 = 99 %). Critical.",
    )
    quality_max_gap_candles: int = Field(
        default=3, ge=0, description="Longest allowed run of consecutive missing candles, in candles. Critical."
    )
    quality_min_rows_training: int = Field(
        default=500, ge=1, description="Minimum number of candles in a range validated for training, rows."
    )
    quality_min_rows_live: int = Field(
        default=300,
        ge=1,
        description="Minimum number of candles in a range validated for live use, rows (at least the "
        "observation builder's lookback).",
    )
    quality_stale_after_candles: float = Field(
        default=2.0,
        ge=0,
        description="A series is stale when its last candle closed more than this many timeframes before "
        "the reference time (critical for live use, a warning for training), in candles.",
    )
    quality_outlier_window: int = Field(
        default=500,
        ge=2,
        description="Trailing window of the robust scale of log returns used by the outlier check, in candles.",
    )
    quality_outlier_mad_k: float = Field(
        default=10.0,
        gt=0,
        description="A candle is an outlier when |log return| exceeds this many robust standard deviations "
        "(1.4826 x median |log return| over the trailing window). A warning: crypto crashes are real.",
    )
    quality_outlier_min_log_return: float = Field(
        default=0.01,
        ge=0,
        description="Floor of the outlier threshold, an absolute log return (0.01 ~ a 1 % move); keeps "
        "flat stretches from flagging every small move.",
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "HURACAN_MLFLOW_TRACKING_URI", "mlflow_tracking_uri"),
        description="MLflow tracking URI (env `MLFLOW_TRACKING_URI`, or `HURACAN_MLFLOW_TRACKING_URI`). None "
        "means a SQLite file `mlflow.db` in `home`, with artifacts under `home/mlartifacts`.",
    )
    mlflow_ui_url: str = Field(
        default="http://localhost:5000",
        description="Base URL of the MLflow UI (`make mlflow-ui`) that the dashboard links runs and versions to.",
    )
    promote_max_drawdown_frac: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Promotion gate: largest maximum drawdown a challenger may have on the out-of-sample "
        "window, a fraction of peak equity (0.5 = 50 %).",
    )
    promote_min_sharpe_margin: float = Field(
        default=0.0,
        ge=0,
        description="Promotion gate: the challenger's Sharpe ratio must exceed the champion's, buy & hold's "
        "and flat's (0) by more than this (annualised Sharpe units; 0 means strictly greater).",
    )
    promote_min_shadow_ticks: int = Field(
        default=0,
        ge=0,
        description="Promotion gate: ticks the challenger must have traded on its shadow paper account, with a "
        "shadow Sharpe at least the champion's on paper, before it may be promoted; 0 (default) is off, so "
        "offline runs promote on backtests.",
    )
    doctor_symbols: str = Field(
        default="BTC/USDT",
        description="Comma-separated unified spot symbols `huracan doctor` checks (champion, fresh candles) "
        "on `live_timeframe`, e.g. `BTC/USDT,ETH/USDT`.",
    )
    doctor_min_free_disk_bytes: int = Field(
        default=1_073_741_824,
        ge=0,
        description="`huracan doctor` fails below this much free disk space where `home` lives, bytes "
        "(and warns below twice it).",
    )
    alert_urls: SecretStr | None = Field(
        default=None,
        description="Comma-separated Apprise URLs every alert goes to (e.g. `tgram://bot-token/chat-id`, "
        "`slack://...`, `json://host:port/path`); None: alerts go to the log only. Secret: never logged.",
    )
    # --- model watch (huracan/health/watch.py), measured at every live tick ----------------------------
    watch_enabled: bool = Field(
        default=True,
        description="Watch the model at every live tick (action distribution, feature drift, slippage) and "
        "alert when a threshold is crossed; false: the tick's health row is still recorded, unwatched.",
    )
    watch_window_candles: int = Field(
        default=168,
        ge=1,
        description="The live decisions compared with the backtest's actions are those of the last this many "
        "candles (168 on 1h: a week), in candles.",
    )
    watch_min_decisions: int = Field(
        default=24,
        ge=1,
        description="Fewer live decisions of the model than this in the window: no action distance is "
        "measured (too few to tell), in decisions.",
    )
    watch_action_max_tv: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Alert when the total variation distance between the live and the backtest's action "
        "distributions exceeds this, a fraction (0..1: half the summed absolute differences of the "
        "action frequencies); 0 switches the check off.",
    )
    watch_drift_max_frac: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="Alert when more than this fraction of the observation's market features lie outside "
        "their range over the model's training window, a fraction (0.25 = 25 %); 0 switches the check off.",
    )
    watch_fills: int = Field(
        default=20, ge=1, description="The slippage check compares the account's last this many taker fills."
    )
    watch_slippage_max_ratio: float = Field(
        default=3.0,
        ge=0,
        description="Alert when realised slippage (spread included) over the cost model's expected slippage "
        "of the same fills exceeds this ratio (1 = as modelled); 0 switches the check off.",
    )
    # --- execution and live trading ------------------------------------------------------------------
    execution: Literal["taker", "maker_first"] = Field(
        default="taker",
        description="How orders execute, in backtests (`--execution` overrides), the paper and the exchange "
        "broker: `taker` (market order at the next open) or `maker_first` (post-only limit at the best "
        "bid/ask, re-priced, then the fallback). See huracan/trading/execution_policy.py.",
    )
    execution_max_reprices: int = Field(
        default=2, ge=0, description="maker_first: re-prices of an unfilled limit order, one per candle."
    )
    execution_fallback: Literal["take", "skip"] = Field(
        default="take",
        description="maker_first: after the last re-price, `take` (market order) or `skip` (drop the order).",
    )
    live_timeframe: str = Field(
        default="1h",
        description="Timeframe the live DAG ticks on (its schedule: a minute after each candle closes).",
    )
    live_mode: Literal["paper", "live"] = Field(
        default="paper",
        description="Mode of the live DAG's scheduled ticks (its `mode` param's default): `paper`, or `live` "
        "(the champion trades on the exchange; needs `live_trading` and the keys as well).",
    )
    live_trading: bool = Field(
        default=False,
        description="Send real orders to the exchange. Off by default: every command and DAG trades on paper. "
        "Needs `exchange_api_key` and `exchange_secret` as well.",
    )
    exchange_api_key: SecretStr | None = Field(
        default=None, description="Exchange API key (live trading only). Never logged or stored."
    )
    exchange_secret: SecretStr | None = Field(
        default=None, description="Exchange API secret (live trading only). Never logged or stored."
    )
    # --- accounts and risk limits (huracan/risk/limits.py documents each limit) ---
    account_currency: str = Field(
        default="USDT", min_length=1, description="Quote currency of the accounts; every *_quote amount is in it."
    )
    paper_starting_equity_quote: float = Field(
        default=100_000.0, gt=0, description="Cash a new paper account starts with, quote currency."
    )
    risk_max_position_quote: float = Field(
        default=5_000.0, gt=0, description="Largest position per symbol, notional at the order's price, quote."
    )
    risk_daily_loss_limit_quote: float = Field(
        default=500.0,
        gt=0,
        description="Loss of a UTC day (equity now minus equity at the day's first snapshot) after which only "
        "reducing orders pass until the next UTC day, quote.",
    )
    risk_max_heat_frac: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="Largest portfolio heat: open position notionals over account equity, a fraction (0.15 = 15 %).",
    )
    risk_breaker_loss_quote: float = Field(
        default=1_000.0,
        gt=0,
        description="Circuit breaker: equity at or below the high-water mark minus this halts new exposure until "
        "`huracan risk reset`, quote.",
    )
    risk_daily_profit_target_quote: float = Field(
        default=1_000.0,
        ge=0,
        description="Profit of a UTC day after which only reducing orders pass until the next UTC day, quote; "
        "0 switches it off.",
    )
    risk_max_order_notional_quote: float = Field(
        default=5_000.0, gt=0, description="Largest notional of one buy, quote."
    )
    risk_min_order_notional_quote: float = Field(
        default=10.0, ge=0, description="A buy resized below this notional is denied, quote."
    )
    risk_price_band_frac: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="An order's price must lie within this fraction of the last close, a fraction (0.05 = 5 %).",
    )
    risk_stale_after_ms: int = Field(
        default=7_200_000,
        gt=0,
        description="No order when the newest candle the decision saw closed more than this long ago, ms.",
    )
    risk_flatten_on_breaker: bool = Field(
        default=False, description="When the breaker trips, tell the caller to close every position."
    )

    @field_validator("live_timeframe")
    @classmethod
    def _check_live_timeframe(cls, value: str) -> str:
        from huracan.timeframes import TIMEFRAME_MS

        if value not in TIMEFRAME_MS:
            raise ValueError(f"HURACAN_LIVE_TIMEFRAME must be one of {', '.join(TIMEFRAME_MS)}, got {value!r}")
        return value

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        home = value.expanduser().resolve()
        if home.exists() and not home.is_dir():
            raise ValueError("is a file, not a directory")
        return home

    @field_validator("exchange_url")
    @classmethod
    def _check_exchange_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _default_db_url(self) -> Settings:
        if self.db_url is None:
            object.__setattr__(self, "db_url", f"sqlite:///{self.home / 'huracan.db'}")
        return self

    @model_validator(mode="after")
    def _default_mlflow_tracking_uri(self) -> Settings:
        if self.mlflow_tracking_uri in (None, ""):
            object.__setattr__(self, "mlflow_tracking_uri", f"sqlite:///{self.home / 'mlflow.db'}")
        return self

    @property
    def store_url(self) -> str:
        """The store's SQLAlchemy URL (never None after validation)."""
        return str(self.db_url)

    @property
    def mlflow_artifact_location(self) -> str:
        """Where MLflow experiments created by Huracan keep artifacts: ``home/mlartifacts`` as a file URI.

        Used only with a local tracking store (SQLite or a file path); an MLflow server decides itself.
        """
        return (self.home / "mlartifacts").as_uri()


def settings_error(exc: ValidationError) -> ConfigError:
    """One line per invalid setting, naming its environment variable, the value (redacted) and the rule."""
    problems = []
    for error in exc.errors():
        name = "_".join(str(part) for part in error["loc"]) or "settings"
        variable = name if name.isupper() else f"HURACAN_{name.upper()}"
        value = error.get("input")
        shown = f"={redact(str(value))!r}" if isinstance(value, str | int | float) else ""
        problems.append(f"{variable}{shown}: {error['msg'].removeprefix('Value error, ')}")
    return ConfigError("invalid setting: " + "; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, read once per process; :class:`ConfigError` names every invalid one."""
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc) from None
