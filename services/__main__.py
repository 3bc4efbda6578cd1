"""`order-services up|down|status|kill|reset [kafka|cassandra ...]`: the local servers.

`provision` only creates the topics and applies the Cassandra schema on servers that run
elsewhere (KAFKA_HOST/KAFKA_PORT, CASSANDRA_HOST/CASSANDRA_PORT).

`up` is idempotent: a server that already answers is left alone. Data stays under
SERVICES_DIR (default `.run/`) across down/up; `reset` stops everything and wipes it.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from types import ModuleType

from services import cassandra, kafka
from services.config import Settings
from services.jvm import ServiceError

log = logging.getLogger("services")
SERVICES: dict[str, ModuleType] = {"kafka": kafka, "cassandra": cassandra}


def up(settings: Settings, names: list[str]) -> None:
    for name in names:
        info = SERVICES[name].start(settings)
        log.info("%s up: cold start %.1fs, rss %.0f MiB", name, info["cold_start_s"],
                 info["rss_bytes"] / 2**20)
    if "cassandra" in names:
        cassandra.apply_schema(settings)


def provision(settings: Settings) -> None:
    """Topics and schema only, on servers someone else runs (Docker Compose, a cluster)."""
    kafka.create_topics(settings)
    cassandra.apply_schema(settings)
    log.info("topics and schema in place")


def down(settings: Settings, names: list[str]) -> None:
    for name in reversed(names):
        SERVICES[name].stop(settings)
        log.info("%s stopped", name)


def reset(settings: Settings, names: list[str]) -> None:
    down(settings, names)
    for name in names:
        shutil.rmtree(settings.run_dir / name, ignore_errors=True)
        log.info("%s data wiped", name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="order-services", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "status", "kill", "reset", "provision"])
    parser.add_argument("names", nargs="*", metavar="SERVICE",
                        help=f"any of {', '.join(SERVICES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(SERVICES))
    if unknown:
        parser.error(f"unknown service(s): {', '.join(unknown)}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    settings = Settings()
    names = args.names or list(SERVICES)
    try:
        if args.command == "up":
            up(settings, names)
        elif args.command == "provision":
            provision(settings)
        elif args.command == "down":
            down(settings, names)
        elif args.command == "reset":
            reset(settings, names)
        elif args.command == "kill":
            for name in names:
                SERVICES[name].kill(settings)
        else:
            for name in names:
                print(SERVICES[name].status(settings))
    except ServiceError as exc:
        log.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
