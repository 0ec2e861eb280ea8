"""The one least-recently-used cache (an OrderedDict with a size bound): the sentence scorer's
terms, the question analyser's parses, the retriever's query vectors, the collection nouns'
similarities."""

from __future__ import annotations

from collections import OrderedDict


class LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
