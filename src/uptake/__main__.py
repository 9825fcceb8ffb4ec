"""`python -m uptake` runs the command line."""

from uptake.cli import main

main()
