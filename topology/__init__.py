"""The topology, in the style of a Kafka Streams topology description.

    orders (raw bytes, any key)
      └─ agents.ingress: parse + validate (engine.parse_command)
           ├─ rejected, no symbol ───────────────────────────────────▶ order-events
           ├─ keyed elsewhere: command, key = symbol ─▶ <app>-commands (internal, re-keyed)
           │                                              └─ agents.matcher ─┐
           └─ in its symbol's partition (keyed by symbol): same transaction ─┤
                 ┌───────────────────────────────────────────────────────────┘
                 └─ agents.matcher.apply_command: book.apply (engine.OrderBook)
                      ├─ state rows ─▶ tables book-orders / book-seen / book-meta
                      │                (RocksDB + changelog topics)
                      ├─ trades ─────────────────────────────────────────▶ trades
                      ├─ order events ───────────────────────────────────▶ order-events
                      └─ book snapshot ──────────────────────────────────▶ market-data

    trades + order-events (read-committed)
      └─ agents.sink: rows per output (records.rows) ─▶ Cassandra active_orders,
                      completed_orders, order_history; offsets acked once written

Topics are declared in `topology.topics`, tables in `tables.books`, agents in `agents`;
`faust -A app worker` discovers them all.
"""
