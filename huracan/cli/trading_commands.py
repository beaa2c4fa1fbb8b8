"""Trading subcommands: ``order`` (a manual order through the risk manager and the broker), ``positions``
and ``orders``. Paper is the default mode everywhere.

Exit codes: 0 done, 1 the order was denied or rejected (the reasons are printed) or a Huracan error, 2 bad
usage (including ``--mode live`` without ``HURACAN_LIVE_TRADING=true`` and keys).
"""

from __future__ import annotations

import getpass
import json

import typer
from rich.table import Table

from huracan.cli.common import console, err_console, reported_errors, timeframe_option
from huracan.clock import format_ms
from huracan.config import Settings, get_settings

MODES = ("paper", "live")


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "unknown"


def check_mode(settings: Settings, mode: str) -> str:
    """``mode`` if it may be used: ``paper`` always; ``live`` never without live trading switched on and
    keys (exit 2 naming what to set, never a key's value)."""
    from huracan.execution.live_mode import LiveTradingOff, require_live_mode

    if mode not in MODES:
        raise typer.BadParameter(f"must be paper or live, got {mode!r}", param_hint="--mode")
    if mode == "live":
        try:
            require_live_mode(settings)
        except LiveTradingOff as exc:
            raise typer.BadParameter(str(exc), param_hint="--mode") from exc
    return mode


def order(
    symbol: str = typer.Option(..., "--symbol", "-s", help="Unified symbol, e.g. BTC/USDT."),
    side: str = typer.Option(..., "--side", help="buy or sell."),
    quote: float = typer.Option(
        ..., "--quote", help="Amount in quote currency: a buy spends it, a sell sells that much."
    ),
    mode: str = typer.Option("paper", "--mode", help="paper (default) or live."),
    timeframe: str = typer.Option("1h", "--timeframe", "-t", help="Candles the order is priced on (the last close)."),
    as_json: bool = typer.Option(False, "--json", help="Print the order, the risk decision and the fill as JSON."),
) -> None:
    """A manual market order, like a forced entry: the latest candles are synced, the risk manager checks it
    at the last close, and the broker fills it at once (paper: the one cost model, taker; live: a market
    order on the exchange through ccxt, account ``live``)."""
    from huracan.errors import ReconciliationError
    from huracan.execution.exchange import ExchangeBroker
    from huracan.execution.latest import latest_closed
    from huracan.execution.paper import PaperBroker
    from huracan.health.alerts import alert_reconciliation
    from huracan.risk.intent import Side

    if side not in ("buy", "sell"):
        raise typer.BadParameter(f"must be buy or sell, got {side!r}", param_hint="--side")
    if not quote > 0:
        raise typer.BadParameter(f"must be an amount > 0, got {quote}", param_hint="--quote")
    tf = timeframe_option(timeframe)
    with reported_errors():
        settings = get_settings()
        check_mode(settings, mode)
        latest = latest_closed(settings, symbol, tf)
        broker = PaperBroker.from_settings(settings) if mode == "paper" else ExchangeBroker.from_settings(settings)
        try:
            placed = broker.order(symbol, Side(side), quote, latest.bar, latest.close_ms, latest.now_ms, _who())
        except ReconciliationError as exc:
            alert_reconciliation(settings, str(exc))
            raise
    assert placed.order is not None and placed.decision is not None  # order() always records both
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "order": placed.order.as_json(),
                    "decision": placed.decision.to_dict(),
                    "fill": None if placed.fill is None else placed.fill.as_json(),
                }
            )
        )
    else:
        console.print(f"risk: {placed.decision.describe()}", highlight=False, soft_wrap=True, markup=False)
        if placed.fill is not None:
            f = placed.fill
            console.print(
                f"{mode}: {f.side.value} {f.qty_base:.8g} {symbol} at {f.price_quote:,.2f} "
                f"(costs {f.cost_quote:,.2f}, fee {f.fee_quote:,.2f} {settings.account_currency}); "
                f"order {placed.order.client_order_id} {placed.order.status.value}",
                highlight=False,
            )
    if not placed.decision.passed:
        err_console.print(f"[red]denied:[/red] {placed.order.reason}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


def positions(
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the positions as JSON."),
) -> None:
    """Per account and symbol: quantity (base), average entry price, notional and unrealised P&L at the
    last mark (quote), realised P&L and fees paid."""
    from huracan.execution.store import ExecutionStore

    with reported_errors():
        settings = get_settings()
        store = ExecutionStore.open(settings.store_url)
        with store.transaction() as connection:
            books = store.books(connection, account)
            accounts = {a.account: a for a in store.accounts(connection)}
    rows = [
        {
            "account": b.account,
            "symbol": b.symbol,
            "currency": accounts[b.account].currency,
            "qty_base": b.position_base,
            "avg_entry_quote": b.avg_entry_quote,
            "mark_quote": b.mark_quote,
            "mark": None if b.mark_ms is None else format_ms(b.mark_ms),
            "notional_quote": b.notional_quote(),
            "unrealised_pnl_quote": b.unrealised_pnl_quote(),
            "realised_pnl_quote": b.realised_pnl_quote,
            "costs_quote": b.costs_quote,
            "cash_quote": b.cash_quote,
            "equity_quote": b.equity_quote(),
        }
        for b in books
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        console.print("no positions yet: `huracan order` or the live DAG opens them", highlight=False)
        return
    table = Table(title="positions", title_justify="left")
    for name in ("account", "symbol", "qty", "avg entry", "mark", "notional", "unrealised", "realised", "fees"):
        table.add_column(name, justify="left" if name in ("account", "symbol") else "right")
    for row in rows:
        table.add_row(
            str(row["account"]),
            str(row["symbol"]),
            f"{row['qty_base']:.8g}",
            "-" if row["avg_entry_quote"] is None else f"{row['avg_entry_quote']:,.2f}",
            "-" if row["mark_quote"] is None else f"{row['mark_quote']:,.2f}",
            f"{row['notional_quote']:,.2f}",
            f"{row['unrealised_pnl_quote']:+,.2f}",
            f"{row['realised_pnl_quote']:+,.2f}",
            f"{row['costs_quote']:,.2f}",
        )
    console.print(table)


def orders(
    symbol: str | None = typer.Option(None, "--symbol", "-s", help="Only this symbol."),
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account (default: all)."),
    limit: int = typer.Option(50, min=1, help="Newest orders shown."),
    as_json: bool = typer.Option(False, "--json", help="Print the orders as JSON."),
) -> None:
    """Orders, newest first: status, side, kind, quantity, fill price, costs and why (risk or exchange)."""
    from huracan.execution.store import ExecutionStore

    with reported_errors():
        settings = get_settings()
        store = ExecutionStore.open(settings.store_url)
        with store.transaction() as connection:
            found = store.orders(connection, account, symbol, limit=limit)
    if as_json:
        typer.echo(json.dumps([o.as_json() for o in found]))
        return
    if not found:
        console.print("no orders yet", highlight=False)
        return
    table = Table(title="orders", title_justify="left")
    for name in ("decided", "account", "symbol", "side", "kind", "status", "filled", "price", "costs", "reason"):
        table.add_column(name, justify="right" if name in ("filled", "price", "costs") else "left")
    for o in found:
        table.add_row(
            format_ms(o.decision_ms),
            o.account,
            o.symbol,
            o.side.value,
            o.kind.value,
            o.status.value,
            f"{o.filled_base:.8g}",
            f"{o.avg_price_quote:,.2f}" if o.filled_base else "-",
            f"{o.cost_quote:,.2f}",
            o.reason or "-",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("order")(order)
    app.command("positions")(positions)
    app.command("orders")(orders)
