"""Partitions of accounts (SPEC section 11): the rule, its text form, and a service that
loads, catches up, prunes and reports only its own accounts."""

from __future__ import annotations

import dataclasses
import zlib

import pytest

from agentactivity.partitions import Partition, PartitionError, partition_of
from agentactivity.service import ActivityService
from agentactivity.settings import Settings, SettingsError
from agentactivity.store import SQLiteStore
from tests.conftest import FakeClock

# crc32 mod 2 of each id: "123" -> 0, "124" -> 1 (docs/haproxy.cfg computes the same).
MINE, OTHERS = "123", "124"
MINUTE = 60_000


def test_an_account_belongs_to_crc32_of_its_id_mod_n() -> None:
    # Known values of CRC-32 (zlib's, the one of gzip and HAProxy's `crc32` converter).
    assert zlib.crc32(b"123") == 2286445522
    assert partition_of("123", 2) == 0 and partition_of("124", 2) == 1
    assert partition_of("12345678", 7) == zlib.crc32(b"12345678") % 7
    for account in ("1", "abc-DEF_9", "x" * 64):
        assert partition_of(account, 5) == zlib.crc32(account.encode()) % 5


def test_doubling_n_splits_each_partition_in_two() -> None:
    # What docs/scaling.md's move from N to 2N relies on: the accounts of I of 2N were
    # all in I mod N of N.
    for n in (1, 2, 3, 5):
        for i in range(1000):
            account = str(40_000_000 + i)
            assert partition_of(account, 2 * n) % n == partition_of(account, n)


def test_partition_text_i_over_n() -> None:
    assert Partition.parse("1/2") == Partition(1, 2)
    assert Partition.parse(" 0 / 3 ") == Partition(0, 3)
    assert str(Partition(1, 4)) == "1/4"
    assert Partition().everything and Partition().holds("anything")
    assert Partition(0, 2).holds(MINE) and not Partition(0, 2).holds(OTHERS)
    assert Partition(0, 2).owner(OTHERS) == Partition(1, 2)
    assert Partition(1, 2).only_held(["123", "124", "12345678"]) == ["124", "12345678"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2/2", "between 0 and 1"),
        ("-1/2", "write I/N"),
        ("0/0", "at least 1"),
        ("1", "write I/N"),
        ("a/b", "write I/N"),
        ("", "write I/N"),
    ],
)
def test_a_wrong_partition_says_what_to_write(text: str, says: str) -> None:
    with pytest.raises(PartitionError, match=says):
        Partition.parse(text)


def test_the_partition_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTACTIVITY_PARTITION", "1/3")
    assert Settings.from_env().partition == Partition(1, 3)
    monkeypatch.setenv("AGENTACTIVITY_PARTITION", "3/3")
    with pytest.raises(SettingsError, match="AGENTACTIVITY_PARTITION: .*between 0 and 2"):
        Settings.from_env()


def state(agent: int, time: int, value: str) -> dict[str, object]:
    return {"type": "state", "agentId": str(agent), "time": time, "state": value}


def test_a_partitioned_service_holds_only_its_accounts(clock: FakeClock) -> None:
    store = SQLiteStore(":memory:")
    try:
        writer = ActivityService(store, Settings(db_url=":memory:"), clock=clock)
        for account, agent in ((MINE, 1), (OTHERS, 2)):
            writer.ingest_items(account, [state(agent, clock.now - 10 * MINUTE, "ONLINE")])
        settings = dataclasses.replace(writer.settings, partition=Partition(0, 2))
        mine = ActivityService(store, settings, clock=clock)
        assert mine.load() == 1
        assert mine.account_ids() == [MINE]
        assert mine.engine.holdings() == {MINE: 1}
        # Events stored by another process: only its own accounts are caught up on or
        # count as lag.
        for account, agent in ((MINE, 3), (OTHERS, 4)):
            writer.ingest_items(account, [state(agent, clock.now - 5 * MINUTE, "AWAY")])
        assert mine.lag() == 1
        assert mine.catch_up_all() == 1
        assert mine.lag() == 0
        assert mine.engine.holdings() == {MINE: 2}
        assert set(mine.live.current_states(clock.now)) == {MINE}
        mine.prune()
        assert mine.engine.holdings() == {MINE: 2}
        assert writer.engine.holdings() == {MINE: 2, OTHERS: 2}
    finally:
        store.close()
