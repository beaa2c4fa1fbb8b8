"""Planning a DAG run: one job per symbol, the range ending at the last candle closed at the cutoff."""

from __future__ import annotations

import pytest

from huracan.clock import parse_instant_ms
from huracan.errors import ConfigError
from huracan.pipeline.jobs import SeriesJob, candle_asset_uri, model_asset_uri, plan_jobs

PARAMS = {
    "symbols": ["BTC/USDT", "ETH/USDT"],
    "timeframe": "1d",
    "history_start": "2021-01-01",
    "timesteps": 5000,
    "seeds": [0, 1],
    "promote": True,
}


def test_one_job_per_symbol_ending_at_the_last_candle_closed_at_the_cutoff() -> None:
    midnight = parse_instant_ms("2024-06-01")
    jobs = plan_jobs(PARAMS, midnight, "binance", "manual__x")
    assert [job.symbol for job in jobs] == ["BTC/USDT", "ETH/USDT"]
    job = jobs[0]
    assert job.since_ms == parse_instant_ms("2021-01-01")
    assert job.until_ms == parse_instant_ms("2024-05-31")  # closed exactly at midnight
    assert job.seeds == (0, 1) and job.timesteps == 5000 and job.promote and job.run_label == "manual__x"
    # later the same day, the same daily candle is still the last closed one: reruns use the same range
    assert plan_jobs(PARAMS, midnight + 13 * 3_600_000, "binance")[0].until_ms == job.until_ms
    hourly = plan_jobs({**PARAMS, "timeframe": "1h"}, midnight + 90 * 60_000, "binance")[0]
    assert hourly.until_ms == midnight  # the 00:00 candle closed at 01:00; the 01:00 one is still open


def test_job_round_trips_through_json_values() -> None:
    job = plan_jobs(PARAMS, parse_instant_ms("2024-06-01"), "binance")[0]
    data = job.to_dict()
    assert data["seeds"] == [0, 1]
    assert SeriesJob.from_dict(data) == job


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"symbols": []}, "symbols"),
        ({"symbols": "BTC/USDT"}, "symbols"),
        ({"symbols": ["btc-usdt"]}, "symbols"),
        ({"symbols": ["BTC/USDT", "BTC/USDT"]}, "more than once"),
        ({"timeframe": "2d"}, "timeframe"),
        ({"history_start": "yesterday"}, "history_start"),
        ({"history_start": "2024-07-01"}, "history_start"),
        ({"timesteps": 0}, "timesteps"),
        ({"seeds": []}, "seeds"),
        ({"seeds": [True]}, "seeds"),
        ({"promote": "yes"}, "promote"),
    ],
)
def test_bad_params_raise_naming_the_param(change: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        plan_jobs({**PARAMS, **change}, parse_instant_ms("2024-06-01"), "binance")


def test_asset_uris() -> None:
    assert candle_asset_uri("binance", "BTC/USDT", "1d") == "x-huracan://candles/binance/BTC-USDT/1d"
    assert model_asset_uri("huracan-BTC-USDT-1d") == "x-huracan://models/huracan-BTC-USDT-1d"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"symbols": ["btc/usdt"]},
            "param symbols: 'btc/usdt' is not a unified spot symbol: write BASE/QUOTE in capital",
        ),
        ({"timeframe": "2d"}, "param timeframe: unknown timeframe '2d'; supported: 1m"),
        ({"history_start": "2024-07-01"}, "closed at the run's cutoff (2024-06-01 00:00 UTC)"),
    ],
)
def test_bad_params_say_what_is_wrong_in_words_with_dates_not_epoch_ms(change: dict, words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        plan_jobs({**PARAMS, **change}, parse_instant_ms("2024-06-01"), "binance")
    assert words in str(raised.value)
