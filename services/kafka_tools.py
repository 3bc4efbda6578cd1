"""`kafka-console-producer`, `kafka-console-consumer`, `kafka-topics`: Apache's own tools.

Thin wrappers, like Apache's bin/*.sh: same main classes, same flags, run with the jars
that Maven resolved for the local broker.
"""

from __future__ import annotations

import os
import sys

from services.config import CONF_DIR, Settings
from services.jvm import require_tool
from services.kafka import classpath

TOOLS = {
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
}


def run_tool(name: str, args: list[str]) -> None:
    """Replace this process with the tool's JVM so stdin, signals and exit code pass through."""
    java = require_tool("java")
    argv = [
        java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        f"-Dlog4j2.configurationFile={CONF_DIR / 'tools-log4j2.properties'}",
        "-cp", classpath(Settings()), TOOLS[name], *args,
    ]
    os.execv(java, argv)


def console_producer() -> None:
    run_tool("kafka-console-producer", sys.argv[1:])


def console_consumer() -> None:
    run_tool("kafka-console-consumer", sys.argv[1:])


def topics() -> None:
    run_tool("kafka-topics", sys.argv[1:])
