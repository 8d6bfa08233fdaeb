"""``python -m bench.scheduling``: see :mod:`bench.scheduling.run`."""

import sys

from bench.scheduling.run import main

sys.exit(main())
