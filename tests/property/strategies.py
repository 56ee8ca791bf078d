"""Hypothesis strategies for hub messages and the values they carry."""

from hypothesis import strategies as st

from signalr_protocol import (
    PING,
    Ack,
    CancelInvocation,
    Close,
    Completion,
    Invocation,
    Sequence,
    StreamInvocation,
    StreamItem,
)

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
scalars = (
    st.none()
    | st.booleans()
    | INT64
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)


def values(extra: st.SearchStrategy[object] | None = None) -> st.SearchStrategy[object]:
    leaves = scalars if extra is None else scalars | extra
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=12,
    )


ids = st.text(min_size=1, max_size=12)
headers = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)
stream_ids = st.lists(ids, max_size=3).map(tuple)
targets = st.text(min_size=1, max_size=16)


def messages(value_strategy: st.SearchStrategy[object] | None = None) -> st.SearchStrategy[object]:
    v = value_strategy if value_strategy is not None else values()
    return st.one_of(
        st.builds(Invocation, targets, st.lists(v, max_size=4), st.none() | ids, stream_ids, headers),
        st.builds(StreamItem, ids, v, headers),
        st.builds(lambda i, r, h: Completion(i, result=r, has_result=True, headers=h), ids, v, headers),
        st.builds(lambda i, e, h: Completion(i, error=e, headers=h), ids, st.text(max_size=20), headers),
        st.builds(lambda i, h: Completion(i, headers=h), ids, headers),
        st.builds(StreamInvocation, ids, targets, st.lists(v, max_size=4), stream_ids, headers),
        st.builds(CancelInvocation, ids, headers),
        st.just(PING),
        st.builds(Close, st.none() | st.text(max_size=20), st.booleans()),
        st.builds(Ack, st.integers(min_value=0, max_value=2**63 - 1)),
        st.builds(Sequence, st.integers(min_value=0, max_value=2**63 - 1)),
    )


def splits(data: bytes) -> st.SearchStrategy[list[bytes]]:
    """Every way to cut ``data`` into consecutive chunks."""
    return st.lists(st.integers(min_value=0, max_value=len(data)), max_size=12).map(
        lambda cuts: [data[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(data)], strict=True)]
    )
