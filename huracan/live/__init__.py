"""The live side: one candle close for one account (:mod:`~huracan.live.step`), shared by the live tick and
the replay over history (:mod:`~huracan.live.replay`, ``huracan paper-run``); decisions are recorded in the
store (:mod:`~huracan.live.decisions`). No state is kept in memory between ticks."""
