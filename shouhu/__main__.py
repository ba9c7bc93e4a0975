"""``python -m shouhu`` runs the operator CLI."""

from shouhu.cli import main

main()
