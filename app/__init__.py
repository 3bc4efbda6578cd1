"""The order-matching Faust app: `faust -A app worker -l info` runs it."""

from app.faust_app import create_app

app = create_app()

# Registers the topics, tables and agents on `app`. An explicit import rather than Faust's
# autodiscovery, which only logs a warning when a module fails to import and then runs a
# worker without that module's agents.
import topology.wiring  # noqa: E402, F401

__all__ = ["app", "create_app"]
