"""``huracan trades record`` and ``huracan trades analyze``: the trade memory of a symbol.

Exit codes: 0 success, 1 failure (one line naming it), 2 bad usage.
"""

from __future__ import annotations

import json

import typer

from huracan.cli.common import console, reported_errors, symbol_option, timeframe_option
from huracan.clock import format_ms
from huracan.config import get_settings
from huracan.memory.analysis import analyze
from huracan.memory.gate_eval import walk_forward_gate
from huracan.memory.recording import record_from_fills
from huracan.memory.round_trips import SOURCES
from huracan.memory.store import TradeMemory
from huracan.series import SeriesKey

trades_app = typer.Typer(help="Trade memory: round trips from fills, and their win/loss analysis.")


def _source(value: str | None) -> str | None:
    if value is not None and value not in SOURCES:
        raise typer.BadParameter(f"must be one of {', '.join(SOURCES)}, got {value!r}", param_hint="--source")
    return value


@trades_app.command("record")
def record(
    symbol: str = typer.Option(..., "--symbol", callback=symbol_option, help="Unified symbol, e.g. BTC/USDT."),
    timeframe: str = typer.Option("1h", "--timeframe", help="Candle timeframe of the trades."),
    source: str = typer.Option("paper", "--source", callback=_source, help="backtest, paper, live or shadow."),
    account: str | None = typer.Option(None, "--account", help="One account (default: every account)."),
) -> None:
    """Derive the closed round trips of SYMBOL from the stored fills and store them (repeatable)."""
    with reported_errors():
        settings = get_settings()
        key = SeriesKey(settings.exchange, symbol, str(timeframe_option(timeframe)))
        trips = record_from_fills(settings.store_url, key, source, account)
    console.print(f"recorded {len(trips)} round trip(s) of {symbol}")


def _fmt(value: object) -> str:
    return "-" if value is None else f"{value:,.4f}" if isinstance(value, float) else str(value)


@trades_app.command("analyze")
def analyze_command(
    symbol: str = typer.Option(..., "--symbol", callback=symbol_option, help="Unified symbol, e.g. BTC/USDT."),
    timeframe: str | None = typer.Option(None, "--timeframe", help="Only trades of this timeframe."),
    source: str | None = typer.Option(None, "--source", callback=_source, help="backtest, paper, live or shadow."),
    as_json: bool = typer.Option(False, "--json", help="Print the analysis as JSON."),
) -> None:
    """Win rate, profit factor, expectancy, by regime, holding time and model, and the biggest losers."""
    with reported_errors():
        settings = get_settings()
        trips = TradeMemory.open(settings.store_url).trips(symbol, timeframe, source)
    result = analyze(trips)
    if as_json:
        console.print_json(json.dumps(result))
        return
    if not trips:
        console.print(f"no round trips of {symbol} in the trade memory (`huracan trades record` first)")
        return
    overall = result["overall"]
    console.print(f"{symbol}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in overall.items()))
    for section in ("by_regime", "by_holding_time", "by_model_version"):
        console.print(section.replace("_", " ") + ":")
        for label, numbers in result[section].items():
            console.print(
                f"  {label}: {numbers['trades']} trades, win rate {_fmt(numbers['win_rate'])}, "
                f"expectancy {_fmt(numbers['expectancy_quote'])} quote"
            )
    console.print("biggest losers:")
    for loser in result["biggest_losers"]:
        unusual = ", ".join(f"{u['feature']} z={u['z']:+.1f}" for u in loser["unusual_at_entry"]) or "-"
        console.print(
            f"  {format_ms(loser['entry_ms'])} {loser['account']}: {loser['profit_quote']:,.2f} quote "
            f"({loser['profit_frac']:+.2%}); unusual at entry: {unusual}"
        )


@trades_app.command("gate")
def gate_command(
    symbol: str = typer.Option(..., "--symbol", callback=symbol_option, help="Unified symbol, e.g. BTC/USDT."),
    timeframe: str | None = typer.Option(None, "--timeframe", help="Only trades of this timeframe."),
    source: str | None = typer.Option(None, "--source", callback=_source, help="backtest, paper, live or shadow."),
    account: str | None = typer.Option(None, "--account", help="One account, e.g. backtest:<model>/<version>."),
    k: int = typer.Option(10, "--k", min=1, help="Neighbours the gate looks at."),
    as_json: bool = typer.Option(False, "--json", help="Print the measurement as JSON."),
) -> None:
    """Walk-forward effect of the similar-trades gate on the stored trades (each judged by the trades that
    had closed before it opened): Sharpe and return without and with it."""
    with reported_errors():
        settings = get_settings()
        trips = TradeMemory.open(settings.store_url).trips(symbol, timeframe, source)
        kept = [t for t in trips if t.entry_obs is not None and account in (None, t.account)]
        result = {"symbol": symbol, "k": k, **walk_forward_gate(kept, k=k).as_json()}
    if as_json:
        console.print_json(json.dumps(result))
        return
    off, on = result["without_gate"], result["with_gate"]
    console.print(
        f"{symbol}: {result['trades']} trades, {result['judged']} judged, {result['skipped']} skipped "
        f"({result['skipped_winners']} of them winners)"
    )
    console.print(f"  without the gate: Sharpe {off['sharpe']:.2f}, return {off['total_return']:+.2%}")
    console.print(f"  with the gate:    Sharpe {on['sharpe']:.2f}, return {on['total_return']:+.2%}")


def register(app: typer.Typer) -> None:
    """Add the ``trades`` group to ``app``."""
    app.add_typer(trades_app, name="trades")
