"""Run the end of day through a date in this process, dying by SIGKILL at the n-th hook point.

Used by test_eod_crash.py: ``python crash_driver.py DB_URL THROUGH N`` (N = 0: never die).
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import date

from creditguard.servicing.end_of_day import run_through
from creditguard.servicing.service import Servicing
from creditguard.store.db import connect


def main() -> None:
    url, through, n = sys.argv[1], date.fromisoformat(sys.argv[2]), int(sys.argv[3])
    seen = 0

    def hook(_point: str) -> None:
        nonlocal seen
        seen += 1
        if seen == n:
            os.kill(os.getpid(), signal.SIGKILL)

    run_through(Servicing(connect(url), actor="eod"), through, hook=hook)


if __name__ == "__main__":
    main()
