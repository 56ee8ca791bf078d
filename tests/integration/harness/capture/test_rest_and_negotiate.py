"""REST and negotiate through the capture: answers unchanged, exchanges recorded, ids linked."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from harness.capture import CaptureProxy, fingerprint
from simulator.projectx import Gateway

from .conftest import API_KEY, BareUpstream, entries, entry, login, negotiate, open_hub


async def fetch(
    http: aiohttp.ClientSession, method: str, url: str, token: str | None, body: bytes | None
) -> tuple[int, str | None, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with http.request(method, url, data=body, headers=headers) as response:
        return response.status, response.headers.get("Content-Type"), await response.read()


REQUESTS = [
    ("POST", "/api/Contract/search", b'{"searchText":"MNQ","live":false}'),
    ("POST", "/api/Account/search", b'{"onlyActiveAccounts":true}'),
    ("POST", "/api/Nope/nope", b"{}"),
    ("GET", "/_sim/faults?x=1&x=2", None),
]


async def test_rest_answers_are_the_upstreams_byte_for_byte(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    token = await login(http, capture.url)
    for method, path, body in REQUESTS:
        direct = await fetch(http, method, gateway.server.url + path, token, body)
        proxied = await fetch(http, method, capture.url + path, token, body)
        assert proxied == direct, path
    status, _, _ = await fetch(http, "POST", capture.url + "/api/Contract/search", token, b"not json")
    assert status == 400  # its body carries a random traceId: compared in the entry only
    rest = entries(capture, "rest")
    assert [(e["method"], e["path"]) for e in rest] == [
        ("POST", "/api/Auth/loginKey"),
        *[(m, p.split("?")[0]) for m, p, _ in REQUESTS],
        ("POST", "/api/Contract/search"),
    ]
    login_entry, search, _, missing, faults, not_json = rest
    assert login_entry["request"] == {"userName": "sim", "apiKey": {"redacted": fingerprint(API_KEY)}}
    assert login_entry["response"]["token"] == {"redacted": fingerprint(token)}
    assert login_entry["token"] == {"where": None, "fp": None}
    assert search["status"] == 200
    assert search["request"] == {"searchText": "MNQ", "live": False}
    assert search["response"]["contracts"][0]["name"].startswith("MNQ")
    assert search["token"] == {"where": "header", "fp": fingerprint(token)}
    assert search["took_ms"] > 0
    assert missing["status"] == 404
    assert not_json["request"] == {"bytes": 8}
    assert not_json["response"]["status"] == 400
    assert faults["query"] == {"x": ["1", "2"]}
    assert faults["request"] is None


@pytest.fixture
def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_upstream_is_a_502_with_the_reason(
    dead_port: int, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    async with CaptureProxy(f"http://127.0.0.1:{dead_port}", tmp_path / "c.jsonl") as proxy:
        async with http.post(f"{proxy.url}/api/Auth/loginKey", json={"apiKey": API_KEY}) as r:
            assert r.status == 502
            assert "Cannot connect" in await r.text()
        async with http.post(f"{proxy.url}/hubs/market/negotiate") as r:
            assert r.status == 502
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{proxy.url}/hubs/market")
        assert refused.value.status == 502
    [rest] = entries(proxy, "rest")
    assert rest["status"] == 502
    assert "Cannot connect" in rest["error"]
    assert rest["response"] is None
    [negotiated] = entries(proxy, "negotiate")
    assert negotiated["status"] == 502
    assert "Cannot connect" in negotiated["error"]
    [opened] = entries(proxy, "open")
    assert opened["status"] == 502
    assert "Cannot connect" in opened["error"]
    assert entries(proxy, "close") == []
    assert entries(proxy)[-1] | {"t": 0} == {
        "kind": "end",
        "t": 0,
        "reason": "signal",
        "connections": 0,
        "records": 0,
        "rest": 1,
    }


async def test_negotiate_v0_v1_and_skipped_negotiation_link_to_their_open(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    token = await login(http, capture.url)
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(f"{capture.url}/hubs/market/negotiate/?negotiateVersion=1", headers=headers) as r:
        v1 = await r.json()  # a trailing slash, as ASP.NET Core's routing allows
    assert v1["negotiateVersion"] == 1
    v0 = await negotiate(http, capture.url, "user", token)
    assert v0["negotiateVersion"] == 0
    for version in (1, 0, None):
        client = await open_hub(http, capture.url, "market", token, negotiate_version=version)
        await client.ws.close()
    negotiated = entries(capture, "negotiate")
    assert [(e["hub"], e["negotiate_version"], e["status"]) for e in negotiated] == [
        ("market", 1, 200),
        ("user", 0, 200),
        ("market", 1, 200),
        ("market", 0, 200),
    ]
    assert negotiated[0]["id_fp"] == fingerprint(v1["connectionToken"])
    assert negotiated[1]["id_fp"] == fingerprint(v0["connectionId"])
    assert all(e["token"] == {"where": "header", "fp": fingerprint(token)} for e in negotiated)
    opened = entries(capture, "open")
    assert [e["conn"] for e in opened] == ["market-1", "market-2", "market-3"]
    assert [e["status"] for e in opened] == [101, 101, 101]
    assert opened[0]["id_fp"] == negotiated[2]["id_fp"]
    assert opened[1]["id_fp"] == negotiated[3]["id_fp"]
    assert opened[2]["id_fp"] is None  # negotiation skipped
    await entry(capture, "close", conn="market-3")
    assert [e["by"] for e in entries(capture, "close")] == ["client"] * 3


async def test_requests_and_answers_pass_unchanged_but_for_the_host(
    bare: BareUpstream, bare_capture: CaptureProxy
) -> None:
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        sent = {"Authorization": "Bearer opaque-token", "X-Custom": "1", "Content-Type": "text/plain"}
        seen = []
        for base in (bare.url, bare_capture.url):
            url = URL(f"{base}/echo?a=%2F&b=", encoded=True)
            async with http.put(url, headers=sent, data=b"raw body") as r:
                seen.append(await r.json())
        assert seen[1] == seen[0]
        assert seen[0]["raw_path"] == "/echo?a=%2F&b="
        answers = []
        for base in (bare.url, bare_capture.url):
            async with http.get(f"{base}/teapot") as r:
                answers.append(
                    (
                        r.status,
                        r.reason,
                        r.headers["Content-Encoding"],
                        r.headers["X-Upstream"],
                        await r.read(),
                    )
                )
        assert answers[1] == answers[0] == (418, "Short And Stout", "gzip", "yes", BareUpstream.GZIP_BODY)
    echo, teapot = entries(bare_capture, "rest")
    assert echo["method"] == "PUT"
    assert echo["query"] == {"a": "/", "b": ""}
    assert echo["request"] == {"bytes": 8}
    assert echo["token"] == {"where": "header", "fp": fingerprint("opaque-token")}
    assert teapot["response"] == {"teapot": True}  # recorded decompressed, passed on as sent


async def test_a_negotiate_error_reply_is_kept_apart_from_an_unreachable_upstream(
    gateway: Gateway, capture: CaptureProxy, http: aiohttp.ClientSession
) -> None:
    token = await login(http, capture.url)
    body = await negotiate(http, capture.url, "market", token, negotiateVersion="x")
    assert body == {"error": "The client requested a non-integer protocol version."}
    [negotiated] = entries(capture, "negotiate")
    assert negotiated["status"] == 200
    assert negotiated["negotiate_version"] is None
    assert negotiated["reply_error"] == body["error"]
    assert "error" not in negotiated


async def test_hubs_on_another_host_go_to_the_hubs_upstream(
    gateway: Gateway, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    async with (
        BareUpstream() as api,
        CaptureProxy(api.url, tmp_path / "split.jsonl", hubs_upstream=gateway.server.url) as capture,
    ):
        async with http.get(f"{capture.url}/echo") as response:
            assert response.status == 200  # REST: the API host answered
        token = await login(http, gateway.server.url)  # the API host here knows no login
        hub = await open_hub(http, capture.url, "market", token)  # negotiate and upgrade: the hubs' host
        await hub.ws.close()
        await entry(capture, "close", conn="market-1")
    header = entries(capture, "capture")[0]
    assert (header["upstream"], header["hubs_upstream"]) == (api.url, gateway.server.url)
    assert [e["status"] for e in entries(capture, "negotiate")] == [200]
    assert [e["status"] for e in entries(capture, "open")] == [101]
