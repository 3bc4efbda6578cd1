"""Faust agents: the stream processors of the topology."""
