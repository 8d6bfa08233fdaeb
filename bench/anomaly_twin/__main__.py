"""``python -m bench.anomaly_twin``: see :mod:`bench.anomaly_twin.run`."""

import sys

from bench.anomaly_twin.run import main

sys.exit(main())
