"""`python -m tests.chaos --messages 20000 --kills 20`: the full chaos run (README)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from tests.chaos.harness import Chaos, Plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=Plan.messages)
    parser.add_argument("--kills", type=int, default=Plan.kills)
    parser.add_argument("--seed", type=int, default=Plan.seed)
    parser.add_argument("--keep", type=Path, help="keep logs and data here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    root = args.keep or Path(tempfile.mkdtemp(prefix="chaos-"))
    root.mkdir(parents=True, exist_ok=True)
    report = Chaos(Plan(messages=args.messages, kills=args.kills, seed=args.seed), root).run()
    print(json.dumps(asdict(report), indent=1))
    print(report.summary())
    return 1 if report.differences or report.sequence_gaps else 0


if __name__ == "__main__":
    sys.exit(main())
