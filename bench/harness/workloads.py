"""The benchmark harness's five workloads, in process, through two engine drivers.

Usage: ``python -m bench.harness.workloads HARNESS_DIR DYN4MIK3_DIR [--rounds 3]
[--scenario normal ...]``.

Reads the harness's own workload files (``HARNESS_DIR/orders_<scenario>_s23_n1000000.bin``,
made by its ``generator`` when missing), feeds every message to each driver's
``on_new``/``on_cancel``/``on_modify`` (the protocol of ``pyengine_adapter.cpp``), and
times the loop in CPU seconds of this process, so other processes on a busy machine
barely move it. Engines alternate, round after round; the best round of each is kept.
Each run's reports are checked against the harness's canonical hash
(``reference/correctness_hash.txt``): same rendering, same (seq, type) order.
"""

import argparse
import gc
import hashlib
import importlib
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

SCENARIOS = ("normal", "swing-25", "swing-40", "flash-crash", "static")
SEED, COUNT = 23, 1_000_000
_RECORD = struct.Struct("<BBBxIQQqq")
_LINE = {0: "0,{},{},{},{},{}", 1: "1,{},{},{},{},{}", 2: "2,{},{},{},{}",
         3: "3,{},{},{},{},{}", 4: "4,{},{}", 5: "5,{},{}"}


def workload(harness: Path, scenario: str) -> list[tuple]:
    """The scenario's messages as (type, side, ioc, qty, seq, order_id, price) tuples."""
    path = harness / f"orders_{scenario}_s{SEED}_n{COUNT}.bin"
    if not path.exists():
        subprocess.run([str(harness / "generator"), scenario, str(path), str(COUNT), str(SEED)],
                       check=True, stdout=subprocess.DEVNULL)
    data = path.read_bytes()
    (count,) = struct.unpack_from("<I", data, 12)
    return [record[:7] for record in _RECORD.iter_unpack(data[16:16 + count * _RECORD.size])]


def run(make_driver: Callable[[], object], messages: list[tuple]) -> tuple[float, list]:
    """(CPU seconds, reports) of one pass over ``messages`` with a fresh driver."""
    driver = make_driver()
    on_new, on_cancel, on_modify = driver.on_new, driver.on_cancel, driver.on_modify
    reports: list = []
    extend = reports.extend
    gc.collect()
    began = time.process_time()
    for kind, side, ioc, qty, seq, oid, price in messages:
        if kind == 0:
            extend(on_new(oid, seq, price, qty, side, ioc))
        elif kind == 1:
            extend(on_cancel(oid, seq))
        else:
            extend(on_modify(oid, seq, price, qty, side))
    return time.process_time() - began, reports


def canonical_hash(reports: list) -> str:
    """The harness's correctness hash: reports sorted by (seq, type), one line each."""
    ordered = sorted(reports, key=lambda report: (report[1], report[0]))
    text = "\n".join(_LINE[report[0]].format(*report[1:]) for report in ordered)
    return hashlib.sha256(text.encode()).hexdigest()


def expected_hashes(harness: Path) -> dict[str, str]:
    lines = (harness / "reference" / "correctness_hash.txt").read_text().split("\n")
    return {name.split("_seed")[0]: digest for digest, name in
            (line.split() for line in lines if line.strip())}


def drivers(dyn4mik3: Path, harness: Path) -> dict[str, Callable[[], object]]:
    sys.path[:0] = [str(harness / "additional_references" / "dyn4mik3_adapter"), str(dyn4mik3)]
    from bench.harness.engine_driver import Driver
    return {"engine": Driver, "dyn4mik3": importlib.import_module("dyn4mik3_driver").Driver}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.harness.workloads",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("harness", type=Path)
    parser.add_argument("dyn4mik3", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    args = parser.parse_args(argv)
    expected = expected_hashes(args.harness)
    engines = drivers(args.dyn4mik3, args.harness)
    failed = False
    for scenario in args.scenario or SCENARIOS:
        messages = workload(args.harness, scenario)
        best = dict.fromkeys(engines, float("inf"))
        for _ in range(args.rounds):
            for name, make in engines.items():
                seconds, reports = run(make, messages)
                best[name] = min(best[name], seconds)
                ok = canonical_hash(reports) == expected[scenario]
                failed |= not ok
                print(f"  {scenario:11s} {name:8s} {len(messages) / seconds:>9,.0f} msg/s "
                      f"hash {'PASS' if ok else 'FAIL'}", flush=True)
        ratio = best["dyn4mik3"] / best["engine"]
        print(f"{scenario:11s} engine/dyn4mik3 = {ratio:.2f}x  (best of {args.rounds}: "
              f"{len(messages) / best['engine']:,.0f} vs {len(messages) / best['dyn4mik3']:,.0f}"
              " msg/s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
