"""What an account id is: the one rule the HTTP paths, the command line and the OpenAPI
document all check (an id outside it names no account, whoever asks)."""

from __future__ import annotations

import re

# 1 to 64 ASCII letters, digits, `-` or `_`: safe in a URL path, a Redis key and a file
# name without escaping.
ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
