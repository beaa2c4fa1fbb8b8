"""The store's tables as SQLAlchemy Core objects, used for queries.

The schema itself is created and evolved only by the Alembic migrations in ``migrations/versions``;
this module must describe the schema those migrations produce.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: One row per candle. ``ts_ms`` is the candle's open time in ms UTC; prices in quote currency,
#: ``volume`` in base asset.
candles = Table(
    "candles",
    metadata,
    Column("exchange", String(32), primary_key=True),
    Column("symbol", String(32), primary_key=True),
    Column("timeframe", String(8), primary_key=True),
    Column("ts_ms", BigInteger, primary_key=True),
    Column("open", Float(53), nullable=False),
    Column("high", Float(53), nullable=False),
    Column("low", Float(53), nullable=False),
    Column("close", Float(53), nullable=False),
    Column("volume", Float(53), nullable=False),
)

#: One row per run of the data-quality gate on a series: the validated range of open times
#: ``[start_ms, end_ms]`` (ms UTC, both included), the purpose (``training`` or ``live``), whether no
#: critical check failed, coverage (a fraction), candles expected/present on the grid, rows read,
#: the longest gap (candles), the failed critical and warning check names (JSON lists), when it ran
#: (ms UTC), the folder holding its reports and the content fingerprint (SHA-256 hex, see
#: ``huracan.data.fingerprint.content_sha256``) of the candles it read (NULL before revision 0003).
validations = Table(
    "validations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exchange", String(32), nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("timeframe", String(8), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("coverage", Float(53), nullable=False),
    Column("expected", BigInteger, nullable=False),
    Column("present", BigInteger, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("longest_gap", BigInteger, nullable=False),
    Column("failures", Text, nullable=False),
    Column("warnings", Text, nullable=False),
    Column("validated_at_ms", BigInteger, nullable=False),
    Column("report_path", Text, nullable=True),
    Column("content_sha256", String(64), nullable=True),
    Index("ix_validations_series_latest", "exchange", "symbol", "timeframe", "purpose", "validated_at_ms", "id"),
)

#: The risk manager's state, one row per account (``huracan/risk/state.py``): trading state (``active``,
#: ``reducing``, ``halted``), its reason code and sentence, since when (ms UTC), the high-water mark, the UTC
#: day (its 00:00 in ms) with that day's first equity, and the latest equity and its time. Money in quote.
risk_state = Table(
    "risk_state",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("trading_state", String(16), nullable=False),
    Column("reason_code", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("since_ms", BigInteger, nullable=True),
    Column("high_water_quote", Float(53), nullable=True),
    Column("day_start_ms", BigInteger, nullable=True),
    Column("day_start_equity_quote", Float(53), nullable=True),
    Column("last_equity_quote", Float(53), nullable=True),
    Column("updated_ms", BigInteger, nullable=True),
)

#: Every risk decision: the intent (``intent_key`` = account|symbol|side|decision_ms|source, unique: a
#: retried check returns the recorded decision), the verdict (``approved``, ``resized``, ``denied``), the
#: approved quantity (base), the reasons (JSON list of ``{code, message}``), the trading state after, the
#: flatten instruction, and the snapshot's time (ms UTC) and equity (quote).
risk_decisions = Table(
    "risk_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("intent_key", String(255), nullable=False, unique=True),
    Column("account", String(64), nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty_base", Float(53), nullable=False),
    Column("price_quote", Float(53), nullable=False),
    Column("decision_ms", BigInteger, nullable=False),
    Column("data_close_ms", BigInteger, nullable=False),
    Column("source", String(128), nullable=False),
    Column("reduce_only", Boolean, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("approved_qty_base", Float(53), nullable=False),
    Column("reasons", Text, nullable=False),
    Column("state_after", String(16), nullable=False),
    Column("flatten", Boolean, nullable=False),
    Column("checked_ms", BigInteger, nullable=False),
    Column("equity_quote", Float(53), nullable=False),
    Index("ix_risk_decisions_account_checked", "account", "checked_ms", "id"),
)

#: Every change of an account's trading state (breaker trips, daily limits, new days, resets): when (ms
#: UTC), from and to which state, the reason code and sentence, who (``actor``: ``risk`` or the person who reset), and
#: the equity and high-water mark after (quote).
risk_events = Table(
    "risk_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("code", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("equity_quote", Float(53), nullable=True),
    Column("high_water_quote", Float(53), nullable=True),
    Index("ix_risk_events_account_at", "account", "at_ms", "id"),
)

#: Trading accounts: ``paper`` (the default), ``live`` (the exchange), ``shadow:<model>`` (a challenger's
#: paper account). ``cash_quote`` is cash not allocated to any symbol's book; ``starting_equity_quote``
#: what the account started with, quote currency ``currency``; ``created_ms`` ms UTC.
accounts = Table(
    "accounts",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("mode", String(8), nullable=False),
    Column("currency", String(16), nullable=False),
    Column("starting_equity_quote", Float(53), nullable=False),
    Column("cash_quote", Float(53), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

#: One book per account and symbol: the cash allocated to the symbol (``allocation_quote`` at opening,
#: then ``cash_quote`` as it trades) and the position (base), its cost basis (quote paid for the base held,
#: fees included, so the average entry is ``cost_basis_quote / position_base``), realised P&L and fees paid
#: (quote), the last mark (price quote, time ms UTC), the target exposure last asked for by a model (a fraction
#: of the book's equity; NULL before any), why trading it is halted (a reconciliation mismatch; NULL when it
#: is not) and the last change (ms UTC).
books = Table(
    "books",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("symbol", String(32), primary_key=True),
    Column("allocation_quote", Float(53), nullable=False),
    Column("cash_quote", Float(53), nullable=False),
    Column("position_base", Float(53), nullable=False),
    Column("cost_basis_quote", Float(53), nullable=False),
    Column("realised_pnl_quote", Float(53), nullable=False),
    Column("costs_quote", Float(53), nullable=False),
    Column("mark_quote", Float(53), nullable=True),
    Column("mark_ms", BigInteger, nullable=True),
    Column("target_frac", Float(53), nullable=True),
    Column("halted_reason", Text, nullable=True),
    Column("updated_ms", BigInteger, nullable=False),
)

#: Every order, keyed by its deterministic client order id (see ``huracan.execution.orders``); money in
#: quote, quantities in base, times ms UTC.
orders = Table(
    "orders",
    metadata,
    Column("client_order_id", String(36), primary_key=True),
    Column("account", String(64), nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(20), nullable=False),
    Column("decision_ms", BigInteger, nullable=False),
    Column("source", String(128), nullable=False),
    Column("target_frac", Float(53), nullable=True),
    Column("qty_base", Float(53), nullable=True),
    Column("limit_quote", Float(53), nullable=True),
    Column("reprices", Integer, nullable=False),
    Column("filled_base", Float(53), nullable=False),
    Column("avg_price_quote", Float(53), nullable=False),
    Column("fee_quote", Float(53), nullable=False),
    Column("cost_quote", Float(53), nullable=False),
    Column("exchange_order_id", String(64), nullable=True),
    Column("reason", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Index("ix_orders_account_symbol_status", "account", "symbol", "status"),
)

#: Every fill, keyed by its trade id (the exchange's, or ``<client order id>-<n>`` on paper), so a fill
#: is applied once however often it is reported.
fills = Table(
    "fills",
    metadata,
    Column("trade_id", String(64), primary_key=True),
    Column("client_order_id", String(36), nullable=False),
    Column("account", String(64), nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty_base", Float(53), nullable=False),
    Column("price_quote", Float(53), nullable=False),
    Column("reference_quote", Float(53), nullable=False),
    Column("fee_quote", Float(53), nullable=False),
    Column("cost_quote", Float(53), nullable=False),
    Column("maker", Boolean, nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Index("ix_fills_account_symbol_ts", "account", "symbol", "ts_ms"),
)

#: Every decision of a live tick or a replay, once per account, symbol, timeframe and decision time (the
#: close of the decision candle, ms UTC): the model (role ``champion``/``challenger``/``replay``, registered
#: name and version, URI), the SHA-256 of the observation, the action, the level held before, the target
#: exposure (fraction), the order's client id and the risk verdict with its reasons (when an order was
#: needed), a note (e.g. "no champion") and when it was recorded (ms UTC).
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("timeframe", String(8), nullable=False),
    Column("decision_ms", BigInteger, nullable=False),
    Column("role", String(16), nullable=False),
    Column("model_name", String(128), nullable=True),
    Column("model_version", String(16), nullable=True),
    Column("model_uri", Text, nullable=True),
    Column("obs_sha256", String(64), nullable=True),
    Column("action", Integer, nullable=True),
    Column("level_before", Integer, nullable=True),
    Column("target_frac", Float(53), nullable=True),
    Column("client_order_id", String(36), nullable=True),
    Column("verdict", String(16), nullable=True),
    Column("reasons", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("equity_quote", Float(53), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("account", "symbol", "timeframe", "decision_ms", name="uq_decisions_tick"),
)

#: Trade memory: one row per round trip of an account and symbol, once per entry time (ms UTC). ``source``
#: is ``backtest``, ``paper``, ``live`` or ``shadow``; prices, fees and profit in quote currency, quantity
#: in base asset; ``profit_frac``, ``mae_frac`` (maximum adverse excursion, <= 0) and ``mfe_frac``
#: (maximum favourable excursion, >= 0) are fractions of the entry price/notional; ``holding_ms`` is
#: exit minus entry; ``entry_obs`` is the entry observation as little-endian float32 bytes.
trade_memory = Table(
    "trade_memory",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("timeframe", String(8), nullable=False),
    Column("source", String(8), nullable=False),
    Column("model_name", String(128), nullable=True),
    Column("model_version", String(16), nullable=True),
    Column("entry_ms", BigInteger, nullable=False),
    Column("exit_ms", BigInteger, nullable=False),
    Column("entry_price_quote", Float(53), nullable=False),
    Column("exit_price_quote", Float(53), nullable=False),
    Column("qty_base", Float(53), nullable=False),
    Column("fees_quote", Float(53), nullable=False),
    Column("profit_quote", Float(53), nullable=False),
    Column("profit_frac", Float(53), nullable=False),
    Column("holding_ms", BigInteger, nullable=False),
    Column("mae_frac", Float(53), nullable=False),
    Column("mfe_frac", Float(53), nullable=False),
    Column("entry_obs", LargeBinary, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("account", "symbol", "entry_ms", name="uq_trade_memory_entry"),
    Index("ix_trade_memory_symbol_source", "symbol", "source"),
)

#: Every alert raised, once per event: its dedupe key (kind and what identifies the event), kind, title and
#: body (secrets redacted), when it was raised (ms UTC) and whether every configured URL took it (None: no
#: URL configured or not sent yet).
alerts = Table(
    "alerts",
    metadata,
    Column("dedupe_key", String(200), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("delivered", Boolean, nullable=True),
)

#: The health of every live tick, once per account, symbol, timeframe and decision time (the close of the
#: decision candle, ms UTC; a rerun overwrites the row): ``status`` (``ok``, ``failed``, ``stale`` or
#: ``no_model``), how long the tick took (``duration_ms``), the live data-quality summary and the error
#: (redacted; NULL when none), the model (registered name and version) and the model watch
#: (``huracan.health.watch``): how many recent live decisions were compared and the total variation distance
#: of their actions from the backtest's (a fraction, 0..1), the fraction of the observation's market
#: features outside the training range (0..1), how many recent fills were compared and their realised
#: over expected slippage (a ratio); NULL where not measured. ``recorded_ms`` is when it was written, ms UTC.
tick_health = Table(
    "tick_health",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("symbol", String(32), primary_key=True),
    Column("timeframe", String(8), primary_key=True),
    Column("decision_ms", BigInteger, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    Column("quality", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("model_name", String(128), nullable=True),
    Column("model_version", String(16), nullable=True),
    Column("live_decisions", Integer, nullable=True),
    Column("action_tv", Float(53), nullable=True),
    Column("drift_frac", Float(53), nullable=True),
    Column("fills", Integer, nullable=True),
    Column("slippage_ratio", Float(53), nullable=True),
    Column("recorded_ms", BigInteger, nullable=False),
    Index("ix_tick_health_series", "symbol", "timeframe", "decision_ms"),
)
