"""`python -m pylee_tui` is the same as the `pylee-tui` command."""

import sys

from pylee_tui.cli import main

sys.exit(main())
