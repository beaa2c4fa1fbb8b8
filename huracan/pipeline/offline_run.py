"""``make run``: the daily training DAG, then the live DAG, end to end, offline, on embedded defaults.

1. sets up the project-local Airflow (``.airflow/``: SQLite, no examples, this checkout's ``dags/`` and
   ``plugins/``; see :mod:`huracan.pipeline.local_airflow`) and runs ``airflow db migrate``;
2. starts the loopback Binance emulator (``huracan emulator --market planted``: the seeded simulated
   market with strong, persistent trends planted in it, a regularity a few minutes of training learns)
   in the background on a free port and points ``HURACAN_EXCHANGE_URL`` at it;
3. runs ``airflow dags test huracan_training <today 00:00 UTC> --conf <OFFLINE_CONF>``: one DAG run,
   in-process, no scheduler. Its log goes to ``.airflow/logs/make-run/``; one line per finished task is
   printed meanwhile;
4. runs ``airflow dags test huracan_live <now> --conf {"symbols": ..., "timeframe": "1d"}``: one live
   tick per symbol on the latest closed candle, paper mode (the champion decides, the challenger in
   shadow; without a champion the tick records that);
5. stops the emulator, replays the live tick over the model's test window (``huracan paper-run``: the
   paper account beside the backtest, candles held back from training) and prints the summary
   (:mod:`huracan.pipeline.summary`).

The run's logical date is today's midnight (UTC), as the ``@daily`` schedule would give it, so the
candles used end at the last daily candle closed at midnight: running it again the same day replaces
that day's DAG run, fetches no new candle and, with the same seeds, trains the same models.

Store, MLflow, reports and models live under ``HURACAN_HOME`` (``make`` sets ``./.huracan``).
Exit code: 0 when the DAG run succeeded, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.text import Text

from huracan.config import Settings, get_settings
from huracan.pipeline.local_airflow import airflow_command, airflow_env
from huracan.pipeline.run_record import RunRecord

DAG_ID = "huracan_training"
LIVE_DAG_ID = "huracan_live"
EMULATOR_SEED = 7
"""Seed of the emulator's simulated market used by ``make run``."""
EMULATOR_MARKET = "planted"
"""The emulator's market preset (``huracan emulator --market``): strong, persistent trends planted so
that a few minutes of training learn them and a newcomer sees the whole path to a champion (on the
``trending`` preset, seed 7's test window in late 2026 is a 90 % crash that the model loses less on
than buy & hold but still loses: rejected against flat). The promotion gate still judges the model out
of sample, unchanged; real markets are much harder (``docs/models.md``)."""
OFFLINE_CONF: dict[str, Any] = {
    "symbols": ["BTC/USDT"],
    "timeframe": "1d",
    "history_start": "2019-01-01",
    "timesteps": 100_000,
    "seeds": [0, 1, 2],
    "promote": True,
}
"""The DAG run config of ``make run``: sized to finish in a few minutes on 2 cores."""

_URL = re.compile(r"http://127\.0\.0\.1:\d+")
_STATE = re.compile(r"new_state=(\w+)")
_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")


class OfflineRunError(RuntimeError):
    """A step of the offline run (migration, emulator, Airflow) could not be carried out."""


def _start_emulator(
    env: Mapping[str, str], symbols: list[str], seed: int, market: str, log: IO[str]
) -> tuple[subprocess.Popen[str], str]:
    """Start ``huracan emulator`` on a free loopback port; return the process and its base URL."""
    command = [sys.executable, "-m", "huracan", "emulator", "--port", "0", "--seed", str(seed), "--market", market]
    for symbol in symbols:
        command += ["--symbol", symbol]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=log, text=True, env={**env, "PYTHONUNBUFFERED": "1"}
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    for line in process.stdout:
        log.write(line)
        if match := _URL.search(line):
            return process, match.group(0)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise OfflineRunError("the emulator did not start; see the log")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run_logged(
    command: list[str],
    env: Mapping[str, str],
    log: IO[str],
    console: Console | None = None,
    labels: Mapping[int, str] | None = None,
) -> int:
    """Run ``command``, appending its output to ``log``; with ``console``, print one line per finished task."""
    log.write(f"\n$ {' '.join(command)}\n")
    log.flush()
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(env))
    assert process.stdout is not None
    state = "?"
    for line in process.stdout:
        log.write(line)
        if console is None:
            continue
        if found := _STATE.search(line):
            state = found.group(1)
        elif found := _END.search(line):
            task_id, index = found.group(1), int(found.group(2))
            label = (labels or {}).get(index, "") if index >= 0 else ""
            style = {"success": "green", "failed": "red", "up_for_retry": "yellow"}.get(state, "")
            elapsed = time.monotonic() - started
            console.print(
                Text.assemble(
                    f"  {int(elapsed // 60):2d}:{int(elapsed % 60):02d}  ",
                    (f"{task_id:<18}", "bold"),
                    f"{label:<12}",
                    (state, style),
                ),
            )
            state = "?"
    return process.wait()


def _next_steps(settings: Settings, symbol: str, timeframe: str) -> list[tuple[str, str]]:
    return [
        (
            "make airflow-ui",
            "Airflow UI at http://localhost:8080 (this run, its task logs, trigger with other symbols)",
        ),
        ("make mlflow-ui", f"MLflow UI at http://127.0.0.1:5000 on {settings.mlflow_tracking_uri}"),
        (
            f".venv/bin/huracan compare -s {symbol} -t {timeframe}",
            "every registered version, its aliases and backtests",
        ),
        (
            f".venv/bin/huracan backtest -s {symbol} -t {timeframe} --model champion",
            "replay the champion (if any) against the baselines",
        ),
        ("make run", "again: no new candle today, same seeds, same numbers; tomorrow one more candle"),
    ]


@dataclass(frozen=True)
class OfflineRun:
    """What :func:`execute` did.

    :param record: the DAG run read back from Airflow (None when ``airflow dags test`` left no run).
    :param url: the emulator's base URL (stopped by now).
    :param log_path: the log of migrate, the emulator and ``airflow dags test``.
    :param migrate_s: wall time of ``airflow db migrate``, s.
    :param dag_test_s: wall time of ``airflow dags test`` (process start, DAG parsing, the run), s.
    :param total_s: wall time of everything, s.
    :param live: the live DAG's run read back (None when it left none).
    :param live_s: wall time of the live DAG's ``airflow dags test``, s.
    """

    record: RunRecord | None
    url: str
    log_path: Path
    migrate_s: float
    dag_test_s: float
    total_s: float
    live: RunRecord | None = None
    live_s: float = 0.0


def execute(
    conf: Mapping[str, Any] = OFFLINE_CONF,
    emulator_seed: int = EMULATOR_SEED,
    market: str = EMULATOR_MARKET,
    airflow_home: Path | None = None,
    console: Console | None = None,
) -> OfflineRun:
    """Migrate Airflow's database, start the emulator, run the DAG once, stop the emulator.

    :param conf: the DAG run config (the trigger form's params).
    :param emulator_seed: the simulated market's seed.
    :param market: the simulated market's preset (``default``, ``trending`` or ``planted``).
    :param airflow_home: Airflow home; None means ``<project>/.airflow``.
    :param console: where progress goes (default stdout).
    :raises OfflineRunError: the migration or the emulator failed.
    """
    from huracan.pipeline.run_record import read_run

    console = console or Console()
    env = airflow_env(os.environ, airflow_home)
    home = Path(env["AIRFLOW_HOME"])
    os.environ.update(env)  # this process reads the run back from Airflow's database afterwards
    logical_date = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    log_path = home / "logs" / "make-run" / f"{datetime.now(tz=UTC):%Y%m%dT%H%M%SZ}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    symbols = list(conf["symbols"])
    console.print(f"Airflow home {home}; Huracan home {get_settings().home}", highlight=False)
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        console.print("migrating Airflow's database ...")
        if _run_logged(airflow_command("db", "migrate"), env, log) != 0:
            raise OfflineRunError(f"airflow db migrate failed; see {log_path}")
        migrated = time.monotonic()
        emulator, url = _start_emulator(env, symbols, emulator_seed, market, log)
        try:
            console.print(
                f"exchange: the loopback Binance emulator at {url} ({market} simulated market, seed {emulator_seed})",
                highlight=False,
            )
            console.print(
                f"running {DAG_ID} for {logical_date:%Y-%m-%d} with {json.dumps(dict(conf))}", highlight=False
            )
            dag_started = time.monotonic()
            _run_logged(
                airflow_command("dags", "test", DAG_ID, logical_date.isoformat(), "--conf", json.dumps(dict(conf))),
                {**env, "HURACAN_EXCHANGE_URL": url},
                log,
                console,
                dict(enumerate(symbols)),
            )
            dag_done = time.monotonic()
            live_date = datetime.now(tz=UTC).replace(microsecond=0)
            live_conf = {"symbols": symbols, "timeframe": str(conf.get("timeframe", "1d"))}
            console.print(f"running {LIVE_DAG_ID} at {live_date:%Y-%m-%d %H:%M:%S} with {json.dumps(live_conf)}")
            _run_logged(
                airflow_command("dags", "test", LIVE_DAG_ID, live_date.isoformat(), "--conf", json.dumps(live_conf)),
                {**env, "HURACAN_EXCHANGE_URL": url},
                log,
                console,
                dict(enumerate(symbols)),
            )
            live_done = time.monotonic()
        finally:
            _stop(emulator)
    try:
        record: RunRecord | None = read_run(DAG_ID, logical_date=logical_date)
    except LookupError:
        record = None
    if record is not None:
        record = _with_note(record)
    try:
        live: RunRecord | None = read_run(LIVE_DAG_ID, logical_date=live_date)
    except LookupError:
        live = None
    return OfflineRun(
        record,
        url,
        log_path,
        migrated - started,
        dag_done - dag_started,
        time.monotonic() - started,
        live,
        live_done - dag_done,
    )


def _with_note(record: RunRecord) -> RunRecord:
    """``record`` with its note set from its promote tasks' lines: ``airflow dags test`` runs no API server,
    so the promote tasks could not set it themselves (their logs say so)."""
    from dataclasses import replace

    from huracan.pipeline.run_record import write_note
    from huracan.pipeline.summary import run_note

    note = run_note(record)
    if not note or note == record.note:
        return record
    write_note(record.dag_id, record.run_id, note)
    return replace(record, note=note)


def run(
    conf: Mapping[str, Any] = OFFLINE_CONF,
    emulator_seed: int = EMULATOR_SEED,
    market: str = EMULATOR_MARKET,
    airflow_home: Path | None = None,
    console: Console | None = None,
) -> int:
    """:func:`execute`, then print the summary; return 0 when the DAG run succeeded, 1 otherwise."""
    from huracan.pipeline.summary import render

    console = console or Console()
    settings = get_settings()
    console.rule("[bold]Huracan: the daily training DAG, then the live DAG, offline")
    try:
        done = execute(conf, emulator_seed, market, airflow_home, console)
    except OfflineRunError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        return 1
    if done.record is None:
        console.print(f"[red]airflow dags test left no run[/red]; see {done.log_path}", highlight=False)
        return 1
    render(
        console,
        done.record,
        settings,
        extra=[
            ("exchange", f"emulator ({market} simulated market, seed {emulator_seed}) at {done.url}, now stopped"),
            ("store", settings.store_url),
            ("MLflow", str(settings.mlflow_tracking_uri)),
            ("reports", str(settings.home / "reports")),
            ("log", str(done.log_path)),
            (
                "wall time",
                f"{done.total_s:.0f} s: Airflow migrate {done.migrate_s:.0f} s, "
                f"`airflow dags test` {done.dag_test_s:.0f} s, the live DAG {done.live_s:.0f} s",
            ),
            *live_lines(settings, done.live, list(conf["symbols"]), str(conf.get("timeframe", "1d"))),
        ],
        next_steps=_next_steps(settings, next(iter(conf["symbols"])), str(conf.get("timeframe", "1d"))),
    )
    live_ok = done.live is not None and done.live.state == "success"
    return 0 if done.record.state == "success" and live_ok else 1


def live_lines(settings: Settings, live: RunRecord | None, symbols: list[str], timeframe: str) -> list[tuple[str, str]]:
    """The live half of the summary: each symbol's tick (who decided what), then the paper account of the
    live tick replayed over the model's test window beside its backtest (``huracan paper-run``)."""
    from huracan.clock import format_ms
    from huracan.errors import HuracanError
    from huracan.live.decisions import DecisionStore
    from huracan.live.replay import paper_run
    from huracan.memory.recording import record_from_fills
    from huracan.registry.models import alias_ref
    from huracan.registry.naming import model_name
    from huracan.registry.tracking import configure_tracking
    from huracan.series import SeriesKey
    from huracan.timeframes import Timeframe

    lines = [("live DAG", "no run" if live is None else f"{live.state} ({len(live.tasks)} tasks)")]
    tf = Timeframe.parse(timeframe)
    decisions = DecisionStore.open(settings.store_url)
    client = configure_tracking(settings)
    for symbol in symbols:
        latest = decisions.history("paper", symbol, tf.name)
        if latest:
            d = latest[-1]
            what = d.note or f"{d.model_name} v{d.model_version}: action {d.action} (target {d.target_frac:.0%})" + (
                f", order {d.verdict}" if d.verdict else ", no order (level unchanged)"
            )
            lines.append((f"live tick {symbol}", f"{format_ms(d.decision_ms)}: {what}"))
        ref = alias_ref(client, model_name(symbol, tf), "champion") or alias_ref(
            client, model_name(symbol, tf), "challenger"
        )
        if ref is None:
            continue
        test = ref.window("test")
        role = "champion" if "champion" in ref.aliases else "challenger"
        try:
            replayed = paper_run(settings, client, symbol, tf, test.start_ms, test.end_ms, role)
        except HuracanError as exc:
            lines.append((f"paper-run {symbol}", f"failed: {exc}"))
            continue
        recorded = record_from_fills(
            settings.store_url, SeriesKey(settings.exchange, symbol, str(tf)), "paper", replayed.account
        )
        lines.append((f"trade memory {symbol}", f"{len(recorded)} round trip(s) (`huracan trades analyze`)"))
        paper, backtest = replayed.metrics, replayed.backtest.metrics
        lines.append(
            (
                f"paper-run {symbol}",
                f"{role} v{ref.version} over the test window, {len(replayed.levels):,} ticks: paper equity "
                f"{replayed.equity_quote[-1]:,.2f} ({paper['total_return']:+.2%}, Sharpe {paper['sharpe']:.2f}, "
                f"max drawdown {paper['max_drawdown']:.1%}, {paper['n_trades']:.0f} trades, fees {paper['costs_quote']:,.2f}); "
                f"backtest {backtest['total_return']:+.2%}, Sharpe {backtest['sharpe']:.2f}; "
                + ("identical bit for bit" if replayed.identical else "DIFFERENT from the backtest"),
            )
        )
    return lines


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
