"""Import every module that registers a topic, table or agent on the app."""

from agents import ingress, matcher  # noqa: F401
