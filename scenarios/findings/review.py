"""The review's ids, each in one sentence of our words (``../shared/seed``: a review of
project-x-py 3.3.0's realtime module; DESIGN.md section 3). R-ids are its findings, T-ids the tests
it recommends; X-ids are failures this project found that the review does not list. A client's
findings (the tables beside this file) say, per id, what that client really does."""

from __future__ import annotations

from typing import NamedTuple


class ReviewId(NamedTuple):
    title: str
    claim: str  # what the review says goes wrong (or, for a T-id, what to test), in our words


REVIEW: dict[str, ReviewId] = {
    "R1": ReviewId(
        "Connection state set without synchronisation",
        "The hub-open callbacks set the connected flags and ready events from the SignalR thread "
        "with no synchronisation, so the client can report a hub ready before (or while) it fails.",
    ),
    "R2": ReviewId(
        "No health monitoring: half-open links go unnoticed",
        "is_connected() reads two booleans; nothing checks that a hub still delivers, so a silent or "
        "half-open link stays 'connected'.",
    ),
    "R3": ReviewId(
        "Token refresh can deadlock or leave the client inconsistent",
        "update_jwt_token() disconnects and reconnects with no timeout while holding the connection "
        "lock; if connect() fails or hangs the client is left without hubs, stuck or inconsistent.",
    ),
    "R4": ReviewId(
        "Fixed reconnect intervals, no retry limit",
        "Reconnects follow a hard-coded [1, 3, 5, 5, 5, 5] s schedule with no jitter and no limit, "
        "so clients retry in lockstep and never give up visibly.",
    ),
    "R5": ReviewId(
        "Event loop flooded by cross-thread scheduling",
        "Every message becomes a run_coroutine_threadsafe future on the loop, with no queue bound "
        "or overflow policy, so a burst can flood the loop.",
    ),
    "R6": ReviewId(
        "No circuit breaker for callbacks",
        "A callback that always raises is run, and its traceback logged, on every event: nothing "
        "stops or rate-limits it.",
    ),
    "R7": ReviewId(
        "Lock ordering and re-entrancy",
        "Callbacks run while the client's locks are involved; a callback that subscribes, "
        "unsubscribes or registers callbacks could deadlock.",
    ),
    "R8": ReviewId(
        "Locks without timeouts",
        "Connection operations hold a lock with no timeout: if one hangs (a negotiate or handshake "
        "that never answers), every other operation waits forever.",
    ),
    "R9": ReviewId(
        "Unbounded callback storage",
        "Callbacks are kept in lists with no limit, no de-duplication and no removal of dead "
        "references, so they can pile up.",
    ),
    "R10": ReviewId(
        "Statistics grow without bound",
        "The statistics dictionary grows over a long session with no rotation or pruning.",
    ),
    "R11": ReviewId(
        "JWT in the URL",
        "The token travels as ?access_token= in every hub URL, where server, proxy and client logs keep it.",
    ),
    "R12": ReviewId(
        "Errors classified by class-name strings",
        "Hub errors are told apart by matching 'CompletionMessage' in a class name, so real errors "
        "(an error completion, a Close with an error) can be dropped or misread.",
    ),
    "R13": ReviewId(
        "Subscription race",
        "Concurrent subscribe and unsubscribe calls are not synchronised, so subscriptions are "
        "duplicated or the client's record disagrees with the server.",
    ),
    "R14": ReviewId(
        "The hub-ready wait can block",
        "connect() waits on ready events that another thread may clear, so it can wait its full "
        "timeout (or forever) for a hub that is, or is not, there.",
    ),
    "R15": ReviewId(
        "Batching handler: long breaker, fixed size, queue spikes",
        "The optional batching path has a 60 s circuit breaker, no adaptive batch size and a queue "
        "that can spike under a sustained burst.",
    ),
    "R16": ReviewId(
        "Task leaks at high throughput",
        "The task manager may not clean up the tasks it creates under high message rates, so they "
        "accumulate.",
    ),
    "R17": ReviewId(
        "No recovery from a partial failure",
        "If one hub fails while the other lives, nothing recovers the failed one alone or degrades "
        "gracefully.",
    ),
    "R18": ReviewId(
        "No application heartbeat",
        "Nothing at the application level detects a hub that keeps TCP up but sends nothing; only "
        "SignalR's own keep-alive is relied on.",
    ),
    "T1": ReviewId(
        "Load: 1000+ messages per second", "Receive 1000+ msg/s without loss or unbounded queues."
    ),
    "T2": ReviewId(
        "Recovery under each failure", "After each kind of fault the client reconnects and streams again."
    ),
    "T3": ReviewId("Memory over 24 hours", "A long run at load keeps memory bounded."),
    "T4": ReviewId(
        "Network partition", "A partition is detected, and the hub healed, with nothing lost silently."
    ),
    "T5": ReviewId("Partial hub failure", "One hub down: the other streams on; the down one recovers alone."),
    "T6": ReviewId(
        "JWT expiry during high load", "The token expires under load: reconnects use a fresh token."
    ),
    "T7": ReviewId(
        "Concurrent subscribe and unsubscribe",
        "Many simultaneous subscription changes end with the server holding exactly the intended set.",
    ),
    "T8": ReviewId(
        "Callback churn during data flow",
        "Registering and removing callbacks while messages flow neither breaks delivery nor leaks.",
    ),
    "T9": ReviewId(
        "State changes during subscriptions",
        "A connection change while subscriptions are in flight ends with the intended subscriptions.",
    ),
    "X1": ReviewId(
        "Duplicated messages delivered twice",
        "A message the server sends twice reaches the user's callbacks twice: no sequence check.",
    ),
    "X2": ReviewId(
        "Losses on a dead link go unreported",
        "Messages sent while the client takes a dead or silent link for a live one are lost and it tells "
        "nobody: no gap event, no sequence check. (What was in flight at the very moment a link died is "
        "not held against a client that sees no sequence numbers: the real Gateway sends none.)",
    ),
    "X3": ReviewId(
        "Protocol errors from the server are swallowed",
        "A malformed record is dropped (with what shared its frame) and the connection carries on as if "
        "nothing happened: no error, no reconnect.",
    ),
    "X5": ReviewId(
        "Order-book increments dropped under load",
        "Depth updates are increments per price level; a client that keeps only the latest per contract "
        "(as quotes may be) loses increments and its book goes wrong without a word.",
    ),
    "X4": ReviewId(
        "Records split across WebSocket frames are lost",
        "A record that arrives in two WebSocket messages is never reassembled: it is dropped without a word.",
    ),
    "X6": ReviewId(
        "Every market message delivered twice",
        "The client registers its market handlers twice, so each quote, trade and depth message the server "
        "sends once reaches the user's callbacks two times.",
    ),
    "X7": ReviewId(
        "No keep-alive: idle hubs dropped by the server",
        "The client sends nothing while idle, so the server's client timeout (ASP.NET's default 30 s) closes "
        "its hubs again and again.",
    ),
}
REVIEW_IDS = tuple(i for i in REVIEW if not i.startswith("X"))
