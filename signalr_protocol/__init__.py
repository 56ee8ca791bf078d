"""Sans-I/O ASP.NET Core SignalR: messages, JSON and MessagePack codecs, framing, negotiate and
handshake models, and a connection state machine with time passed in.

No asyncio, no sockets, no clock reads: the simulator, the reference client, locust users and
property tests all drive the same objects.
"""

from .connection import (
    Closed,
    CloseReason,
    Connection,
    Event,
    HandshakeCompleted,
    HandshakeRequested,
    Role,
    State,
    Timeouts,
)
from .errors import HandshakeError, NegotiateError, ProtocolError, SignalRError, UsageError
from .framing import BinaryRecordReader, TextRecordReader, decode_varint, encode_varint
from .handshake import HandshakeRequest, HandshakeResponse
from .messages import (
    CONNECTION_CLOSED_WITH_ERROR,
    EMPTY_HEADERS,
    HANDSHAKE_CANCELED,
    HANDSHAKE_UNEXPECTED,
    PING,
    Ack,
    CancelInvocation,
    Close,
    Completion,
    HubMessage,
    Invocation,
    MessageType,
    Ping,
    Sequence,
    StreamInvocation,
    StreamItem,
)
from .negotiate import (
    WEBSOCKETS,
    NegotiateRedirect,
    NegotiateRequest,
    NegotiateResponse,
    Transport,
    parse_negotiate_query,
    parse_negotiate_response,
)
from .protocols import JSON, MESSAGEPACK, HubProtocol, protocol_named

__all__ = [
    "CONNECTION_CLOSED_WITH_ERROR",
    "EMPTY_HEADERS",
    "HANDSHAKE_CANCELED",
    "HANDSHAKE_UNEXPECTED",
    "JSON",
    "MESSAGEPACK",
    "PING",
    "WEBSOCKETS",
    "Ack",
    "BinaryRecordReader",
    "CancelInvocation",
    "Close",
    "CloseReason",
    "Closed",
    "Completion",
    "Connection",
    "Event",
    "HandshakeCompleted",
    "HandshakeError",
    "HandshakeRequest",
    "HandshakeRequested",
    "HandshakeResponse",
    "HubMessage",
    "HubProtocol",
    "Invocation",
    "MessageType",
    "NegotiateError",
    "NegotiateRedirect",
    "NegotiateRequest",
    "NegotiateResponse",
    "Ping",
    "ProtocolError",
    "Role",
    "Sequence",
    "SignalRError",
    "State",
    "StreamInvocation",
    "StreamItem",
    "TextRecordReader",
    "Timeouts",
    "Transport",
    "UsageError",
    "decode_varint",
    "encode_varint",
    "parse_negotiate_query",
    "parse_negotiate_response",
    "protocol_named",
]
