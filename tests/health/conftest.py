"""Fixtures of the health tests: the registry tests' MLflow store, planted market and registered policies."""

from __future__ import annotations

from tests.registry.conftest import (  # noqa: F401  (fixtures)
    client,
    model_settings,
    planted,
    register_policy_fixture,
)
