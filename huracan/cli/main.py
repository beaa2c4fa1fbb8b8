"""Entry point of the ``huracan`` command. Exit codes: 0 success, 1 failure, 2 bad usage."""

from __future__ import annotations

import logging

import typer
from rich.logging import RichHandler

from huracan.cli import (
    data_commands,
    doctor_command,
    emulator_command,
    evaluate_command,
    live_commands,
    model_commands,
    risk_commands,
    trades_commands,
    trading_commands,
    validate_command,
)
from huracan.cli.common import err_console

app = typer.Typer(
    name="huracan",
    help="Huracan: reinforcement-learning crypto trading pipeline. Settings come from HURACAN_* env vars.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _configure(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=False)],  # stdout: results
    )
    for noisy in ("alembic", "urllib3", "ccxt"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


data_commands.register(app)
doctor_command.register(app)
emulator_command.register(app)
validate_command.register(app)
model_commands.register(app)
risk_commands.register(app)
trading_commands.register(app)
trades_commands.register(app)
live_commands.register(app)
evaluate_command.register(app)
