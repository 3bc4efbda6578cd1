"""A single-node Apache Kafka (KRaft, broker + controller in one JVM) from Maven Central jars."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import string
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from app import settings as app_settings
from services.config import CONF_DIR, MAVEN_DIR, REPO_ROOT, Settings
from services.jvm import (
    JavaProcess,
    ServiceError,
    ensure_ports_free,
    port_open,
    require_tool,
    resolve_classpath,
)

log = logging.getLogger(__name__)

PROBE_TOPIC = "_services-probe"
JVM_FLAGS = (
    "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent", "-XX:ParallelGCThreads=2", "-XX:ConcGCThreads=1",
    "-Djava.awt.headless=true",
)


def classpath(settings: Settings) -> str:
    cache = settings.service_dir("kafka") / "classpath.txt"
    return resolve_classpath(MAVEN_DIR / "kafka.xml", cache)


def bootstrap(settings: Settings) -> str:
    return f"{settings.kafka_host}:{settings.kafka_port}"


def _process(settings: Settings) -> JavaProcess:
    return JavaProcess("kafka", settings.service_dir("kafka"))


def _render_config(settings: Settings) -> str:
    """Write server.properties for this run; returns its path."""
    workdir = settings.service_dir("kafka")
    template = string.Template((CONF_DIR / "kafka-server.properties").read_text())
    path = workdir / "server.properties"
    path.write_text(template.substitute(
        host=settings.host, advertised_host=settings.host, port=settings.kafka_port,
        controller_port=settings.kafka_controller_port, data_dir=workdir / "data",
        partitions=settings.topic_partitions,
    ))
    return str(path)


def _java_args(settings: Settings, main: str, *args: str, log_config: str) -> list[str]:
    logs = settings.service_dir("kafka") / "logs"
    return [
        f"-Xms{settings.kafka_heap}", f"-Xmx{settings.kafka_heap}", *JVM_FLAGS,
        f"-Dlog4j2.configurationFile={CONF_DIR / log_config}", f"-Dkafka.logs.dir={logs}",
        "-cp", classpath(settings), main, *args,
    ]


def _format_storage(settings: Settings, config: str) -> None:
    """KRaft needs its log dir formatted with a cluster id once; later starts keep the data."""
    if (settings.service_dir("kafka") / "data" / "meta.properties").exists():
        return
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    format_args = _java_args(settings, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                             "-c", config, "--ignore-formatted",
                             log_config="tools-log4j2.properties")
    result = subprocess.run([require_tool("java"), *format_args],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServiceError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")


async def _round_trip(servers: str) -> None:
    """Produce one record and read it back: the broker answers for real, not just its port."""
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(bootstrap_servers=servers, request_timeout_ms=5000)
    try:
        await producer.start()
        meta = await producer.send_and_wait(PROBE_TOPIC, marker)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(PROBE_TOPIC, meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        batch = await consumer.getmany(tp, timeout_ms=5000)
        if marker not in [record.value for record in batch.get(tp, [])]:
            raise ServiceError("Kafka accepted a record but did not return it")
    finally:
        await consumer.stop()


def is_ready(settings: Settings) -> bool:
    if not port_open(settings.kafka_host, settings.kafka_port):
        return False
    try:
        asyncio.run(asyncio.wait_for(_round_trip(bootstrap(settings)), 15))
    except Exception as exc:
        log.debug("kafka round trip failed: %s", exc)
        return False
    return True


@contextlib.asynccontextmanager
async def admin_client(servers: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, closed when the block ends."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def _create_topics(servers: str, names: list[str], partitions: int,
                         config: Mapping[str, str] | None = None) -> None:
    async with admin_client(servers) as admin:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, partitions, 1, topic_configs=dict(config or {}))
                   for name in names if name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process raced us
                await admin.create_topics(missing)


def create_topics(settings: Settings, names: list[str] | None = None,
                  config: Mapping[str, str] | None = None) -> None:
    """Create topics with the configured partition count (and topic `config`), if missing.

    By default the engine's public topics, then the app's internal ones, as Faust declares
    them (`faust -A app declare-topics`, see topology/provision.py).
    """
    wanted = list(names or app_settings.PUBLIC_TOPICS)
    asyncio.run(_create_topics(bootstrap(settings), wanted, settings.topic_partitions, config))
    if names is None:
        declare_app_topics()


async def topic_names(servers: str) -> set[str]:
    """The names of the broker's topics."""
    async with admin_client(servers) as admin:
        return set(await admin.list_topics())


async def _delete_topics(servers: str, names: set[str]) -> None:
    async with admin_client(servers) as admin:
        await admin.delete_topics(sorted(names))


@contextlib.contextmanager
def new_topics_deleted(settings: Settings) -> Iterator[None]:
    """Delete the topics created while the block runs (a benchmark's, its workers').

    Each run makes fresh topics; kept, thousands of partitions pile up on the local broker,
    which then starts in a minute instead of seconds and measures slower.
    """
    servers = bootstrap(settings)
    before = asyncio.run(topic_names(servers))
    try:
        yield
    finally:
        created = asyncio.run(topic_names(servers)) - before
        if created:
            asyncio.run(_delete_topics(servers, created))
            log.info("deleted the %d topics of this run", len(created))


def declare_app_topics(env: Mapping[str, str] | None = None) -> None:
    """Run `faust -A app declare-topics`, with `env` overriding the app's settings."""
    faust = Path(sys.executable).parent / "faust"
    result = subprocess.run([str(faust), "-A", "app", "declare-topics"], cwd=REPO_ROOT,
                            env={**os.environ, **(env or {})}, capture_output=True, text=True,
                            check=False, timeout=120)
    if result.returncode != 0:
        raise ServiceError(f"declaring the app's topics failed:\n{result.stderr[-2000:]}")


def start(settings: Settings) -> dict:
    """Start the broker unless it already answers; wait for a real round trip; create topics."""
    proc = _process(settings)
    if proc.is_running() and is_ready(settings):
        create_topics(settings)
        return {"cold_start_s": 0.0, "rss_bytes": proc.rss_bytes() or 0}
    ensure_ports_free(settings.host, [settings.kafka_port, settings.kafka_controller_port], "kafka")
    config = _render_config(settings)
    classpath(settings)  # resolving jars is set-up, not start time
    began = time.monotonic()
    _format_storage(settings, config)
    proc.start(_java_args(settings, "kafka.Kafka", config, log_config="kafka-log4j2.properties"))
    proc.wait_until(lambda: is_ready(settings), settings.start_timeout, "answer a round trip")
    cold_start = time.monotonic() - began
    create_topics(settings)
    return {"cold_start_s": round(cold_start, 1), "rss_bytes": proc.rss_bytes() or 0}


def stop(settings: Settings) -> None:
    _process(settings).stop()


def kill(settings: Settings) -> None:
    _process(settings).kill()


def status(settings: Settings) -> str:
    proc = _process(settings)
    if not proc.is_running():
        return "kafka: stopped"
    state = "ready" if is_ready(settings) else "not answering"
    rss = (proc.rss_bytes() or 0) / 2**20
    return f"kafka: running, pid {proc.pid}, {state} on {bootstrap(settings)}, rss {rss:.0f} MiB"
