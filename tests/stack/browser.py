"""The trader page in Debian's headless Chromium, driven by Playwright (no browser download)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: Screenshots and measurements of the browser tests (git-ignored).
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
#: How long a step may take to show before the test says what the page shows instead.
SHOWN_WITHIN_MS = 15_000

LADDER = """() => [...document.querySelectorAll('#ladder tr')]
                  .map(tr => [...tr.cells].map(td => td.textContent))"""
TABLE = """id => [...document.querySelectorAll(`#${id} tr`)]
               .map(tr => [...tr.cells].map(td => td.textContent))"""


class TraderPage:
    """One trader's page: a browser context of its own, following one user and symbol."""

    def __init__(self, browser: Browser, base_url: str, user: str, symbol: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(base_url)
        self.page.fill("#order-form [name=user_id]", user)
        self.page.fill("#order-form [name=symbol]", symbol)
        self.page.dispatch_event("#order-form [name=user_id]", "change")
        self.page.dispatch_event("#order-form [name=symbol]", "change")
        self.wait_for("() => document.getElementById('feed-status').dataset.state === 'live'",
                      "the live feed to connect")

    def place(self, side: str, price: str, quantity: str, tif: str = "GTC") -> str:
        """Fill the form and send it; returns the status line the page shows."""
        self.page.evaluate("() => { document.getElementById('form-status').textContent = ''; }")
        self.page.select_option("#order-form [name=side]", side)
        self.page.fill("#order-form [name=price]", price)
        self.page.fill("#order-form [name=quantity]", quantity)
        self.page.select_option("#order-form [name=tif]", tif)
        self.page.click("#order-form button[type=submit]")
        self.wait_for("() => document.getElementById('form-status').textContent !== ''",
                      "the form to answer")
        return self.page.text_content("#form-status") or ""

    def sent_order_id(self, side: str, price: str, quantity: str) -> str:
        status = self.place(side, price, quantity)
        assert status.startswith("sent "), (status, self.field_errors())
        return status.removeprefix("sent ")

    def field_errors(self) -> dict[str, str]:
        return self.page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('#order-form [data-error-for]')]
              .filter(e => e.textContent).map(e => [e.dataset.errorFor, e.textContent]))""")

    def ladder(self) -> list[list[str]]:
        return self.page.evaluate(LADDER)

    def table(self, tbody_id: str) -> list[list[str]]:
        return self.page.evaluate(TABLE, tbody_id)

    def wait_for_ladder(self, expected: list[list[str]]) -> None:
        self.wait_for(f"expected => JSON.stringify(({LADDER})()) === JSON.stringify(expected)",
                      f"the ladder {expected}", arg=expected, shows=self.ladder)

    def wait_for_row(self, tbody_id: str, column: int, text: str) -> None:
        self.wait_for(f"([id, column, text]) => ({TABLE})(id).some(r => r[column] === text)",
                      f"a row with {text!r} in #{tbody_id}", arg=[tbody_id, column, text],
                      shows=lambda: self.table(tbody_id))

    def wait_for_tables(self, expected: dict[str, list[list[str]]]) -> None:
        """Each table (by tbody id) shows exactly these rows."""
        self.wait_for(f"""expected => Object.entries(expected).every(([id, rows]) =>
                            JSON.stringify(({TABLE})(id)) === JSON.stringify(rows))""",
                      f"the tables {expected}", arg=expected,
                      shows=lambda: {tbody: self.table(tbody) for tbody in expected})

    def wait_for(self, predicate: str, what: str, arg: object = None,
                 shows=None, timeout: float = SHOWN_WITHIN_MS) -> None:
        try:
            self.page.wait_for_function(predicate, arg=arg, timeout=timeout)
        except PlaywrightTimeout:
            seen = shows() if shows else self.page.text_content("main")
            raise AssertionError(f"the page did not show {what}; it shows {seen!r}; "
                                 f"page errors: {self.errors}") from None

    def close(self) -> None:
        self.context.close()


def save_artifact(name: str, value: object) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(json.dumps(value, indent=2) + "\n")
    return path
