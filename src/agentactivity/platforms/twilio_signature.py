"""Twilio's request signature, `X-Twilio-Signature`, as Twilio computes it.

HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio called followed
by every POST parameter sorted by name, each name then its value (no separators, values
decoded); a name given several times contributes each of its distinct values, sorted.
The digest is base64. Twilio's own validator (twilio-python's RequestValidator) also
accepts the URL with the scheme's default port added or any port removed, because what
Twilio signed and what the server sees may differ there (a proxy, a load balancer): so
do we. Comparisons take constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

SIGNATURE_HEADER = "X-Twilio-Signature"


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The base64 HMAC-SHA1 Twilio sends for a POST of `params` to `url`."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    text = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_variants(url: str) -> tuple[str, ...]:
    """The URL as given, with the default port, and without a port (twilio-python's
    add_port / remove_port); a URL whose port cannot be read stays alone."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return (url,)
    host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    if not host:
        return (url,)
    default = 443 if parts.scheme == "https" else 80
    with_port = urlunsplit(parts._replace(netloc=f"{host}:{port or default}"))
    without_port = urlunsplit(parts._replace(netloc=host))
    return tuple(dict.fromkeys((url, with_port, without_port)))


def is_valid(auth_token: str, url: str, params: list[tuple[str, str]], given: str | None) -> bool:
    """Whether `given` (the header's value) signs `params` posted to `url`."""
    if not given or not auth_token:
        return False
    expected = given.strip().encode()
    # Every variant is computed and compared, so the time taken does not tell which matched.
    matched = False
    for variant in url_variants(url):
        computed = signature(auth_token, variant, params).encode()
        matched |= hmac.compare_digest(computed, expected)
    return matched
