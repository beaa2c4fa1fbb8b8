"""The loopback emulator's default test API key and secret (a module of its own, light to import, so the
command line can show them in its help without loading the emulator).

They are public test values, accepted only by the emulator (``huracan emulator --api-key/--api-secret``
replace them); a real exchange rejects them.
"""

DEFAULT_API_KEY = "HuracanEmulatorTestApiKey000000000000000000000000000000000000000"
"""The emulator's test API key: 64 letters or digits, like a Binance key."""
DEFAULT_API_SECRET = "HuracanEmulatorTestSecret000000000000000000000000000000000000000"
"""The secret of :data:`DEFAULT_API_KEY`."""
