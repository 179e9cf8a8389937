"""`python -m node ...` is `geokv ...` (the server re-executes itself this way)."""

import sys

from node.cli import main

sys.exit(main())
