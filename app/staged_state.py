"""Table writes held back until their Kafka transaction has committed.

Faust writes a table's RocksDB row the moment an agent sets it, so after a crash or an
aborted transaction the local store holds rows whose changelog records and source offsets
were never committed, and a restart on the same data dir runs the replayed commands
against a book that already contains them. Here, as in quix-streams' checkpoints, rows
are staged per transaction: when it commits, the last value of each row it changed goes
to the changelog inside it (a row a transaction changed a hundred times is one record),
and the rows reach RocksDB in one atomic write batch, together with the changelog offset
they bring the store to, only once that transaction has committed. The local store is
therefore always a committed prefix of the changelog; Faust's recovery, which reads the
changelog from the store's persisted offset on, brings it up to date after any crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import rocksdict

#: (changelog topic, partition) -> the highest offset the transaction wrote there.
ChangelogOffsets = Mapping[tuple[str, int], int]


#: A transaction's rows, encoded: by (store, partition), key -> value (None deletes).
EncodedRows = dict[tuple[Any, int], dict[bytes, bytes | None]]


class StagedWrites:
    """Rows of open transactions, by transactional id, then by store and partition.

    Rows are held as objects and encoded (JSON, by orjson) once, at the commit: a row
    a transaction rewrote a hundred times is encoded once. A staged value must not change
    afterwards (the engine's deltas are fresh values).
    """

    def __init__(self) -> None:
        self._open: dict[str, dict[tuple[Any, int], dict[str, Any]]] = (
            defaultdict(lambda: defaultdict(dict)))

    def rows(self, tid: str, store: Any, partition: int) -> dict[str, Any]:
        """Transaction `tid`'s rows of a store partition, held until it ends; a row set to
        `None` is deleted."""
        return self._open[tid][(store, partition)]

    def take(self, tid: str) -> EncodedRows:
        """The rows transaction `tid` must write to the changelogs at its commit."""
        return {place: {orjson.dumps(key): None if value is None else orjson.dumps(value)
                        for key, value in rows.items()}
                for place, rows in self._open.pop(tid, {}).items() if rows}

    @staticmethod
    def changelog_records(rows: EncodedRows) -> Iterator[tuple[str, int, bytes, bytes | None]]:
        """The changelog records of `rows`: topic, partition, key, value."""
        for (store, partition), by_key in rows.items():
            topic = store.table.changelog_topic.get_topic_name()
            for key, value in by_key.items():
                yield topic, partition, key, value

    def discard(self, tid: str) -> None:
        """The transaction aborted: its rows never happened."""
        self._open.pop(tid, None)

    @staticmethod
    def apply(rows: EncodedRows, changelog_offsets: ChangelogOffsets) -> None:
        """The transaction committed: write its rows and the changelog offset they reach."""
        for (store, partition), by_key in rows.items():
            batch = rocksdict.WriteBatch(raw_mode=True)
            for key, value in by_key.items():
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)
            topic = store.table.changelog_topic.get_topic_name()
            offset = changelog_offsets.get((topic, partition))
            if offset is not None:
                batch.put(store.offset_key, str(offset).encode())
            store._db_for_partition(partition).write(batch)
