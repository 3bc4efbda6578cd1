"""``Engine``: every symbol's book behind one ``process(raw message)`` call."""

from engine.book import OrderBook
from engine.clock import Micros
from engine.commands import Command
from engine.config import EngineConfig
from engine.outputs import Output, rejection_output, result_outputs
from engine.parsing import parse_command
from engine.rejections import Rejection


class Engine:
    """Parses raw ``orders`` messages and runs them against per-symbol books."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.books: dict[str, OrderBook] = {}

    def book(self, symbol: str) -> OrderBook:
        """The book of ``symbol``, created empty on first use."""
        book = self.books.get(symbol)
        if book is None:
            config = self.config
            book = self.books[symbol] = OrderBook(symbol, config.spec_for(symbol),
                                                  config.dedup_window, config.dedup_ids)
        return book

    def process(self, raw: bytes | str, *, topic: str = "orders", partition: int = 0,
                offset: int, now: Micros) -> list[Output]:
        """Everything the engine publishes for one raw message, in publishing order."""
        parsed = parse_command(raw, topic=topic, partition=partition, offset=offset, now=now,
                               config=self.config)
        if isinstance(parsed, Rejection):
            return [rejection_output(parsed)]
        return self.execute(parsed, now)

    def execute(self, command: Command, now: Micros) -> list[Output]:
        """Run an already validated command against its symbol's book."""
        book = self.book(command.symbol)
        return result_outputs(book, book.apply(command, now), now)
