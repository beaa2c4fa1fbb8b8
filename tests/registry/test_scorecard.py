"""The scorecard's verdict: which pairs meet each part of the target, and the totals against what is needed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from huracan.config import Settings
from huracan.errors import NoDataError
from huracan.registry.scorecard import PairScore, Scorecard, SeedScore, csv_path, isolated_settings
from huracan.timeframes import Timeframe


def metrics(sharpe: float, drawdown: float) -> dict[str, float]:
    return {"sharpe": sharpe, "max_drawdown": drawdown, "total_return": 0.0, "n_trades": 1.0, "costs_quote": 1.0}


def pair(symbol: str, model: tuple[float, float], bh: tuple[float, float], sma: tuple[float, float]) -> PairScore:
    """A pair whose registered model has ``model`` = (Sharpe, drawdown); its seeds are 0.5 below and 0.1
    apart, so only the registered model's numbers can make a check pass."""
    sharpe, drawdown = model
    seeds = tuple(SeedScore(seed, float(seed), metrics(sharpe - 0.5 + 0.1 * (seed - 1), 0.9)) for seed in range(3))
    baselines = {"buy_and_hold": metrics(*bh), "sma_crossover": metrics(*sma), "random": metrics(-1.0, 0.5)}
    registered = "ensemble of seeds 0, 1, 2"
    return PairScore(
        symbol, "1d", "m", "1", registered, metrics(sharpe, drawdown), seeds, baselines, 0, 1, 10, 1.0, 1.0
    )


def test_each_pair_is_judged_against_buy_and_hold_and_the_sma_crossover() -> None:
    beats_all = pair("A/USDT", (1.0, 0.10), (0.5, 0.40), (0.8, 0.30))
    assert beats_all.model["sharpe"] == 1.0 and beats_all.seed_values("sharpe") == pytest.approx([0.4, 0.5, 0.6])
    assert all(beats_all.meets().values())  # stretch too: 0.10 <= half of 0.40
    collapsed = pair("B/USDT", (0.5, 0.40), (0.5, 0.40), (0.6, 0.20))  # buy & hold exactly
    assert collapsed.meets() == {
        "sharpe_vs_buy_and_hold": True,
        "sharpe_vs_sma": False,
        "drawdown_below_buy_and_hold": False,
        "stretch": False,
    }
    half = pair("C/USDT", (0.6, 0.21), (0.5, 0.40), (0.7, 0.20))  # more than half of buy & hold's drawdown
    assert half.meets()["drawdown_below_buy_and_hold"] and not half.meets()["stretch"]
    assert all(replace(half, model=metrics(0.8, 0.1)).meets().values())


def test_the_totals_count_pairs_against_two_thirds_nearly_all_and_the_medians() -> None:
    pairs = (
        pair("A/USDT", (1.0, 0.10), (0.5, 0.40), (0.8, 0.30)),
        pair("B/USDT", (0.5, 0.40), (0.5, 0.40), (0.6, 0.20)),
        pair("C/USDT", (0.6, 0.21), (0.5, 0.40), (0.7, 0.20)),
    )
    card = Scorecard("1d", (0, 1, 2), 1000, pairs, 1.0)
    checks = {check.name: check for check in card.target()}
    assert [(c.achieved, c.needed) for c in checks.values()] == [(3, 2), (1, 2), (2, 3), (0, 1), (1, 2)]
    assert card.median("model") == 0.6 and card.median("buy_and_hold") == 0.5 and card.median("sma_crossover") == 0.7
    assert not card.target_met()
    document = card.as_json()
    assert document["medians"]["model"] == 0.6 and document["target_met"] is False
    assert [c["achieved"] for c in document["target"]] == [3, 1, 2, 0, 1]
    assert document["pairs"][0]["registered"] == "ensemble of seeds 0, 1, 2"
    assert document["pairs"][0]["seed_sharpe"]["std"] == pytest.approx(0.1)

    better = Scorecard("1d", (0,), 1000, (pairs[0], pairs[0], pairs[2]), 1.0)
    assert all(c.met for c in better.target()) and better.target_met()  # median 1.0 > 0.5 and > 0.8


def test_csv_files_are_found_by_the_shared_datas_names_and_a_missing_one_is_named(tmp_path: Path) -> None:
    day = Timeframe.parse("1d")
    (tmp_path / "binance_BTC-USDT_1d.csv").write_text("")
    (tmp_path / "ETH-USDT_1d.csv").write_text("")
    assert csv_path(tmp_path, "binance", "BTC/USDT", day) == tmp_path / "binance_BTC-USDT_1d.csv"
    assert csv_path(tmp_path, "binance", "ETH/USDT", day) == tmp_path / "ETH-USDT_1d.csv"
    with pytest.raises(NoDataError, match=r"expected binance_XMR-USDT_1d\.csv or XMR-USDT_1d\.csv.*ETH-USDT_1d\.csv"):
        csv_path(tmp_path, "binance", "XMR/USDT", day)


def test_isolated_settings_keep_mlflow_and_reports_out_of_the_users_home(tmp_path: Path) -> None:
    user = Settings(home=tmp_path / "user", db_url="sqlite:////somewhere/store.db", mlflow_tracking_uri="http://x:5000")
    reading = isolated_settings(user, tmp_path / "eval", own_store=False)
    assert (
        reading.home == tmp_path / "eval"
        and reading.mlflow_tracking_uri == f"sqlite:///{tmp_path / 'eval' / 'mlflow.db'}"
    )
    assert reading.store_url == "sqlite:////somewhere/store.db"  # the store is only read
    importing = isolated_settings(user, tmp_path / "eval", own_store=True)
    assert importing.store_url == f"sqlite:///{tmp_path / 'eval' / 'huracan.db'}"
    assert user.home == tmp_path / "user" and user.mlflow_tracking_uri == "http://x:5000"
