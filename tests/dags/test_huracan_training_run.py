"""The training DAG end to end with ``dag.test()``, offline: the emulator in-process, a temporary home
(store, MLflow), a tiny training budget.

- a full run stores the candles, records a passing validation, logs an MLflow run with backtest
  metrics and registers a version with an alias; each series gets its asset event;
- a rerun of the same logical date fetches nothing and duplicates no candle; a retried train makes a
  new MLflow run and version, leaving the first one as it was;
- corrupted candles (a 10-day hole the exchange cannot fill) fail that symbol's validate task at the
  first try, with the report's summary as the error; nothing is trained or registered for it, while
  the other symbol carries on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from huracan.clock import parse_instant_ms
from huracan.config import Settings, get_settings
from huracan.data.candle_store import CandleStore, SeriesKey
from huracan.market.emulator import Emulator

pytestmark = pytest.mark.slow

CLOCK = "2026-06-01T00:30:00Z"  # the emulator's frozen clock: the 2026-05-31 daily candle has closed
LOGICAL_DATE = datetime(2026, 6, 1, tzinfo=UTC)  # after the DAG's start date
CONF = {
    "symbols": ["BTC/USDT"],
    "timeframe": "1d",
    "history_start": "2022-01-01",
    "timesteps": 4096,
    "seeds": [0],
    "promote": True,
}
RANGE = (parse_instant_ms("2022-01-01"), parse_instant_ms("2026-05-31"))
DAY_MS = 86_400_000
RERUN_ONLY_DATA = r"symbol\.(train|backtest|promote)"


@dataclass
class Offline:
    """A temporary Huracan home wired to an in-process emulator."""

    home: Path
    emulator: Emulator
    settings: Settings

    def candles(self, symbol: str) -> int:
        bounds = CandleStore.open(self.settings.store_url).bounds(SeriesKey("binance", symbol, "1d"), *RANGE)
        return bounds.count if bounds else 0

    def mlflow(self) -> Any:
        from huracan.registry.tracking import configure_tracking

        return configure_tracking(self.settings)


def _offline(home: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Offline:
    monkeypatch.setenv("HURACAN_HOME", str(home))
    monkeypatch.setenv("HURACAN_EXCHANGE_URL", emulator.url)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    monkeypatch.setenv("HURACAN_RETRY_BASE_DELAY_S", "0.01")
    monkeypatch.delenv("HURACAN_DB_URL", raising=False)
    get_settings.cache_clear()
    return Offline(home, emulator, get_settings())


@pytest.fixture(scope="module")
def first_run(
    airflow_db: Path, training_dag: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Offline, Any]]:
    """One full DAG run for BTC/USDT; the module's tests inspect it (and rerun it)."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        Emulator(seed=3, symbols=("BTC/USDT",), clock_ms=parse_instant_ms(CLOCK)) as emulator,
    ):
        offline = _offline(tmp_path_factory.mktemp("huracan"), monkeypatch, emulator)
        run = training_dag.test(logical_date=LOGICAL_DATE, run_conf=CONF)
        yield offline, run
    get_settings.cache_clear()


def _states(run_id: str) -> dict[tuple[str, int], tuple[str | None, int]]:
    from huracan.pipeline.run_record import read_run

    record = read_run("huracan_training", run_id=run_id)
    return {(t.task_id, t.map_index): (t.state, t.try_number) for t in record.tasks}


def test_full_run_downloads_validates_trains_backtests_and_registers(first_run: tuple[Offline, Any]) -> None:
    from huracan.quality import latest_validation
    from huracan.registry.naming import model_name

    offline, run = first_run
    assert run.state == "success", _states(run.run_id)
    expected = (RANGE[1] - RANGE[0]) // DAY_MS + 1
    assert offline.candles("BTC/USDT") == expected
    record = latest_validation(offline.settings, SeriesKey("binance", "BTC/USDT", "1d"))
    assert record is not None and record.success
    assert (record.start_ms, record.end_ms, record.rows) == (*RANGE, expected)

    client = offline.mlflow()
    versions = client.search_model_versions(f"name = '{model_name('BTC/USDT', '1d')}'")
    assert len(versions) == 1
    version = client.get_model_version(versions[0].name, versions[0].version)  # search leaves aliases out
    assert set(version.aliases) & {"champion", "challenger"}
    metrics = client.get_run(version.run_id).data.metrics
    assert {"backtest/sharpe", "backtest/total_return", "backtest/buy_and_hold/sharpe"} <= set(metrics)


def test_full_run_emits_one_asset_event_per_series_and_model(first_run: tuple[Offline, Any]) -> None:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    offline, run = first_run
    with create_session() as session:
        events = {
            uri: extra
            for uri, extra in session.execute(
                select(AssetModel.uri, AssetEvent.extra)
                .join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
                .where(AssetEvent.source_run_id == run.run_id)
            )
        }
    candles = events["x-huracan://candles/binance/BTC-USDT/1d"]
    assert candles["rows"] == offline.candles("BTC/USDT")
    model = events["x-huracan://models/huracan-BTC-USDT-1d"]
    assert model["version"] == "1" and model["aliases"]


def test_full_run_names_its_mlflow_runs_and_gives_the_run_note_its_line(first_run: tuple[Offline, Any]) -> None:
    from huracan.pipeline.run_record import read_run

    offline, run = first_run
    record = read_run("huracan_training", run_id=run.run_id)
    trained, promoted = record.task("symbol.train", 0), record.task("symbol.promote", 0)
    assert trained is not None and promoted is not None and promoted.result is not None
    client = offline.mlflow()
    assert client.get_run(trained.result["group_run_id"]).info.run_name == "BTC-USDT 1d v1 · manual · 2026-06-01T00:00Z"
    assert client.get_run(trained.result["run_id"]).info.run_name == (
        "BTC-USDT 1d v1 · seed 0 · manual · 2026-06-01T00:00Z"
    )
    note = promoted.result["note"]
    assert note.startswith("- **BTC/USDT 1d** [v1](http://localhost:5000/#/models/huracan-BTC-USDT-1d/versions/1): ")
    assert f"**{promoted.result['decision']}**" in note and "test 2025-" in note and "max drawdown" in note


def test_a_retried_train_makes_a_new_run_and_version(first_run: tuple[Offline, Any]) -> None:
    from huracan.pipeline import tasks
    from huracan.pipeline.run_record import read_run

    offline, run = first_run
    record = read_run("huracan_training", run_id=run.run_id)
    job, first = record.jobs()[0], record.task("symbol.train", 0)
    assert first is not None and first.result is not None
    with pytest.MonkeyPatch.context() as monkeypatch:
        _offline(offline.home, monkeypatch, offline.emulator)
        again = tasks.train(job, {})  # what Airflow's retry of the task runs
    get_settings.cache_clear()
    assert again["group_run_id"] != first.result["group_run_id"]
    # the same seeds on the same candles train the same weights: no second version, the first judged again
    assert again["version"] == first.result["version"] and again["reused"] and not first.result["reused"]
    client = offline.mlflow()
    assert client.get_run(first.result["group_run_id"]).info.status == "FINISHED"  # untouched by the retry
    assert client.get_run(again["group_run_id"]).data.tags["airflow.run_id"] == run.run_id


def test_rerun_of_the_same_logical_date_duplicates_no_candle(first_run: tuple[Offline, Any], training_dag: Any) -> None:
    # last of the tests on first_run: rerunning its logical date replaces that DAG run
    from huracan.pipeline.run_record import read_run

    offline, _ = first_run
    before = offline.candles("BTC/USDT")
    requests_before = offline.emulator.request_count("/api/v3/klines")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _offline(offline.home, monkeypatch, offline.emulator)
        run = training_dag.test(logical_date=LOGICAL_DATE, run_conf=CONF, mark_success_pattern=RERUN_ONLY_DATA)
    get_settings.cache_clear()
    assert run.state == "success"
    assert offline.candles("BTC/USDT") == before
    downloaded = read_run("huracan_training", run_id=run.run_id).task("symbol.download", 0)
    assert downloaded is not None and downloaded.result["fetched"] == 0 and downloaded.result["rows"] == before
    assert offline.emulator.request_count("/api/v3/klines") - requests_before == 1  # one probe, nothing new


def test_corrupted_candles_fail_validate_and_register_nothing_for_that_symbol(
    airflow_db: Path, training_dag: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from huracan.quality import latest_validation
    from huracan.registry.naming import model_name

    hole = [parse_instant_ms("2025-03-01") + day * DAY_MS for day in range(10)]
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        Emulator(seed=3, symbols=("BTC/USDT", "ETH/USDT"), clock_ms=parse_instant_ms(CLOCK)) as emulator,
    ):
        emulator.add_holes("BTC/USDT", "1d", hole)
        offline = _offline(tmp_path / "huracan", monkeypatch, emulator)
        run = training_dag.test(
            logical_date=datetime(2026, 6, 2, tzinfo=UTC), run_conf={**CONF, "symbols": ["BTC/USDT", "ETH/USDT"]}
        )
    get_settings.cache_clear()
    output = capfd.readouterr()

    states = _states(run.run_id)
    assert run.state == "failed"
    assert states[("symbol.validate", 0)] == ("failed", 1)  # no retry: bad data does not heal
    for name in ("train", "backtest", "promote"):
        assert states[(f"symbol.{name}", 0)][0] == "upstream_failed"
        assert states[(f"symbol.{name}", 1)][0] == "success"  # ETH/USDT carried on
    record = latest_validation(offline.settings, SeriesKey("binance", "BTC/USDT", "1d"))
    assert record is not None and not record.success
    assert "failed the data-quality gate" in output.out + output.err  # the report's summary is the error
    client = offline.mlflow()
    assert client.search_model_versions(f"name = '{model_name('BTC/USDT', '1d')}'") == []
    assert len(client.search_model_versions(f"name = '{model_name('ETH/USDT', '1d')}'")) == 1
