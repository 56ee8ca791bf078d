"""``python -m simulator``: see ``simulator.cli``."""

import sys

from .cli import main

sys.exit(main())
