"""`make bench`: start the services on free ports, benchmark them, stop them."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .bench import run_bench
from .launcher import Cluster


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    levels = [int(x) for x in (argv[0] if argv else "1,8").split(",")]
    conversations = int(argv[1]) if len(argv) > 1 else 12
    with tempfile.TemporaryDirectory(prefix="convrec-bench-") as tmp:
        cluster = Cluster(Path(tmp))
        try:
            cluster.start()
            print(f"services up; {conversations} conversations per client at {levels} clients")
            run_bench(cluster.address(), levels, conversations, cluster.metrics_ports, cluster.pids())
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
