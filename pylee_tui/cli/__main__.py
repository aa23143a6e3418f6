"""`python -m pylee_tui.cli` runs the CLI, as it did when the CLI was one module."""

import sys

from pylee_tui.cli import main

sys.exit(main())
