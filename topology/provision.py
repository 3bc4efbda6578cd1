"""`faust -A app declare-topics`: create the app's internal topics before any worker starts.

A topic that a worker creates during its own start-up (the re-keyed commands, the tables'
changelogs) can still show no partitions to its first table write, which crashes the
matcher; `order-services up` and `provision` run this command first.
"""

from app.faust_app import app
from tables.books import book_meta, book_orders, book_seen
from topology.topics import commands


@app.command()
async def declare_topics(self) -> None:
    """Create the commands topic and the compacted table changelogs, as Faust declares them."""
    for topic in (commands, *(table.changelog_topic for table in (book_orders, book_seen,
                                                                   book_meta))):
        await topic.declare()
        self.say(f"declared {topic.get_topic_name()}")
