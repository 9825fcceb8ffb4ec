"""`python -m uptake` runs the command line."""

from uptake.cli import main

if __name__ == "__main__":
    main()
