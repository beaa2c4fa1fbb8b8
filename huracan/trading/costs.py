"""The one cost and fill model: fees, the bid-ask spread and size-dependent slippage.

Every fill price and fee in Huracan is computed here: by the trading env (scalar :meth:`CostModel.rebalance`),
the vectorised env and the backtester (:meth:`CostModel.rebalance_batch`, tested to give bit-for-bit the
scalar results), the paper broker and live accounting (:meth:`CostModel.fill`).

A taker order of ``qty_base`` against a reference price ``ref_price_quote`` (the next candle's open)
fills at ``ref * (1 + half_spread + slippage)`` when buying and ``ref * (1 - half_spread - slippage)``
when selling, where ``half_spread = spread_frac / 2`` and

    slippage = min(slippage_coef * sqrt(qty_base / volume_base), max_slippage_frac)

(the square-root market-impact law; ``volume_base`` is the base volume of the last closed candle, known
when the order is sent, and ``max_slippage_frac`` also applies when that volume is 0). The fee is
``fee_frac * qty_base * fill_price`` in quote currency. A maker order fills at the reference price (its
limit) with no spread or slippage and pays the maker fee.

Units: prices and money in quote currency (``*_quote``), quantities and volume in base asset
(``*_base``), rates as fractions (``0.001`` is 0.1 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

BUY = 1
SELL = -1


class Fill(NamedTuple):
    """One fill: ``price_quote`` per unit of base, ``fee_quote`` paid, ``cost_quote`` = fee plus the
    spread and slippage paid against the reference price (``qty * ref * (half_spread + slippage)``),
    and ``slippage_frac`` applied."""

    price_quote: float
    fee_quote: float
    cost_quote: float
    slippage_frac: float


@dataclass(frozen=True)
class CostModel:
    """Fees, spread and slippage of a spot market (defaults: Binance spot, 0.1 % maker and taker).

    :param taker_fee_frac: fee of an order that takes liquidity, fraction of the notional, in [0, 0.1].
    :param maker_fee_frac: fee of an order that rests on the book, fraction of the notional, in [0, 0.1].
    :param spread_frac: full bid-ask spread as a fraction of the mid price, >= 0; a taker pays half of
        it per fill. The default, 1 basis point, is conservative for a liquid Binance pair.
    :param slippage_coef: coefficient of the square-root impact law, >= 0: trading the whole volume of
        a candle costs ``slippage_coef`` (as a fraction of price), 1 % of it ``slippage_coef / 10``.
    :param max_slippage_frac: cap on the slippage fraction, in [0, 0.5); also the slippage of an order
        against a candle of zero volume.
    """

    taker_fee_frac: float = 0.001
    maker_fee_frac: float = 0.001
    spread_frac: float = 0.0001
    slippage_coef: float = 0.01
    max_slippage_frac: float = 0.05
    _half_spread: float = field(init=False, repr=False, compare=False)
    _c: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("taker_fee_frac", "maker_fee_frac"):
            value = getattr(self, name)
            if not 0.0 <= value <= 0.1:
                raise ValueError(f"{name} must be a fraction in [0, 0.1] (0.001 is 0.1 %), got {value}")
        if not 0.0 <= self.spread_frac < 0.5:
            raise ValueError(f"spread_frac must be a fraction in [0, 0.5), got {self.spread_frac}")
        if not 0.0 <= self.slippage_coef < math.inf:
            raise ValueError(f"slippage_coef must be finite and >= 0, got {self.slippage_coef}")
        if not 0.0 <= self.max_slippage_frac < 0.5:
            raise ValueError(f"max_slippage_frac must be a fraction in [0, 0.5), got {self.max_slippage_frac}")
        object.__setattr__(self, "_half_spread", self.spread_frac / 2.0)
        # 0-d arrays of the constants: numpy combines them with arrays faster than Python floats.
        consts = {
            "half_spread": self._half_spread,
            "coef": self.slippage_coef,
            "max_slip": self.max_slippage_frac,
            "fee": self.taker_fee_frac,
            "one_plus_fee": 1.0 + self.taker_fee_frac,
            "maker_fee": self.maker_fee_frac,
            "one_plus_maker_fee": 1.0 + self.maker_fee_frac,
            "one": 1.0,
            "zero": 0.0,
        }
        object.__setattr__(self, "_c", {name: np.array(value) for name, value in consts.items()})

    @property
    def half_spread_frac(self) -> float:
        """Half the bid-ask spread: what a taker pays per fill, as a fraction of the mid price."""
        return self._half_spread

    def slippage_frac(self, qty_base: float, volume_base: float) -> float:
        """Slippage of a taker order of ``qty_base`` against a candle volume of ``volume_base``."""
        if qty_base <= 0.0:
            return 0.0
        if volume_base <= 0.0:
            return self.max_slippage_frac
        return min(self.slippage_coef * math.sqrt(qty_base / volume_base), self.max_slippage_frac)

    def fill(
        self, side: int, qty_base: float, ref_price_quote: float, volume_base: float, *, maker: bool = False
    ) -> Fill:
        """Price, fee and cost of filling ``qty_base`` on ``side`` (:data:`BUY` = 1, :data:`SELL` = -1).

        :param side: BUY (1) or SELL (-1).
        :param qty_base: quantity, base asset, >= 0.
        :param ref_price_quote: reference price (next open, or a maker's limit), quote per base, > 0.
        :param volume_base: base volume of the last closed candle, >= 0 (ignored for maker fills).
        :param maker: a resting order filled at its limit: no spread, no slippage, maker fee.
        """
        if side not in (BUY, SELL):
            raise ValueError(f"side must be BUY (1) or SELL (-1), got {side}")
        if not qty_base >= 0.0 or not ref_price_quote > 0.0:
            raise ValueError(f"need qty_base >= 0 and ref_price_quote > 0, got {qty_base}, {ref_price_quote}")
        if maker:
            fee = qty_base * ref_price_quote * self.maker_fee_frac
            return Fill(ref_price_quote, fee, fee, 0.0)
        slip = self.slippage_frac(qty_base, volume_base)
        away = self._half_spread + slip
        price = ref_price_quote * (1.0 + away) if side == BUY else ref_price_quote * (1.0 - away)
        fee = qty_base * price * self.taker_fee_frac
        return Fill(price, fee, qty_base * (ref_price_quote * away) + fee, slip)

    def rebalance(
        self,
        cash_quote: float,
        position_base: float,
        target_frac: float,
        ref_price_quote: float,
        volume_base: float,
        maker: bool = False,
    ) -> tuple[float, float, float]:
        """Trade from a spot long position to ``target_frac`` of equity in the base asset.

        Equity is valued at the reference price: ``E = cash + position * ref``, and the order is
        ``target_frac * E / ref - position`` base (a buy when positive); its slippage is priced on that
        intended size. A buy is trimmed to what the cash pays for, fee included (no leverage; cash then
        ends at 0, never below); a sell never exceeds the position (the order formula ensures it), and
        ``target_frac == 0`` sells exactly all of it. Fees are paid in quote currency. No order, no
        cost, when the target is already held.

        :param cash_quote: cash before the trade, quote, >= 0.
        :param position_base: base held before the trade, >= 0.
        :param target_frac: target exposure, fraction of equity in [0, 1].
        :param ref_price_quote: reference price (the next candle's open), > 0.
        :param volume_base: base volume of the last closed candle, >= 0 (not used by a maker fill).
        :param maker: a resting limit order filled at ``ref_price_quote`` (its limit): no spread, no
            slippage, the maker fee; equity is then valued at the limit. False: a taker order.
        :return: ``(cash_quote, position_base, cost_quote)`` after the trade; the cost is the fee plus
            the spread and slippage paid against the reference price, ``qty * ref * (half_spread + slippage)``.
        """
        signed_qty = target_frac * (cash_quote + position_base * ref_price_quote) / ref_price_quote - position_base
        if signed_qty == 0.0:
            return cash_quote, position_base, 0.0
        qty = abs(signed_qty)
        if maker:
            fee_frac = self.maker_fee_frac
            away = 0.0
        else:
            fee_frac = self.taker_fee_frac
            away = self._half_spread + self.slippage_frac(qty, volume_base)
        if signed_qty > 0.0:
            price = ref_price_quote * (1.0 + away)
            afford = cash_quote / (price * (1.0 + fee_frac))
            if afford < qty:
                qty = afford
            notional = qty * price
            fee = notional * fee_frac
            return max(cash_quote - notional - fee, 0.0), position_base + qty, qty * (ref_price_quote * away) + fee
        price = ref_price_quote * (1.0 - away)
        notional = qty * price
        fee = notional * fee_frac
        return cash_quote + notional - fee, position_base - qty, qty * (ref_price_quote * away) + fee

    def rebalance_batch(
        self,
        cash_quote: np.ndarray,
        position_base: np.ndarray,
        target_frac: np.ndarray,
        ref_price_quote: np.ndarray,
        volume_base: np.ndarray,
        trade: np.ndarray | None = None,
        maker: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`rebalance` for 1-D float64 arrays of one length, element by element.

        Each element gets bit for bit what :meth:`rebalance` returns for it: the branches are folded
        with ``side = sign(order)`` in {1, -1, 0}; multiplying by +-1 and adding a negated number are
        exact, so e.g. ``ref * (1 + -1 * away) == ref * (1 - away)``; side 0 (no order) gives quantity 0
        and leaves cash and position exactly as they were.

        :param trade: optional boolean mask; where False the element places no order (cash and position
            unchanged, cost 0), as when the env's level did not change.
        :param maker: optional boolean mask; where True the element is a maker fill at its reference price
            (``rebalance(..., maker=True)``).
        """
        c = self._c
        signed_qty = target_frac * (cash_quote + position_base * ref_price_quote) / ref_price_quote - position_base
        if trade is not None:
            signed_qty *= trade
        side = np.sign(signed_qty)
        qty = np.abs(signed_qty)
        if np.count_nonzero(volume_base) == volume_base.size:  # the usual case, without errstate's cost
            slip = np.fmin(c["coef"] * np.sqrt(qty / volume_base), c["max_slip"])
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                # volume 0: qty / 0 is inf (or NaN for qty 0), and fmin(NaN or inf, cap) is the cap.
                slip = np.fmin(c["coef"] * np.sqrt(qty / volume_base), c["max_slip"])
        away = c["half_spread"] + slip
        fee_frac, one_plus_fee = c["fee"], c["one_plus_fee"]
        if maker is not None:
            away = np.where(maker, c["zero"], away)
            fee_frac = np.where(maker, c["maker_fee"], fee_frac)
            one_plus_fee = np.where(maker, c["one_plus_maker_fee"], one_plus_fee)
        price = ref_price_quote * (c["one"] + side * away)
        afford = cash_quote / (price * one_plus_fee)
        np.minimum(qty, afford, out=qty, where=signed_qty > c["zero"])
        notional = qty * price
        fee = notional * fee_frac
        cash = np.maximum(cash_quote - side * notional - fee, c["zero"])
        return cash, position_base + side * qty, qty * (ref_price_quote * away) + fee
