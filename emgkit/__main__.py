"""``python -m emgkit`` runs the command line."""

from emgkit.cli.main import run

run()
