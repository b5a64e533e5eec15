"""Dashboard tokens: the text format, durations, and the verifier's answers (on a real
SQLite store): accepted for `read` on its own account only; malformed, altered, expired,
revoked and foreign tokens refused with a message that says what to do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentactivity.api.auth import AuthError
from agentactivity.api.dashboard_auth import DashboardTokenVerifier, token_in_request
from agentactivity.dashboard_token import (
    MAX_TTL_MS,
    encode_token,
    issue,
    parse_token,
    parse_ttl,
    signature_matches,
)
from agentactivity.store import SQLiteStore
from tests.conftest import ACCOUNT, OTHER_ACCOUNT, FakeClock

HOUR = 3_600_000
NOW = 1_790_000_000_000


@pytest.fixture
def store() -> Iterator[SQLiteStore]:
    store = SQLiteStore(":memory:")
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def verifier(store: SQLiteStore, clock: FakeClock) -> DashboardTokenVerifier:
    return DashboardTokenVerifier(store, clock)


def refused(verifier: DashboardTokenVerifier, token: str, account: str, scope: str) -> AuthError:
    with pytest.raises(AuthError) as caught:
        verifier.authenticate(token, account, scope)
    return caught.value


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("30m", 30 * 60_000),
        ("8h", 8 * HOUR),
        ("2d", 48 * HOUR),
        (" 1m ", 60_000),
        ("90d", MAX_TTL_MS),
    ],
)
def test_durations(text: str, ms: int) -> None:
    assert parse_ttl(text) == ms


@pytest.mark.parametrize("text", ["", "8", "h", "8 h", "8H", "1.5h", "-1h", "0m", "91d", "8hours"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="30m, 8h, 2d|from 1m to 90d"):
        parse_ttl(text)


def test_a_token_names_its_account_id_and_expiry_and_is_signed() -> None:
    token = encode_token("s" * 64, ACCOUNT, "0123456789abcdef", NOW + 999)
    parsed = parse_token(token)
    assert parsed is not None
    assert (parsed.account_id, parsed.token_id, parsed.expires_at) == (
        ACCOUNT,
        "0123456789abcdef",
        NOW,  # whole seconds
    )
    assert signature_matches("s" * 64, parsed)
    assert not signature_matches("t" * 64, parsed)
    for bad in ("", token + "x", token.replace("dt1.", "dt2."), token.rsplit(".", 1)[0]):
        assert parse_token(bad) is None, bad


def test_an_issued_token_reads_its_own_account(
    store: SQLiteStore, verifier: DashboardTokenVerifier
) -> None:
    token, record = issue(store, ACCOUNT, 8 * HOUR, NOW, "wallboard")
    credentials = verifier.authenticate(token, ACCOUNT, "read")
    assert (credentials.account_id, credentials.scopes) == (ACCOUNT, ("read",))
    assert record.expires_at == NOW + 8 * HOUR
    assert store.dashboard_token(ACCOUNT, record.token_id) == record
    assert ACCOUNT in store.account_ids()


def test_another_account_is_403_and_names_both(
    store: SQLiteStore, verifier: DashboardTokenVerifier
) -> None:
    token, _ = issue(store, ACCOUNT, HOUR, NOW)
    error = refused(verifier, token, OTHER_ACCOUNT, "read")
    assert error.status == 403
    assert ACCOUNT in error.message and OTHER_ACCOUNT in error.message


@pytest.mark.parametrize("scope", ["ingest", "admin"])
def test_tokens_are_read_only(
    store: SQLiteStore, verifier: DashboardTokenVerifier, scope: str
) -> None:
    token, _ = issue(store, ACCOUNT, HOUR, NOW)
    error = refused(verifier, token, ACCOUNT, scope)
    assert error.status == 403 and "read-only" in error.message and scope in error.message


def test_an_expired_token_is_401_and_asks_for_a_new_link(
    store: SQLiteStore, verifier: DashboardTokenVerifier, clock: FakeClock
) -> None:
    token, _ = issue(store, ACCOUNT, HOUR, NOW)
    clock.now = NOW + HOUR - 1
    verifier.authenticate(token, ACCOUNT, "read")
    clock.now = NOW + HOUR
    error = refused(verifier, token, ACCOUNT, "read")
    assert error.status == 401
    assert "expired" in error.message and "dashboard-link --account 12345678" in error.message


def test_a_revoked_token_is_401_from_the_next_request_on(
    store: SQLiteStore, verifier: DashboardTokenVerifier
) -> None:
    token, record = issue(store, ACCOUNT, HOUR, NOW)
    other, _ = issue(store, ACCOUNT, HOUR, NOW)
    verifier.authenticate(token, ACCOUNT, "read")
    store.revoke_dashboard_token(ACCOUNT, record.token_id, NOW + 5)
    error = refused(verifier, token, ACCOUNT, "read")
    assert error.status == 401 and "revoked" in error.message and record.token_id in error.message
    verifier.authenticate(other, ACCOUNT, "read")  # the account's other links still work


def test_altered_tokens_are_401(store: SQLiteStore, verifier: DashboardTokenVerifier) -> None:
    token, record = issue(store, ACCOUNT, HOUR, NOW)
    prefix, account, token_id, expires, signature = token.split(".")
    longer = ".".join([prefix, account, token_id, str(int(expires) + 86_400), signature])
    issue(store, OTHER_ACCOUNT, HOUR, NOW)
    moved = ".".join([prefix, OTHER_ACCOUNT, token_id, expires, signature])
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (longer, moved, flipped):
        error = refused(verifier, bad, ACCOUNT, "read")
        assert error.status == 401 and "signature is not valid" in error.message, bad


def test_a_token_of_an_account_without_links_is_401(verifier: DashboardTokenVerifier) -> None:
    forged = encode_token("guess", ACCOUNT, "0123456789abcdef", NOW + HOUR)
    error = refused(verifier, forged, ACCOUNT, "read")
    assert error.status == 401 and "signature is not valid" in error.message


@pytest.mark.parametrize("text", ["", "abc", "dt1.12345678", "OAuth x", "a" * 5000])
def test_malformed_tokens_are_401(verifier: DashboardTokenVerifier, text: str) -> None:
    error = refused(verifier, text, ACCOUNT, "read")
    assert error.status == 401 and "malformed" in error.message


def test_where_a_request_carries_its_token() -> None:
    query = [("agentIds", "all"), ("access_token", "from-query")]
    assert token_in_request({"authorization": "Bearer abc"}, []) == "abc"
    assert token_in_request({"authorization": "bearer  abc "}, query) == "abc"
    # OAuth 1.0a wins when signed: access_token is then an ordinary (signed) parameter.
    assert token_in_request({"authorization": 'OAuth oauth_signature="x"'}, query) is None
    assert token_in_request({}, query) == "from-query"
    assert token_in_request({}, [("agentIds", "all")]) is None
    with pytest.raises(AuthError, match="access_token is given 2 times"):
        token_in_request({}, [*query, ("access_token", "again")])
