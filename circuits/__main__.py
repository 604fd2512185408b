"""``python -m circuits``: the same as the ``circuits`` command."""

from __future__ import annotations

import sys

from circuits.cli import main

if __name__ == "__main__":
    sys.exit(main())
