"""The page at `/`, its static assets (plain HTML, CSS, JavaScript, no build step), the monitor.

Faust serves its own index at `/` too; this view is registered when the topology is
imported, before Faust adds its built-in views as the server starts, so it is the one found.
The content security policy lets only the page's own files run: even a value that slipped
through unescaped could not execute.
"""

from __future__ import annotations

from pathlib import Path

from faust import web

from app.faust_app import app

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
INDEX = (STATIC / "index.html").read_text(encoding="utf-8")

app.web.add_static("/static/", STATIC)
# Faust's sensor statistics and assignment views live at `/` in debug mode; here under
# /monitor/, beside the page.
app.web.blueprints.add("/monitor", "faust.web.apps.stats:blueprint")


@app.page("/", name="trader-page")
class TraderPage(web.View):
    """Order entry, depth ladder, trade tape, price chart and the user's orders."""

    async def get(self, request: web.Request) -> web.Response:
        return self.html(INDEX, headers={"Content-Security-Policy": CSP,
                                         "X-Content-Type-Options": "nosniff"})
