"""``python -m shopfloor`` runs the command line."""

from shopfloor.cli import main

main()
