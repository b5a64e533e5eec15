"""Partitions of accounts across servers (`serve --partition I/N`, SPEC section 11).

An account belongs to partition crc32(account id) mod N: a pure function of the id that
the load balancer computes too (HAProxy's `crc32` converter is the same CRC-32 as
zlib's, see docs/haproxy.cfg), so no lookup service is needed and any server can tell
that an account is not its own. The account is the unit that never needs data from
another, which is why it is the unit of partitioning.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

_TEXT = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class PartitionError(ValueError):
    """A partition given as text that does not name one."""


def partition_of(account_id: str, count: int) -> int:
    """The partition (0..count-1) that holds `account_id` among `count`."""
    return zlib.crc32(account_id.encode()) % count


@dataclass(frozen=True)
class Partition:
    """Partition `index` of `count`; the default, 0/1, holds every account."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1:
            raise PartitionError(f"the number of partitions must be at least 1, not {self.count}")
        if not 0 <= self.index < self.count:
            raise PartitionError(
                f"the partition index must be between 0 and {self.count - 1} "
                f"(the number of partitions minus 1), not {self.index}"
            )

    @classmethod
    def parse(cls, text: str) -> Partition:
        """`I/N`, e.g. `0/2`: partition I of N (I counted from 0)."""
        match = _TEXT.fullmatch(text)
        if match is None:
            raise PartitionError(
                f"{text!r} is not a partition: write I/N, e.g. 0/2 for the first of two"
            )
        return cls(int(match[1]), int(match[2]))

    @property
    def everything(self) -> bool:
        """True when this partition holds every account (there is only one)."""
        return self.count == 1

    def holds(self, account_id: str) -> bool:
        return self.everything or partition_of(account_id, self.count) == self.index

    def owner(self, account_id: str) -> Partition:
        """The partition among the same count that holds `account_id`."""
        return Partition(partition_of(account_id, self.count), self.count)

    def only_held(self, account_ids: Iterable[str]) -> list[str]:
        return [account_id for account_id in account_ids if self.holds(account_id)]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
