"""The hot path makes no reference cycles, so the cyclic GC may be switched off."""

import gc
import json

from engine_testkit import NOW
from order_streams import MixedStream

from engine import Engine


def test_processing_a_mixed_stream_leaves_nothing_for_the_cyclic_gc():
    engine = Engine()
    messages = [json.dumps(m) for m in MixedStream(5).messages(3_000)] + ["garbage", "[]"]
    gc.collect()
    gc.disable()
    try:
        for offset, raw in enumerate(messages):
            engine.process(raw, offset=offset, now=NOW + offset)
        assert gc.collect() == 0
    finally:
        gc.enable()
