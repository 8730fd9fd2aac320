"""`python -m bot`: the one entry point (run, simulate, migrate, import/export, ...)."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
