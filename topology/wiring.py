"""Import every module that registers a topic, table, agent, view or command on the app."""

from agents import ingress, matcher  # noqa: F401
from app import health  # noqa: F401
from topology import provision  # noqa: F401
from web import api, page, stream  # noqa: F401
