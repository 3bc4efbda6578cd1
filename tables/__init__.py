"""Faust tables: the changelog-backed state the agents keep."""
