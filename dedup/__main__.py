"""``python -m dedup`` runs the ``dedup`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
