"""The trader page and its JSON views, served by the worker's own Faust web server.

`web.page` serves the page and its static assets, `web.api` the JSON views (routed to the
worker that owns a symbol), `web.stream` the live server-sent events, fed by `web.feed`;
orders go to Kafka through `web.gateway`, checked first by `web.validation`.
"""
