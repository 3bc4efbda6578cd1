"""A real single-node Apache Cassandra 5.0 on localhost, run with `java` from Maven-resolved jars.

No tarball and no Docker: `services/maven/cassandra.xml` pulls `cassandra-all` from Maven
Central, and `CassandraDaemon` is started with the JVM flags Cassandra's own launcher uses on
JDK 17 (`services/conf/cassandra-jvm.options`) plus the dynamic ones below. Everything the node
writes lives under `<run_dir>/cassandra/`, so data survives stop/start and `rm -rf .run` resets.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import re
import string
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.config import CONF_DIR, MAVEN_DIR, REPO_ROOT, Settings
from services.jvm import (
    JavaProcess,
    ServiceError,
    ensure_ports_free,
    port_open,
    require_tool,
    resolve_classpath,
    tail,
)

if TYPE_CHECKING:
    from cassandra.cluster import Cluster, Session

log = logging.getLogger(__name__)

NAME = "cassandra"
MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon"
POM = MAVEN_DIR / "cassandra.xml"
YAML_TEMPLATE = CONF_DIR / "cassandra.yaml"
LOGBACK = CONF_DIR / "logback.xml"
JVM_OPTIONS = CONF_DIR / "cassandra-jvm.options"
SCHEMA = REPO_ROOT / "app" / "schema.cql"
LOCAL_DC = "datacenter1"  # what SimpleSnitch reports
DIRS = ("data", "commitlog", "saved_caches", "hints", "cdc_raw", "logs", "triggers")
# The keyspace name written in app/schema.cql; apply_schema() swaps in settings.cassandra_keyspace
# for every whole word `matching` in the statements (comments are dropped first).
SCHEMA_KEYSPACE = "matching"
INITIAL_HEAP = 256 * 2**20
_REPLICATION = re.compile(r"replication\s*=\s*\{[^}]*\}")
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,47}$")


# ---------------------------------------------------------------- process management


def _process(settings: Settings) -> JavaProcess:
    return JavaProcess(NAME, settings.service_dir(NAME))


def status(settings: Settings) -> str:
    """One line for `make status`-style output: is the JVM alive, and does it answer CQL."""
    proc = _process(settings)
    pid = proc.pid
    where = f"{settings.host}:{settings.cassandra_port}"
    if pid is None:
        if port_open(settings.host, settings.cassandra_port):
            return f"cassandra: not started by us, but {where} is taken by another process"
        return "cassandra: stopped"
    rss = (proc.rss_bytes() or 0) / 2**20
    state = "ready" if is_ready(settings) else "starting or unresponsive"
    return f"cassandra: running, pid {pid}, {state} on {where}, rss {rss:.0f} MiB"


def start(settings: Settings) -> dict[str, float | int]:
    """Start the node and wait until CQL answers; a no-op if it is already up.

    Returns {"cold_start_s": seconds from `java` exec to the first answered CQL query (0.0 when
    it was already running), "rss_bytes": resident memory of the JVM right after}.
    """
    workdir = settings.service_dir(NAME)
    with _start_lock(workdir):
        proc = _process(settings)
        if proc.is_running():
            # Ours already: either up, or still starting in another command; just wait.
            waited = proc.wait_until(
                lambda: is_ready(settings), settings.start_timeout, "answer CQL queries"
            )
            if waited > 0.1:
                log.info("cassandra was already starting; ready after %.1fs more", waited)
            return {"cold_start_s": 0.0, "rss_bytes": proc.rss_bytes() or 0}

        ensure_ports_free(
            settings.host, [settings.cassandra_port, settings.cassandra_storage_port], "cassandra"
        )
        classpath = resolve_classpath(POM, workdir / "classpath.txt")
        yaml_file = _render_yaml(settings, workdir)
        args = _java_args(settings, workdir, classpath, yaml_file)
        (workdir / "java-args.txt").write_text("\n".join(args) + "\n")  # for debugging by hand

        began = time.monotonic()
        proc.start(args)
        try:
            proc.wait_until(
                lambda: is_ready(settings), settings.start_timeout, "answer CQL queries"
            )
        except ServiceError as exc:
            # Leave no half-started JVM behind; the log keeps the reason.
            proc.stop(timeout=20)
            raise ServiceError(
                f"{exc}\n--- {workdir / 'logs' / 'system.log'} (tail) ---\n"
                f"{tail(workdir / 'logs' / 'system.log')}"
            ) from exc
        cold = time.monotonic() - began
        rss = proc.rss_bytes() or 0
        log.info("cassandra ready in %.1fs, rss %.0f MiB", cold, rss / 2**20)
        return {"cold_start_s": round(cold, 2), "rss_bytes": rss}


def stop(settings: Settings) -> None:
    """Clean shutdown (SIGTERM: Cassandra drains and flushes), SIGKILL only as a last resort."""
    proc = _process(settings)
    if proc.is_running():
        log.info("stopping cassandra (pid %s)", proc.pid)
    proc.stop(timeout=90)


def kill(settings: Settings) -> None:
    """SIGKILL, as a crash would; the commit log replays on the next start."""
    _process(settings).kill()


def is_ready(settings: Settings) -> bool:
    """True only when a real CQL query answers: an open port alone means little."""
    if not port_open(settings.cassandra_host, settings.cassandra_port):
        return False
    try:
        with session(settings, connect_timeout=3.0) as sess:
            row = sess.execute("SELECT release_version FROM system.local", timeout=5).one()
    except Exception as exc:  # any driver error just means "not yet"
        log.debug("cassandra not ready: %s", exc)
        return False
    return row is not None and bool(row.release_version)


# ---------------------------------------------------------------- CQL access


def cluster(settings: Settings, connect_timeout: float = 10.0, **options: Any) -> Cluster:
    """A driver Cluster for the local node, configured so the driver does not warn or guess.

    `options` go to `Cluster` as they are (e.g. a reconnection policy for a long-lived client).
    """
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import DCAwareRoundRobinPolicy

    profile = ExecutionProfile(load_balancing_policy=DCAwareRoundRobinPolicy(local_dc=LOCAL_DC))
    return Cluster(
        [settings.cassandra_host],
        port=settings.cassandra_port,
        protocol_version=5,  # Cassandra 5.0 speaks v5; pinning skips the downgrade dance
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=connect_timeout,
        control_connection_timeout=connect_timeout,
        **options,
    )


@contextlib.contextmanager
def session(settings: Settings, connect_timeout: float = 10.0) -> Iterator[Session]:
    """A connected driver Session, shut down on exit (for scripts, tests and schema setup).

    No default keyspace on purpose: Cassandra 5 warns about `USE` with prepared statements,
    so name tables in full (`f"{settings.cassandra_keyspace}.active_orders"`).
    """
    clu = cluster(settings, connect_timeout)
    try:
        yield clu.connect()
    finally:
        clu.shutdown()


def schema_statements(keyspace: str, schema_file: Path = SCHEMA,
                      replication: str | None = None) -> list[str]:
    """The statements of app/schema.cql, comments removed, keyspace name substituted.

    `replication` (a CQL map) replaces the keyspace's replication when given.
    """
    if not _IDENTIFIER.match(keyspace):
        raise ServiceError(f"invalid keyspace name {keyspace!r}: use letters, digits, underscore")
    statements = [
        re.sub(rf"\b{SCHEMA_KEYSPACE}\b", keyspace, stmt)
        for stmt in split_cql(schema_file.read_text())
    ]
    if replication is None:
        return statements
    return [_REPLICATION.sub(lambda _: f"replication = {replication}", stmt)
            for stmt in statements]


def split_cql(text: str) -> list[str]:
    """Split a CQL script on `;`, dropping `--` and `//` comments, respecting 'strings'."""
    statements: list[str] = []
    current: list[str] = []
    i, quoted = 0, False
    while i < len(text):
        char = text[i]
        if quoted:
            current.append(char)
            quoted = char != "'"  # a doubled '' closes and reopens: still correct
        elif char == "'":
            current.append(char)
            quoted = True
        elif text.startswith(("--", "//"), i):
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        elif char == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    statements.append("".join(current))
    return [stmt.strip() for stmt in statements if stmt.strip()]


def apply_schema(settings: Settings) -> None:
    """Create the keyspace, tables and indexes; safe to run any number of times."""
    statements = schema_statements(settings.cassandra_keyspace,
                                   replication=settings.cassandra_replication)
    with session(settings) as sess:
        for stmt in statements:
            log.debug("cql: %s", stmt)
            # Schema changes must reach agreement before the next statement depends on them.
            sess.execute(stmt, timeout=60)
        if not sess.cluster.control_connection.wait_for_schema_agreement(wait_time=30):
            raise ServiceError("cassandra schema did not reach agreement within 30s")
    log.info(
        "schema applied to keyspace %s (%d statements)",
        settings.cassandra_keyspace,
        len(statements),
    )


# ---------------------------------------------------------------- start-up details


def _render_yaml(settings: Settings, workdir: Path) -> Path:
    """Fill the template with absolute dirs under .run/cassandra and the configured ports."""
    dirs = {}
    for name in DIRS:
        path = workdir / name
        path.mkdir(parents=True, exist_ok=True)
        dirs[f"{name}_dir"] = str(path)
    text = string.Template(YAML_TEMPLATE.read_text()).substitute(
        host=settings.host,
        native_port=settings.cassandra_port,
        storage_port=settings.cassandra_storage_port,
        **dirs,
    )
    out = workdir / "cassandra.yaml"
    out.write_text(text)
    return out


def _bytes(size: str) -> int:
    """'1G', '512m', '1073741824' (java -Xmx syntax) -> bytes."""
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", size.strip())
    if not match:
        raise ServiceError(f"bad heap size {size!r}: use java syntax like 1G or 768m")
    return int(match.group(1)) * 1024 ** " kmg".index((match.group(2) or " ").lower())


def _static_jvm_options() -> list[str]:
    return [
        line.strip()
        for line in JVM_OPTIONS.read_text().splitlines()
        if line.strip().startswith("-")
    ]


def _jamm_jar(classpath: str) -> str:
    """jamm measures object sizes for memtable accounting; on JDK 17 it must be a javaagent."""
    for jar in classpath.split(":"):
        if re.search(r"/jamm-[0-9.]+\.jar$", jar):
            return jar
    raise ServiceError("jamm jar missing from the resolved Cassandra classpath; check " + str(POM))


def _java_args(settings: Settings, workdir: Path, classpath: str, yaml_file: Path) -> list[str]:
    require_tool("java")
    logs = workdir / "logs"
    heap = settings.cassandra_heap
    return [
        *_static_jvm_options(),
        # Heap capped at settings.cassandra_heap. Upstream pins -Xms to -Xmx; starting small
        # instead halves the RSS of an idle dev node (~0.75 vs ~1.5 GiB), no slower to start.
        f"-Xms{min(_bytes(heap), INITIAL_HEAP) // 2**20}m",
        f"-Xmx{heap}",
        # 2 cores shared with Kafka and pytest: few GC and JIT threads.
        "-XX:ParallelGCThreads=2",
        "-XX:ConcGCThreads=1",
        "-XX:CICompilerCount=2",
        f"-XX:HeapDumpPath={logs}",
        f"-XX:ErrorFile={logs}/hs_err_pid%p.log",
        f"-javaagent:{_jamm_jar(classpath)}",
        f"-Dcassandra.config={yaml_file.as_uri()}",
        "-Dcassandra-foreground=yes",
        f"-Dcassandra.storagedir={workdir}",
        f"-Dcassandra.logdir={logs}",
        f"-Dlogback.configurationFile={LOGBACK}",
        f"-Dcassandra.triggers_dir={workdir / 'triggers'}",  # else it warns that none exists
        # Single node: nothing to gossip with, so do not wait for gossip or the ring.
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        "-Dcassandra.ring_delay_ms=1000",
        # No JMX listener (no extra port to collide on); nodetool is not used here.
        "-cp",
        classpath,
        MAIN_CLASS,
    ]


@contextlib.contextmanager
def _start_lock(workdir: Path) -> Iterator[None]:
    """Serialise concurrent `start` calls (e.g. the Makefile and a test fixture)."""
    with (workdir / "start.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
