"""The promotion gate applied to the registry: promote a better challenger, refuse a worse one, roll back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mlflow import MlflowClient
from stable_baselines3 import PPO

from huracan.config import Settings
from huracan.errors import PromotionError
from huracan.registry import naming
from huracan.registry.keys import VersionTags
from huracan.registry.promotion import promote, rollback
from huracan.rl.batch_policy import policy_action_table
from huracan.rl.split import WalkForwardSplit
from huracan.timeframes import Timeframe
from huracan.trading.backtest import replay
from huracan.trading.baselines import buy_and_hold
from huracan.trading.config import EnvConfig
from huracan.trading.market_data import MarketData

SYMBOL = "BTC/USDT"
DAY = Timeframe.parse("1d")
Planted = tuple[MarketData, WalkForwardSplit]
NAME = "huracan-BTC-USDT-1d"


def aliases(client: MlflowClient) -> dict[str, str]:
    return {alias: str(version) for alias, version in client.get_registered_model(NAME).aliases.items()}


def version_tags(client: MlflowClient, version: str) -> dict[str, str]:
    return dict(client.get_model_version(NAME, version).tags)


@pytest.mark.slow
def test_gate_promotes_better_refuses_worse_and_rollback_restores(
    model_settings: Settings,
    client: MlflowClient,
    planted: Planted,
    rule_policy: Callable[..., PPO],
    register_policy: Callable[..., str],
) -> None:
    day = DAY
    data, split = planted
    test = split.test
    slow, fast, all_in = rule_policy(data, "ret_z_32"), rule_policy(data, "ret_z_8"), rule_policy(data, level=5)

    def sharpe(model: PPO) -> float:
        table = policy_action_table(model, data.features, test.start_row, test.end_row)
        return replay(data, table, test.start_row, test.end_row, EnvConfig()).metrics["sharpe"]

    bh = buy_and_hold(data, test.start_row, test.end_row, EnvConfig()).metrics["sharpe"]
    assert sharpe(fast) > sharpe(slow) + 0.5 > bh + 1.0  # the planted market's known ordering
    assert sharpe(all_in) == pytest.approx(bh)

    with pytest.raises(PromotionError, match="no challenger"):
        promote(model_settings, client, SYMBOL, day)

    # 1. First model, no champion: it beats buy & hold, so it becomes champion.
    v1 = register_policy(slow)
    assert aliases(client) == {naming.CHALLENGER: v1}
    outcome = promote(model_settings, client, SYMBOL, day)
    assert outcome.decision.promote and outcome.applied and outcome.champion is None
    assert outcome.evidence.challenger_sharpe == pytest.approx(sharpe(slow))
    assert outcome.evidence.buy_and_hold_sharpe == pytest.approx(bh)
    assert (outcome.evidence.window_start_ms, outcome.evidence.window_end_ms) == (test.start_ms, test.end_ms)
    assert aliases(client) == {naming.CHAMPION: v1}
    assert version_tags(client, v1)["gate.decision"] == "promoted"

    # 2. A worse challenger (buy & hold itself): the dry run changes nothing, the real run refuses it.
    v2 = register_policy(all_in)
    dry = promote(model_settings, client, SYMBOL, day, dry_run=True)
    assert not dry.decision.promote and not dry.applied
    assert {"beats_champion", "beats_buy_and_hold"} <= {c.name for c in dry.decision.checks if not c.passed}
    assert not any(tag.startswith("gate.") for tag in version_tags(client, v2))
    refused = promote(model_settings, client, SYMBOL, day)
    assert not refused.decision.promote
    assert refused.evidence.champion_sharpe == pytest.approx(sharpe(slow))
    assert aliases(client) == {naming.CHAMPION: v1, naming.CHALLENGER: v2}  # stays challenger, never trades
    tags = version_tags(client, v2)
    assert tags["gate.decision"] == "rejected" and tags["gate.reason"] == refused.decision.reason
    assert tags["gate.champion_version"] == v1 and tags["gate.check.beats_champion"] == "failed"

    # 3. A better challenger replaces the champion, which is remembered.
    v3 = register_policy(fast)
    promoted = promote(model_settings, client, SYMBOL, day)
    assert promoted.decision.promote and promoted.champion is not None and promoted.champion.version == v1
    assert aliases(client) == {naming.CHAMPION: v3, naming.PREVIOUS_CHAMPION: v1}
    assert VersionTags.from_tags(version_tags(client, v3)).previous_champion == v1

    # 4. Rollback restores the previous champion; there is nothing before it.
    done = rollback(client, SYMBOL, day)
    assert (done.demoted.version, done.restored.version) == (v3, v1)
    assert aliases(client) == {naming.CHAMPION: v1}
    assert VersionTags.from_tags(version_tags(client, v3)).rolled_back_at is not None
    with pytest.raises(PromotionError, match="nothing to roll back"):
        rollback(client, SYMBOL, day)


def test_rollback_without_a_champion_and_promoting_the_champion_again_are_refused(
    model_settings: Settings,
    client: MlflowClient,
    planted: Planted,
    rule_policy: Callable[..., PPO],
    register_policy: Callable[..., str],
) -> None:
    day = DAY
    data, _ = planted
    with pytest.raises(PromotionError, match="no champion"):
        rollback(client, SYMBOL, day)
    version = register_policy(rule_policy(data, "ret_z_8"))
    assert promote(model_settings, client, SYMBOL, day).decision.promote
    client.set_registered_model_alias(NAME, naming.CHALLENGER, version)  # by hand: the champion as challenger
    with pytest.raises(PromotionError, match="already the champion"):
        promote(model_settings, client, SYMBOL, day)
    with pytest.raises(PromotionError, match=f"v{int(version) + 1} is no longer the challenger \\(v{version} is\\)"):
        promote(model_settings, client, SYMBOL, day, version=str(int(version) + 1))
