"""The engine's records in Cassandra: row mapping, the async writer and the read queries.

`records.rows` turns one committed output (a trade or an order event, with its position on
its topic) into the row writes it implies; `records.writer` sends them with bounded
concurrency and retries; `records.reads` answers the questions the tables are shaped for.
Nothing here imports Faust: the sink agent (`agents.sink`) is the only Faust part.
"""
