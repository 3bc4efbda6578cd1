"""Benchmarks of the matching core (run as modules, e.g. ``python -m bench.core``)."""
