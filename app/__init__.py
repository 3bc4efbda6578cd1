"""The order-matching Faust app: `faust -A app worker -l info` runs it."""

from app.faust_app import create_app

app = create_app()

__all__ = ["app", "create_app"]
