"""The run summary names, per symbol, what happened; a failed symbol says nothing was registered."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from huracan.pipeline.run_record import RunRecord, TaskRecord
from huracan.pipeline.summary import render

T0 = datetime(2026, 6, 1, tzinfo=UTC)
JOB = {"exchange": "binance", "timeframe": "1d", "timesteps": 4096, "seeds": [0]}
METRICS = {
    "total_return": 0.25,
    "sharpe": 1.5,
    "max_drawdown": 0.1,
    "exposure": 0.4,
    "n_trades": 6.0,
    "costs_quote": 12.0,
}


def _task(task_id: str, index: int, state: str, result: object = None, second: int = 0) -> TaskRecord:
    start = T0 + timedelta(seconds=second)
    label = None if index < 0 else ["BTC/USDT", "ETH/USDT"][index]
    return TaskRecord(
        task_id,
        index,
        label,
        state,
        1 if state != "upstream_failed" else 0,
        1.0,
        result,
        start,
        start + timedelta(seconds=1),
    )


def _record() -> RunRecord:
    jobs = [{**JOB, "symbol": "BTC/USDT"}, {**JOB, "symbol": "ETH/USDT"}]
    download = {
        "rows": 1613,
        "first_ms": 1_640_995_200_000,
        "last_ms": 1_780_185_600_000,
        "fetched": 1613,
        "requests": 2,
        "holes": 0,
    }
    tasks = [
        _task("plan", -1, "success", jobs),
        _task("symbol.download", 0, "success", download, 1),
        _task("symbol.download", 1, "success", download, 1),
        _task("symbol.validate", 0, "success", {"coverage": 1.0, "rows": 1613, "warnings": [], "report_dir": "/r"}, 2),
        _task("symbol.validate", 1, "failed", None, 2),
        _task(
            "symbol.train",
            0,
            "success",
            {
                "seeds": [{"seed": 0, "validation_score": 0.8, "run_id": "r1"}],
                "elapsed_s": 5.0,
                "validation_metric": "sharpe",
                "registered": "seed 0",
                "validation_score": 0.8,
                "model_name": "huracan-BTC-USDT-1d",
                "version": "1",
            },
            3,
        ),
        _task(
            "symbol.backtest",
            0,
            "success",
            {
                "version": "1",
                "run_id": "r1",
                "plot": "/p.png",
                "model": METRICS,
                "baselines": {"buy_and_hold": {**METRICS, "sharpe": 0.5}},
                "window": {"start": "2025-10-01 00:00", "end": "2026-06-01 00:00", "decisions": 243},
            },
            8,
        ),
        _task(
            "symbol.promote",
            0,
            "success",
            {
                "model_name": "huracan-BTC-USDT-1d",
                "version": "1",
                "aliases": ["champion"],
                "decision": "promoted",
                "reason": "promoted: Sharpe 1.500 > buy & hold 0.500",
            },
            9,
        ),
    ] + [_task(f"symbol.{name}", 1, "upstream_failed") for name in ("train", "backtest", "promote")]
    return RunRecord("huracan_training", "manual__1", "failed", T0, T0, None, {}, tuple(tasks))


def test_summary_shows_each_symbol_and_the_failed_gate() -> None:
    out = io.StringIO()
    render(Console(file=out, width=160), _record(), settings=None, next_steps=[("make mlflow-ui", "the MLflow UI")])
    text = out.getvalue()
    assert "huracan_training: failed" in text
    assert "1,613 stored, 2022-01-01 .. 2026-05-31" in text
    assert "huracan-BTC-USDT-1d version 1, alias: champion" in text
    assert "promoted" in text and "buy & hold" in text and "+25.0%" in text
    assert "FAILED" in text and "nothing was trained or registered for this symbol" in text
    assert "make mlflow-ui" in text
    assert _record().duration_s == 10.0  # first task start to last task end


def test_a_rejection_says_what_would_have_been_needed_and_the_note_collects_the_lines() -> None:
    from dataclasses import replace

    from huracan.pipeline.summary import run_note

    rejected = {
        "model_name": "huracan-BTC-USDT-1d",
        "version": "1",
        "aliases": ["challenger"],
        "decision": "rejected",
        "verdict": "rejected",
        "reason": "rejected: Sharpe 0.410 <= buy & hold 0.550",
        "checks": [{"name": "beats_buy_and_hold", "passed": False, "detail": "Sharpe 0.410 <= buy & hold 0.550"}],
        "evidence": {"challenger_sharpe": 0.41, "buy_and_hold_sharpe": 0.55, "challenger_max_drawdown": 0.2},
        "thresholds": {"max_drawdown_frac": 0.5, "min_sharpe_margin": 0.0},
        "mlflow_url": "http://localhost:5000/#/models/huracan-BTC-USDT-1d/versions/1",
        "note": "- **BTC/USDT 1d** [v1](...): **rejected**",
    }
    record = _record()
    tasks = tuple(
        replace(t, result=rejected) if (t.task_id, t.map_index) == ("symbol.promote", 0) else t for t in record.tasks
    )
    record = replace(record, tasks=tasks)
    out = io.StringIO()
    render(Console(file=out, width=160), record, settings=None)
    text = out.getvalue()
    assert "Needed" in text and "Sharpe 0.41 needed > buy & hold's 0.55 (short by 0.14)" in text
    assert "http://localhost:5000/#/models/huracan-BTC-USDT-1d/versions/1" in text
    assert run_note(record) == "- **BTC/USDT 1d** [v1](...): **rejected**"
    assert run_note(_record()) == ""  # no promote task wrote a line
