"""The Faust and aiokafka internals that `app/` overrides or relies on.

The fixes subclass private methods and read private state of faust-streaming 0.15.3 and
aiokafka 0.14.0 (both pinned exactly in setup.cfg). If an upgrade changes any of them,
this test fails and names it: read the new code, re-check the rule of the module docstring
that depends on it, then update the fingerprint here.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from importlib.metadata import version

import pytest

PINNED = {"faust-streaming": "0.15.3", "aiokafka": "0.14.0", "rocksdict": "0.3.29"}

#: "module:qualified.name" -> the first 16 hex digits of the sha256 of its source.
FINGERPRINTS = {
    "faust.transport.consumer:TransactionManager.send": "b8d126be9f10fc69",
    "faust.transport.consumer:TransactionManager.commit": "fbb29c3467ac8bfa",
    "faust.transport.consumer:TransactionManager.on_rebalance": "2c190b35003af25c",
    "faust.transport.consumer:TransactionManager._start_transactions": "6ee1a2d9b4196b3a",
    "faust.transport.consumer:TransactionManager._tps_to_active_tpgs": "59e139468f01a5eb",
    "faust.transport.consumer:Consumer.on_partitions_revoked": "d04b7ae72c6fc206",
    "faust.transport.consumer:Consumer.on_partitions_assigned": "29ce96596f05a18c",
    "faust.transport.consumer:Consumer.commit": "a354437baaa08bf8",
    "faust.transport.consumer:Consumer._commit_offsets": "1a69799041188441",
    "faust.transport.consumer:Consumer.perform_seek": "0e8c130ff4b0afd8",
    "faust.transport.consumer:Consumer.pause_partitions": "27a1c94bdacd54de",
    "faust.transport.consumer:Consumer.resume_partitions": "afe6b7c02a41d63c",
    "faust.transport.consumer:Consumer.resume_flow": "db59630f25b5819b",
    "faust.transport.consumer:Consumer.ack": "5fcf41cf45153475",
    "faust.transport.consumer:Consumer.wait_empty": "e4662fe24f094819",
    "faust.transport.consumer:Consumer._clean_unacked_messages": "11be2587e71c9162",
    "faust.transport.drivers.aiokafka:Producer.__init__": "5c53a4b47aa1372b",
    "faust.transport.drivers.aiokafka:Producer.send": "0b5bd08f52e5e2a9",
    "faust.transport.drivers.aiokafka:Producer.stop_transaction": "ba24cb80581302aa",
    "faust.transport.drivers.aiokafka:Producer._new_producer": "e72355c3430ed02f",
    "faust.transport.drivers.aiokafka:ConsumerRebalanceListener.on_partitions_assigned":
        "1c1f8406ad3698a6",
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread.verify_event_path": "b983e7735f647cb3",
    "faust.transport.drivers.aiokafka:Consumer._to_message": "7c24f6511b2fcef7",
    "faust.tables.recovery:Recovery._build_offsets": "27eec86be06cb51f",
    "faust.tables.recovery:Recovery._add": "1584a197b11bf835",
    "faust.tables.manager:TableManager.recovery": "f0bf5de78b4c3d23",
    "faust.tables.recovery:Recovery._resume_streams": "d986a6710c1aca98",
    "faust.streams:Stream._py_aiter": "3a48ee257a65435b",
    "faust.stores.rocksdb:Store.apply_changelog_batch": "ea3344d369fc4ab5",
    "faust.stores.rocksdb:Store.set_persisted_offset": "b4c811926678346e",
    "faust.stores.rocksdb:Store.persisted_offset": "6f2e502fb86043a1",
    "faust.stores.rocksdb:Store._db_for_partition": "cb7e67d5f9efc4bc",
    "faust.app.base:App._on_partitions_revoked": "d5c895bbe57dc73a",
    "faust.app.base:App._on_partitions_assigned": "de932b7927db85b3",
    "faust.types.tuples:Message.ack": "4751b72c4ed84153",
    "aiokafka.producer.producer:AIOKafkaProducer.begin_transaction": "f5128199fc271ddc",
    "aiokafka.producer.producer:AIOKafkaProducer.commit_transaction": "c7f9677c89413f97",
    "aiokafka.producer.producer:AIOKafkaProducer.abort_transaction": "e93a2aba6d765913",
    "aiokafka.producer.producer:AIOKafkaProducer.send_offsets_to_transaction": "4b58002b44962a5c",
    # app/record_batches.py: batches taken from the fetch before Faust's getmany stamps
    # the generation; an agent subscribes its topic by iterating the topic.
    "faust.transport.consumer:Consumer._wait_next_records": "6218e1969a636b3f",
    "faust.transport.consumer:Consumer.getmany": "4b168d84882a70d6",
    "faust.topics:Topic.__aiter__": "838623ae001ec5d1",
    # app/transaction_outputs.py: batches built and handed over whole, the partitioner
    # called directly, a batch's future resolving to its first offset.
    "aiokafka.producer.producer:AIOKafkaProducer.send_batch": "bf42b0f0c5c0646d",
    "aiokafka.producer.producer:AIOKafkaProducer.create_batch": "c4efda4bb7a09741",
    "aiokafka.producer.producer:AIOKafkaProducer._partition": "e45fa9c539d431d1",
    "aiokafka.producer.producer:AIOKafkaProducer.partitions_for": "0d526b6cfcfdfc00",
    "aiokafka.producer.message_accumulator:MessageBatch.done": "2d765e5c2dc8638d",
    "aiokafka.producer.message_accumulator:BatchBuilder.append": "657d76f55157d9ca",
    # app/transaction_prelude.py: a transaction's partitions and group registered early;
    # the sender registers partitions, then the group, then commits offsets, then ends.
    "aiokafka.producer.transaction_manager:TransactionManager.maybe_add_partition_to_txn":
        "e0a118be379a7f75",
    "aiokafka.producer.sender:Sender._maybe_do_transactional_request": "71227a8a4d9ca80d",
    # app/exactly_once.py: the fetch wait set on Faust's consumer before it starts (the
    # fetcher leaves out partitions with records not yet taken), the producers' backoff.
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._create_worker_consumer":
        "c2701bfc3e6f6cad",
    "aiokafka.consumer.consumer:AIOKafkaConsumer.__init__": "01506f316191f7c9",
    "aiokafka.consumer.fetcher:Fetcher._get_actions_per_node": "1dab2cf937d165d0",
    "faust.transport.drivers.aiokafka:Producer._settings_extra": "a4c7bc41b6382223",
}


@pytest.mark.parametrize("package", sorted(PINNED))
def test_pinned_versions(package: str) -> None:
    assert version(package) == PINNED[package]


@pytest.mark.parametrize("target", sorted(FINGERPRINTS))
def test_internal_unchanged(target: str) -> None:
    module, qualname = target.split(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    source = inspect.getsource(obj.fget if isinstance(obj, property) else obj)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == FINGERPRINTS[target], (
        f"{target} changed: re-check app/exactly_once.py against it")
