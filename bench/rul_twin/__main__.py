"""``python -m bench.rul_twin``: see :mod:`bench.rul_twin.run`."""

import sys

from bench.rul_twin.run import main

sys.exit(main())
