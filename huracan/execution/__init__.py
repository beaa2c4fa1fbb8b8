"""Brokers: where approved orders become fills. Every order passes the one risk manager first.

- :mod:`~huracan.execution.orders`: order lifecycle, deterministic client order ids, fills.
- :mod:`~huracan.execution.store`: accounts, books, orders and fills in the store.
- :mod:`~huracan.execution.paper`: the paper broker (fills from the one cost model and execution policy).
"""
