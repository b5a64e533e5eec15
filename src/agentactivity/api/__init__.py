"""HTTP only: parse and validate requests into typed ones, authenticate (OAuth 1.0a or a
dashboard token), rate limit, call the service, encode. No figures are computed here.

May import the domain, store/ (its errors), engine/, service/ and dashboard/ (the page);
serve/ and cli/ import it.
"""
