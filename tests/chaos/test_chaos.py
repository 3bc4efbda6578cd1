"""The chaos run, short enough for CI: five kills, a same-dir restart, a rebalance."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.harness import Chaos, Plan

pytestmark = pytest.mark.services


def test_outputs_equal_the_replay_whatever_is_killed(tmp_path: Path) -> None:
    report = Chaos(Plan(messages=4000, kills=5, seed=11, broker_kill=False), tmp_path).run()

    assert len(report.kills) == 5
    assert all(k["committed_after_kill"] < k["expected"] for k in report.kills), report.kills
    assert report.restarts["same_dir"] >= 1 and report.restarts["empty_dir"] >= 1
    assert any("joined" in r for r in report.rebalances), report.rebalances
    assert report.differences == [], report.summary()
    assert report.sequence_gaps == [], report.summary()
