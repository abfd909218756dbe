"""``python -m creditguard`` runs the command line."""

from creditguard.cli import main

main()
