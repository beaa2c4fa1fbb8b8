"""The browser test's fixtures are the dashboard tests' (a registered, backtested, judged version)."""

from tests.dashboard.conftest import (  # noqa: F401  (fixtures)
    client,
    model_settings,
    planted,
    register_policy_fixture,
    seeded,
)
