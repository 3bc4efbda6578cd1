"""Registering a transaction's partitions and consumer group with its coordinator early.

A transaction's records may go to a partition only once the coordinator has added that
partition (AddPartitionsToTxn), and its offsets only once it has added the consumer group
(AddOffsetsToTxn); aiokafka sends each request when the first record or the offsets
arrive. The offsets come at the commit, and so do the table changelog records
(`app.staged_state`), so a commit paid five round trips in a row: add partitions, produce,
add offsets, commit offsets, end the transaction. A partition's next transaction almost
always writes where the last one did, so right after it begins, the partitions the last
one wrote to and the group are registered, and the commit pays two: the records beside the
offsets, then the end.

The group is registered the only way aiokafka offers, by committing offsets inside the
new transaction: the offsets the previous one just committed, the same values again, which
the commit's own offsets then overwrite. A partition registered but not written to gets a
commit marker and nothing else, and is not registered again: registering what the last
transaction merely registered kept every partition ever written, each commit putting a
marker in all of them, and consumers' committed offsets (lag) stayed behind the markers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka.structs import TopicPartition


def register_ahead(producer: Any, written: Iterable[tuple[str, int]],
                   offsets: Mapping[Any, int], group_id: str) -> asyncio.Future:
    """Have the producer's sender register the (topic, partition)s the last transaction
    wrote to and the group with the transaction just begun, in the background; the
    future fails if the registration fails."""
    txn = producer._txn_manager
    for topic, partition in written:
        txn.maybe_add_partition_to_txn(TopicPartition(topic, partition))
    return asyncio.ensure_future(producer.send_offsets_to_transaction(offsets, group_id))
