"""Invocations and streams: exactly one Completion per id, ASP.NET's error texts, ordering."""

import aiohttp
import pytest

from signalr_protocol import CancelInvocation, Completion, Invocation, StreamInvocation, StreamItem
from simulator import SimulatorServer

from .conftest import connect


@pytest.mark.parametrize(
    ("invocation", "completion"),
    [
        (Invocation("Add", [40, 2], "1"), Completion.with_result("1", 42)),
        (Invocation("add", [1, 1], "2"), Completion.with_result("2", 2)),  # case-insensitive lookup
        (Invocation("Subscribe", [], "3"), Completion.with_result("3", True)),
        (Invocation("Nope", [], "4"), Completion.with_error("4", "Unknown hub method 'Nope'")),
        (
            Invocation("Add", [1], "5"),
            Completion.with_error("5", "Failed to invoke 'Add' due to an error on the server."),
        ),
        (
            Invocation("Add", ["a", "b"], "6"),
            Completion.with_error("6", "Failed to invoke 'Add' due to an error on the server."),
        ),
        (
            Invocation("Fail", ["boom"], "7"),
            Completion.with_error(
                "7", "An unexpected error occurred invoking 'Fail' on the server. HubException: boom"
            ),
        ),
        (
            Invocation("Counter", [1, 1], "8"),
            Completion.with_error(
                "8",
                "The client attempted to invoke the streaming 'Counter' method with a non-streaming invocation.",
            ),
        ),
        (
            Invocation("Echo", [1], "9", stream_ids=("s",)),
            Completion.with_error(
                "9",
                "An unexpected error occurred invoking 'Echo' on the server. "
                "HubException: Client sent 1 stream(s), Hub method expects 0.",
            ),
        ),
    ],
)
async def test_every_invocation_with_an_id_gets_one_completion(
    server: SimulatorServer, http: aiohttp.ClientSession, invocation: Invocation, completion: Completion
) -> None:
    client = await connect(http, server.url)
    await client.send(invocation)
    await client.send(Invocation("Echo", ["marker"], "last"))
    assert await client.next_message() == completion
    assert await client.next_message() == Completion.with_result("last", "marker")
    await client.ws.close()


async def test_invocations_without_id_get_no_completion(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    for message in (Invocation("Add", [1, 2]), Invocation("Nope", []), Invocation("Fail", ["x"])):
        await client.send(message)
    await client.send(Invocation("Echo", ["marker"], "last"))
    assert await client.next_message() == Completion.with_result("last", "marker")
    await client.ws.close()


async def test_stream_sends_items_then_an_empty_completion(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.send(StreamInvocation("s1", "Counter", [3, 1]))
    assert [await client.next_message() for _ in range(4)] == [
        StreamItem("s1", 0),
        StreamItem("s1", 1),
        StreamItem("s1", 2),
        Completion.void("s1"),
    ]
    await client.ws.close()


async def test_cancel_ends_a_stream_with_an_empty_completion(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.send(StreamInvocation("s1", "Counter", [1000, 20]))
    assert await client.next_message() == StreamItem("s1", 0)
    await client.send(CancelInvocation("s1"))
    while (message := await client.next_message()) != Completion.void("s1"):
        assert isinstance(message, StreamItem)
    await client.send(Invocation("Echo", [1], "after"))
    assert await client.next_message() == Completion.with_result("after", 1)
    await client.ws.close()


async def test_streaming_a_non_streaming_method_is_refused(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.send(StreamInvocation("s1", "Echo", [1]))
    reply = await client.next_message()
    assert reply == Completion.with_error(
        "s1", "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation."
    )
    await client.ws.close()


async def test_subscribed_client_receives_ticks_and_broadcasts(
    server: SimulatorServer, http: aiohttp.ClientSession
) -> None:
    client = await connect(http, server.url)
    await client.send(Invocation("Subscribe", [], "1"))
    assert await client.next_message() == Completion.with_result("1", True)
    tick = await client.next_message()
    assert isinstance(tick, Invocation)
    assert tick.target == "Tick"
    assert tick.invocation_id is None
    assert tick.arguments[0]["ask"] - tick.arguments[0]["bid"] == 0.25
    await client.send(Invocation("Unsubscribe", [], "2"))
    while (message := await client.next_message()) != Completion.with_result("2", True):
        assert isinstance(message, Invocation)
    await client.send(Invocation("Broadcast", ["hello"], "3"))
    seen = [await client.next_message() for _ in range(2)]
    assert Completion.with_result("3", 1) in seen
    assert any(
        isinstance(m, Invocation) and m.target == "Message" and m.arguments[1] == "hello" for m in seen
    )
    await client.ws.close()
