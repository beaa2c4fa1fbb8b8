"""``python -m huracan`` runs the command line."""

from huracan.cli.main import app

app()
