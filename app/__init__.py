"""The order-matching Faust app: `faust -A app worker -l info` runs it.

Importing this package is cheap: `app.settings` and the pure engine load without Faust.
The configured `faust.App` lives in `app.faust_app` (agents, tables and topics import it
from there), and `app.app`, which the Faust CLI asks for, also registers the whole
topology: Faust's larger-project layout, without its autodiscovery (which only logs a
warning when a module fails to import, then runs a worker without that module's agents).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        import topology.wiring  # noqa: F401  (registers topics, tables, agents, views)
        from app.faust_app import app

        return app
    raise AttributeError(f"module 'app' has no attribute {name!r}")
