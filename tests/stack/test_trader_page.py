"""The trader page in a real headless Chromium, against a real worker, Kafka and Cassandra.

The worker is the engine's own app (`faust -A app worker`) with its web server on a free port
and topics of its own; the browser is Debian's Chromium driven by Playwright.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from playwright.sync_api import Browser, sync_playwright

from engine import parse_command
from services import cassandra
from services.config import Settings
from tests.kafka_io import producer, read_all, send
from tests.stack.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TraderPage, save_artifact
from tests.stack.worker import Worker, isolated_env

pytestmark = pytest.mark.services


def in_thread(work: Callable[[], Any]) -> Any:
    """Kafka I/O runs its own event loop, away from Playwright's."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def keyspace(settings: Settings) -> Iterator[str]:
    """A keyspace of this run's own: the sink's rows (trade seqs restart with each run's
    topics, users recur) never mix with another run's or the developer's."""
    own = dataclasses.replace(settings, cassandra_keyspace=f"page_{uuid.uuid4().hex[:8]}")
    cassandra.start(own)
    cassandra.apply_schema(own)
    yield own.cassandra_keyspace
    with cassandra.session(own) as session:
        session.execute(f"DROP KEYSPACE IF EXISTS {own.cassandra_keyspace}", timeout=60)


@pytest.fixture(scope="module")
def engine_env(kafka_bootstrap: str, settings: Settings, keyspace: str,
               tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("page") / "data"
    return {**isolated_env(kafka_bootstrap, settings, data_dir), "WEB_PORT": str(free_port()),
            "CASSANDRA_KEYSPACE": keyspace}


@pytest.fixture(scope="module")
def base_url(engine_env: dict[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("page-worker") / "worker.log"
    worker = Worker("app", engine_env, log, extra_args=()).start().wait_ready()
    yield f"http://127.0.0.1:{engine_env['WEB_PORT']}/"
    worker.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make install` installs chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def orders_sent(engine_env: dict[str, str], servers: str, at_least: int) -> list[dict]:
    """Every message on the `orders` topic (waiting a little for one more than expected)."""
    records = in_thread(lambda: asyncio.run(read_all(
        servers, engine_env["ORDERS_TOPIC"], at_least + 1, timeout=3)))
    return [json.loads(value) for _, value in records]


def orders_url(base_url: str, user: str) -> str:
    return f"{base_url}api/users/{urllib.parse.quote(user, safe='')}/orders"


def stored_orders(base_url: str, user: str) -> dict:
    """The user's orders view once it shows a fill (the sink wrote the trade and the orders)."""
    url = orders_url(base_url, user)
    deadline = time.monotonic() + 15
    while not (found := get_json(url))["fills"]:
        assert time.monotonic() < deadline, f"Cassandra still has {found}"
        time.sleep(0.2)
    return found


def a_fresh_page_shows_the_stored_orders(browser: Browser, base_url: str,
                                         live: TraderPage, user: str) -> None:
    """A page opened now has no live events of the user: what it shows comes from Cassandra,
    and must be what the page that watched it all shows. It follows another symbol, so not
    even the fills can come from the feed's recent AAPL trades."""
    fresh = TraderPage(browser, base_url, user, "MSFT")
    fresh.wait_for_tables({tbody: live.table(tbody)
                           for tbody in ("open-orders", "done-orders", "fills")})
    assert fresh.errors == []
    fresh.close()


def test_two_traders_trade_amend_cancel_and_nothing_unsafe_is_sent_or_shown(
    base_url: str, browser: Browser, engine_env: dict[str, str], kafka_bootstrap: str
) -> None:
    bob = TraderPage(browser, base_url, "bob", "AAPL")
    alice = TraderPage(browser, base_url, "alice", "AAPL")

    resting = bob.sent_order_id("sell", "100.00", "10")
    for page in (bob, alice):
        page.wait_for_ladder([["", "100.00", "10"]])
    bob.wait_for_row("open-orders", 0, resting)

    alice.sent_order_id("buy", "100.00", "4")
    for page in (bob, alice):
        page.wait_for_row("tape", 1, "100.00")
        page.wait_for_ladder([["", "100.00", "6"]])
        assert page.table("tape")[0][1:] == ["100.00", "4", "buy"]
    alice.wait_for_row("fills", 3, "100.00")
    bob.wait_for_row("fills", 5, resting)

    # The same users' orders and fills, read back from the sink's tables by a fresh page.
    alice_done = stored_orders(base_url, "alice")
    assert [(o["status"], o["price"], o["filled_quantity"])
            for o in alice_done["completed_orders"]] == [("filled", "100.00", 4)]
    assert alice_done["open_orders"] == []
    bob_open = stored_orders(base_url, "bob")
    assert [(o["order_id"], o["price"], o["remaining_quantity"])
            for o in bob_open["open_orders"]] == [(resting, "100.00", 6)]
    for user, page in (("alice", alice), ("bob", bob)):
        a_fresh_page_shows_the_stored_orders(browser, base_url, page, user)

    # An amend to a new price moves the order; a cancel takes it off the book.
    row = bob.page.locator("#open-orders tr", has_text=resting)
    row.locator(".amend-price").fill("101.50")
    row.get_by_role("button", name="Amend").click()
    for page in (bob, alice):
        page.wait_for_ladder([["", "101.50", "6"]])
    row.get_by_role("button", name="Cancel").click()
    for page in (bob, alice):
        page.wait_for_ladder([])
    bob.wait_for_row("done-orders", 6, "cancelled")

    # A bad price is shown beside the field, in the engine's words, and nothing is sent.
    assert alice.place("buy", "12.345", "5") == "not sent"
    refused = parse_command(json.dumps({"user_id": "alice", "symbol": "AAPL", "side": "buy",
                                        "price": "12.345", "quantity": 5}),
                            topic="orders", partition=0, offset=0, now=0)
    assert alice.field_errors() == {"price": refused.detail}

    # A user id holding markup is text everywhere the page shows it.
    script_user = "<script>pwned = 1</script><img src=x onerror=\"pwned = 2\">"
    mallory = TraderPage(browser, base_url, script_user, "AAPL")
    mallory.sent_order_id("buy", "99.00", "1")
    mallory.wait_for_ladder([["1", "99.00", ""]])
    mallory.wait_for_row("open-orders", 3, "99.00")
    assert mallory.page.text_content("#user-title") == script_user
    assert mallory.page.evaluate("() => window.pwned") is None
    assert mallory.page.locator("#mine script, #mine img").count() == 0
    assert mallory.page.locator("#order-form [name=user_id]").input_value() == script_user
    assert get_json(orders_url(base_url, script_user))["user_id"] == script_user

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    alice.page.screenshot(path=ARTIFACTS / "trader-page.png", full_page=True)
    sent = orders_sent(engine_env, kafka_bootstrap, 5)
    assert [(m["action"], m["user_id"]) for m in sent] == [
        ("new", "bob"), ("new", "alice"), ("amend", "bob"), ("cancel", "bob"),
        ("new", script_user)]
    for page in (bob, alice, mallory):
        assert page.errors == []
        page.close()


# -- responsiveness under load ------------------------------------------------------------

RESTING = 10_000
FLOW_PER_SECOND = 10
FLOW_SECONDS = 12
PROBES = 8


def resting_orders(symbol: str) -> list[tuple[bytes, bytes]]:
    """Bids from 50.00 down and asks from 150.00 up, 10 orders per level, none crossing."""
    orders = []
    for n in range(RESTING):
        side, level = ("buy", n // 20) if n % 2 == 0 else ("sell", n // 20)
        price = 50 - level / 100 if side == "buy" else 150 + level / 100
        value = {"order_id": f"rest-{n}", "user_id": f"maker-{n % 7}", "symbol": symbol,
                 "side": side, "price": f"{price:.2f}", "quantity": 10}
        orders.append((symbol.encode(), json.dumps(value).encode()))
    return orders


async def steady_flow(servers: str, topic: str, symbol: str, stop: threading.Event) -> int:
    """Crossing limit orders between 99.00 and 101.00, FLOW_PER_SECOND, until `stop`."""
    rng, sent = random.Random(11), 0
    async with producer(servers) as sending:
        start = time.monotonic()
        while not stop.is_set() and time.monotonic() - start < FLOW_SECONDS + 30:
            value = {"user_id": f"flow-{rng.randint(1, 4)}", "symbol": symbol,
                     "side": rng.choice(["buy", "sell"]),
                     "price": f"{rng.randint(9900, 10100) / 100:.2f}",
                     "quantity": rng.randint(1, 5)}
            await sending.send_and_wait(topic, json.dumps(value).encode(), key=symbol.encode())
            sent += 1
            await asyncio.sleep(max(0.0, start + sent / FLOW_PER_SECOND - time.monotonic()))
    return sent


async def _uncommitted_outputs(servers: str, env: dict[str, str]) -> int:
    """Records of `trades` and `order-events` the worker's group has not committed yet:
    what its Cassandra sink still has to write (commit markers count too)."""
    topics = [env["TRADES_TOPIC"], env["ORDER_EVENTS_TOPIC"]]
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=servers)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(env["APP_ID"])
        partitions = [TopicPartition(topic, p) for topic in topics
                      for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(partitions)
        return sum(end - (committed[tp].offset if tp in committed else 0)
                   for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


def test_the_page_keeps_up_with_10000_resting_orders_and_a_steady_flow(
    base_url: str, browser: Browser, engine_env: dict[str, str], kafka_bootstrap: str
) -> None:
    symbol, orders_topic = "LOAD", engine_env["ORDERS_TOPIC"]
    started = time.monotonic()
    in_thread(lambda: asyncio.run(send(kafka_bootstrap, orders_topic, resting_orders(symbol))))
    depth_url = f"{base_url}api/symbols/{symbol}/depth"
    booked, deadline = 0, time.monotonic() + 300
    while booked < RESTING:  # each resting order is one book change
        assert time.monotonic() < deadline, f"only {booked} orders booked in 300 s"
        time.sleep(1)
        booked = _book_changes(depth_url)
    booked_s = time.monotonic() - started
    # The engine books far faster than Cassandra takes rows: the steady state the page is
    # measured in begins once the worker's sink has written the booking (a sink that lags
    # shares the worker's one fetch loop with the engine; README, "The Cassandra sink").
    while in_thread(lambda: asyncio.run(_uncommitted_outputs(kafka_bootstrap,
                                                              engine_env))) > 100:
        assert time.monotonic() < deadline, "the sink did not write the booking in 300 s"
        time.sleep(1)

    prober = TraderPage(browser, base_url, "prober", symbol)
    prober.wait_for_ladder([["", f"{150 + level / 100:.2f}", "100"] for level in range(9, -1, -1)]
                           + [["100", f"{50 - level / 100:.2f}", ""] for level in range(10)])
    # Each ladder redraw: when (page clock) and how long after the engine's snapshot time.
    prober.page.evaluate("""() => {
        window.ladderUpdates = [];
        const ladder = document.getElementById('ladder');
        new MutationObserver(() => window.ladderUpdates.push(
            [performance.now(), Date.now() - Date.parse(ladder.dataset.ts)]))
            .observe(ladder, {childList: true});
    }""")

    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        flow = pool.submit(asyncio.run,
                           steady_flow(kafka_bootstrap, orders_topic, symbol, stop))
        # Steady state first: one probe's fill shows, then the flow runs on the page for
        # 2 s before the measurements start.
        prober.wait_for_row("fills", 5, prober.sent_order_id("sell", "50.00", "1"))
        time.sleep(2)
        window_start = prober.page.evaluate("() => performance.now()")
        latencies = []
        for _ in range(PROBES):
            # An aggressive sell: it trades at once, and its fill shows on the page.
            clicked = time.perf_counter()
            order_id = prober.sent_order_id("sell", "50.00", "1")
            prober.wait_for_row("fills", 5, order_id)
            latencies.append(time.perf_counter() - clicked)
            time.sleep(max(0.0, FLOW_SECONDS / PROBES - latencies[-1]))
        window_end = prober.page.evaluate("() => performance.now()")
        stop.set()
        flow_sent = flow.result()

    updates = [(t, lag) for t, lag in prober.page.evaluate("() => window.ladderUpdates")
               if window_start <= t <= window_end]
    times = [t for t, _ in updates]
    gaps = [b - a for a, b in zip([window_start, *times], [*times, window_end], strict=True)]
    lags = [lag / 1000 for _, lag in updates]
    measured = {
        "resting_orders": RESTING, "booked_s": round(booked_s, 1),
        "flow_orders": flow_sent, "flow_per_s": FLOW_PER_SECOND,
        "probe_latency_s": [round(x, 3) for x in latencies],
        "probe_latency_median_s": round(median(latencies), 3),
        "ladder_updates": len(updates), "window_s": round((window_end - window_start) / 1000, 1),
        "ladder_max_gap_s": round(max(gaps) / 1000, 3),
        "ladder_lag_median_s": round(median(lags), 3), "ladder_lag_max_s": round(max(lags), 3),
    }
    print("trader page under load:", measured)
    save_artifact("trader-page-load.json", measured)
    prober.page.screenshot(path=ARTIFACTS / "trader-page-load.png", full_page=True)
    assert max(gaps) < 1000, measured  # the ladder moves at least once a second
    assert max(lags) < 1.0, measured  # each snapshot shows within a second of the engine's
    # Order entry to own fill takes two committed hops (ingress, matcher): a guard against
    # commits slowing down (Faust's default 2.8 s interval made it 3-6 s).
    assert median(latencies) < 2.5, measured
    assert prober.errors == []
    prober.close()


def _book_changes(depth_url: str) -> int:
    try:
        return get_json(depth_url)["seq"]
    except urllib.error.HTTPError as error:  # 404 until the symbol's first order is booked
        assert error.code == 404, error
        return 0
