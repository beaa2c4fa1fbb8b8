"""The simulated market: reproducible, prefix-consistent, valid candles with realistic stylized facts."""

from __future__ import annotations

import numpy as np
import pytest

from huracan.market.emulator.simulated import (
    CHUNK_CANDLES,
    SimulatedSeries,
    SimulationParams,
    default_start_price,
)
from huracan.timeframes import Timeframe

START_MS = 1_546_300_800_000  # 2019-01-01T00:00Z
YEAR_DAYS = 365


def _series(tf: str = "1h", seed: int = 0, symbol: str = "BTC/USDT", **kwargs: object) -> SimulatedSeries:
    return SimulatedSeries(seed, symbol, Timeframe.parse(tf), START_MS, **kwargs)  # type: ignore[arg-type]


def _log_returns(close: np.ndarray) -> np.ndarray:
    return np.diff(np.log(close))


def test_same_seed_symbol_timeframe_give_identical_candles() -> None:
    a = _series("1h", seed=7).columns(0, 5000)
    b = _series("1h", seed=7).columns(0, 5000)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize(("other_seed", "other_symbol"), [(8, "BTC/USDT"), (7, "ETH/USDT")])
def test_other_seed_or_symbol_gives_other_candles(other_seed: int, other_symbol: str) -> None:
    a = _series("1h", seed=7).columns(0, 1000)["close"]
    b = _series("1h", seed=other_seed, symbol=other_symbol).columns(0, 1000)["close"]
    assert not np.allclose(a / a[0], b / b[0])


def test_prefix_consistent_whatever_is_generated_first() -> None:
    """Candle i never depends on how far the series was generated or in which order chunks were asked."""
    walked = _series("1m", seed=3)
    sequential = [walked.chunk(c).close for c in range(4)]
    jumped = _series("1m", seed=3)
    np.testing.assert_array_equal(jumped.chunk(3).close, sequential[3])
    np.testing.assert_array_equal(jumped.chunk(1).close, sequential[1])
    across = _series("1m", seed=3).columns(CHUNK_CANDLES - 5, CHUNK_CANDLES + 5)["close"]
    np.testing.assert_array_equal(across, np.concatenate([sequential[0][-5:], sequential[1][:5]]))


@pytest.mark.parametrize("tf", ["1m", "5m", "1h", "4h", "1d"])
def test_candles_are_valid(tf: str) -> None:
    c = _series(tf, seed=11).columns(0, 2 * CHUNK_CANDLES if tf == "1m" else 20_000)
    o, h, lo, cl, v = c["open"], c["high"], c["low"], c["close"], c["volume"]
    assert np.all(lo > 0)
    assert np.all(lo <= np.minimum(o, cl))
    assert np.all(h >= np.maximum(o, cl))
    assert np.all(v >= 0)
    np.testing.assert_array_equal(o[1:], cl[:-1])  # open = previous close, across chunks too
    assert np.all(c["taker_base"] <= v) and np.all(c["trades"] >= 1)
    assert np.all((c["regime"] >= 0) & (c["regime"] <= 2))


def test_start_price() -> None:
    assert _series("1h").columns(0, 1)["open"][0] == pytest.approx(10_000.0)
    assert _series("1h", start_price=123.0).columns(0, 1)["open"][0] == pytest.approx(123.0)
    derived = default_start_price("FOO/BAR")
    assert derived == default_start_price("FOO/BAR") and 0.1 <= derived <= 1000
    assert _series("1h").origin_ms == START_MS
    assert SimulatedSeries(0, "BTC/USDT", Timeframe.parse("1d"), START_MS + 1).origin_ms == START_MS + 86_400_000


def test_bad_params_raise() -> None:
    with pytest.raises(ValueError, match="tail_dof"):
        SimulationParams(tail_dof=2.0)
    with pytest.raises(ValueError, match="transitions"):
        SimulationParams(transitions=((0.0, 0.5, 0.4), (0.5, 0.0, 0.5), (0.5, 0.5, 0.0)))
    with pytest.raises(ValueError, match="start_price"):
        _series("1h", start_price=0.0)


def test_fat_tails_volatility_clustering_and_volume() -> None:
    c = _series("1h", seed=5).columns(0, 3 * YEAR_DAYS * 24)
    r = _log_returns(c["close"])
    z = (r - r.mean()) / r.std()
    assert float(np.mean(z**4) - 3.0) > 1.0  # excess kurtosis: fatter tails than a normal
    a = np.abs(r) - np.abs(r).mean()
    for lag in (1, 24):
        assert float(np.dot(a[:-lag], a[lag:]) / np.dot(a, a)) > 0.05  # |returns| autocorrelated
    assert float(np.corrcoef(c["volume"][1:], np.abs(r))[0, 1]) > 0.3


def test_volatility_scales_with_sqrt_time() -> None:
    hourly = np.std(_log_returns(_series("1h", seed=2).columns(0, 3 * YEAR_DAYS * 24)["close"])) * np.sqrt(24)
    daily = np.std(_log_returns(_series("1d", seed=2).columns(0, 3 * YEAR_DAYS)["close"]))
    assert 0.7 < hourly / daily < 1.4
    assert 0.015 < daily < 0.05  # a few percent a day, like BTC


def test_regimes_persist_so_momentum_beats_buy_and_hold_net_of_fees() -> None:
    """The documented learnable regularity, on 1d candles over 3 years and 40 seeds.

    A rule that is long when the trailing ``k``-candle return is positive and flat otherwise, paying 0.1 %
    per position change, beats buy & hold on average; and the next return is higher after a rise.
    """
    k, fee_frac, days = 20, 0.001, 3 * YEAR_DAYS
    excess, after_up, after_down = [], [], []
    for seed in range(40):
        close = _series("1d", seed=seed).columns(0, days)["close"]
        r = _log_returns(close)
        trailing = np.log(close[k:-1] / close[: -k - 1])  # known at the close of candle t
        nxt = r[k:]  # return of candle t + 1
        long = (trailing > 0).astype(float)
        changes = np.abs(np.diff(np.concatenate([[0.0], long])))
        strategy = np.sum(np.log1p(long * np.expm1(nxt))) + np.sum(changes) * np.log1p(-fee_frac)
        excess.append(strategy - np.sum(nxt))
        after_up.append(nxt[trailing > 0])
        after_down.append(nxt[trailing <= 0])
    assert float(np.mean(excess)) > 0.05
    assert float(np.mean(np.concatenate(after_up))) > float(np.mean(np.concatenate(after_down)))
