"""Wall time of the headline study: 100 runs x 4 strategies x budget 300 on NATS-Bench size.

Runs the real command line (a fresh Python process, report and plots included) and prints
the time. Needs the benchmark data (``LAYERNAS_DATA``). Run:
    python bench/study_speed.py [--workers N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

COMMAND = [
    "study", "--benchmark", "nats-sss:cifar10", "--max-cost-fraction", "0.5",
    "--runs", "100", "--budget", "300", "--strategies", "layernas,random,evolution,reinforce",
    "--no-progress",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "layernas.cli", *COMMAND,
                   "--workers", str(args.workers), "--out", out]
        load = os.getloadavg()[0]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its workers
    print(f"layernas {' '.join(COMMAND)} --workers {args.workers}")
    print(f"{seconds:.1f} s wall, {usage.ru_utime + usage.ru_stime:.1f} s CPU, on "
          f"{os.cpu_count()} CPUs (load average before start: {load:.2f})")


if __name__ == "__main__":
    main()
