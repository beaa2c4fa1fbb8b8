"""System health: the checks of ``huracan doctor``."""
