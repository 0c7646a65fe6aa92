"""``python -m useparagon``: the ``paragon`` command."""

import sys

from ._cli import main

sys.exit(main())
