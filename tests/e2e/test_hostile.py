"""A real server under hostile request heads: bounded memory, clear answers, still up."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

DISCOVERY = "/api/account/1/service/leDataReporting/baseURI.json"


def raw_request(server: Server, head: bytes, read: int = 65536) -> bytes:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may hang up before reading everything: fine
        try:
            return sock.recv(read)
        except ConnectionResetError:
            return b""


def test_huge_header_is_refused_and_the_server_stays_up(server: Server) -> None:
    head = b"GET " + DISCOVERY.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 2_000_000
    answer = raw_request(server, head + b"\r\n\r\n")
    status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.1") else b""
    assert status in (b"400", b"431", b""), answer[:200]
    assert requests.get(server.base_url + DISCOVERY, timeout=10).status_code == 200


def test_url_over_the_limit_gets_a_json_414(server: Server) -> None:
    long_path = "/operations/api/account/1/agentactivity?agentIds=" + "1," * 40_000
    answer = requests.get(server.base_url + long_path, timeout=10)
    assert answer.status_code == 414
    assert "POST" in answer.json()["message"]
    assert requests.get(server.base_url + DISCOVERY, timeout=10).status_code == 200


def test_a_head_past_the_servers_bound_gets_a_json_answer_and_the_server_stays_up(
    server: Server,
) -> None:
    # Far past what the app's own limits see: the HTTP protocol refuses it while it
    # reads (serve/http.py), with a JSON answer, and closes the connection.
    head = b"GET /operations/api/account/1/agentactivity?agentIds=" + b"1," * 1_000_000
    answer = raw_request(server, head + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 414 "), answer[:200]
    body = rest.partition(b"\r\n\r\n")[2]
    assert b"POST" in body and b'"status":414' in body
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(2000))
    answer = raw_request(server, b"GET " + DISCOVERY.encode() + b" HTTP/1.1\r\nHost: x\r\n" + many)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert requests.get(server.base_url + DISCOVERY, timeout=10).status_code == 200
