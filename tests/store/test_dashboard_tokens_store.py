"""Dashboard links in the store, the same on every backend: one secret per account, made
once; links kept per account, listed, revoked once."""

from __future__ import annotations

from agentactivity.dashboard_token import DashboardToken
from agentactivity.store import Store


def link(account: str, token_id: str, created: int = 1_000) -> DashboardToken:
    return DashboardToken(account, token_id, f"label {token_id}", created, created + 3_600_000)


def test_a_secret_is_made_once_per_account(any_store: Store) -> None:
    assert any_store.dashboard_secret("a") is None
    first = any_store.dashboard_secret("a", create=True)
    assert first is not None and len(first) == 64
    assert any_store.dashboard_secret("a", create=True) == first
    assert any_store.dashboard_secret("a") == first
    other = any_store.dashboard_secret("b", create=True)
    assert other is not None and other != first


def test_links_are_kept_listed_and_revoked_per_account(any_store: Store) -> None:
    token_id = "0123456789abcdef"
    any_store.add_dashboard_token(link("a", token_id))
    any_store.add_dashboard_token(link("a", "fedcba9876543210", created=2_000))
    any_store.add_dashboard_token(link("b", token_id))  # the same id in another account
    assert any_store.dashboard_token("a", token_id) == link("a", token_id)
    assert [t.token_id for t in any_store.dashboard_tokens("a")] == [
        token_id,
        "fedcba9876543210",
    ]
    assert any_store.dashboard_token("c", token_id) is None
    assert any_store.dashboard_tokens("c") == []

    revoked = any_store.revoke_dashboard_token("a", token_id, 5_000)
    assert revoked is not None and revoked.revoked_at == 5_000
    again = any_store.revoke_dashboard_token("a", token_id, 9_000)
    assert again is not None and again.revoked_at == 5_000  # the first revocation holds
    assert revoked.status(0) == "revoked"
    b_link = any_store.dashboard_token("b", token_id)
    assert b_link is not None and b_link.revoked_at is None
    assert any_store.revoke_dashboard_token("a", "0000000000000000", 5_000) is None
