"""Import every module that registers a topic, table, agent, view or command on the app.

`WORKER_AGENTS` picks the agents: the engine (ingress, matcher, their tables, the web page
over them and the `declare-topics` command), the Cassandra sink, or both (the default).
"""

from app import garbage_collection, health, settings  # noqa: F401

if "engine" in settings.WORKER_AGENTS:
    from agents import ingress, matcher  # noqa: F401
    from topology import provision  # noqa: F401
    from web import api, page, stream  # noqa: F401
if "sink" in settings.WORKER_AGENTS:
    from agents import sink  # noqa: F401
