"""``python -m sesflow`` runs the command line."""

from sesflow.cli.app import main

main()
