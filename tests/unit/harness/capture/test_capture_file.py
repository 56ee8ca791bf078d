"""The capture file's writer and reader: a new file, whole lines, counters, version check."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from harness.capture.capture_file import CaptureError, CaptureWriter, read_capture
from harness.capture.redaction import fingerprint


def writer(path: Path, *, force: bool = False) -> CaptureWriter:
    ticks = itertools.count(100.0, 0.25)
    return CaptureWriter(path, force=force, clock=lambda: next(ticks))


def test_header_entries_and_end_with_counts(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    w = writer(out)
    w.header(upstream="http://127.0.0.1:5000", listen="127.0.0.1:4000", silence_s=5.0)
    w.write_all(
        [
            {"kind": "open", "t": w.t(), "conn": "market-1", "status": 101},
            {"kind": "open", "t": w.t(), "conn": "user-2", "status": 401},
            {"kind": "record", "t": w.t(), "conn": "market-1"},
            {"kind": "rest", "t": w.t()},
        ]
    )
    w.end("signal")
    entries = read_capture(out)
    assert entries[0]["kind"] == "capture"
    assert entries[0]["version"] == 1
    assert entries[0]["t"] == 0.0
    assert entries[0]["started"].endswith("Z")
    assert [e["t"] for e in entries[1:5]] == [0.25, 0.5, 0.75, 1.0]
    assert entries[-1] == {
        "kind": "end",
        "t": 1.25,
        "reason": "signal",
        "connections": 1,
        "records": 1,
        "rest": 1,
    }


def test_an_existing_file_is_refused_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    out.write_text("keep me\n")
    with pytest.raises(CaptureError, match="exists"):
        writer(out)
    assert out.read_text() == "keep me\n"
    writer(out, force=True).end("signal")
    assert out.read_text().startswith('{"kind":"end"')


def test_a_jwt_that_slipped_through_is_caught_at_the_write(tmp_path: Path) -> None:
    jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.c2ln"
    w = writer(tmp_path / "c.jsonl")
    w.header(upstream="u", listen="l", silence_s=1.0)
    w.write({"kind": "record", "t": 0.0, "note": f"x {jwt} y"})
    w.end("signal")
    text = (tmp_path / "c.jsonl").read_text()
    assert jwt not in text
    assert fingerprint(jwt) in text


def test_the_reader_wants_a_version_1_header(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind":"rest","t":0}\n')
    with pytest.raises(CaptureError, match="not a version 1 capture"):
        read_capture(bad)
    bad.write_text('{"kind":"capture","version":2,"t":0}\n')
    with pytest.raises(CaptureError, match="not a version 1 capture"):
        read_capture(bad)
    bad.write_text('{"kind":"capture","version":1,"t":0}\n{"kind":"rest",\n')
    with pytest.raises(CaptureError, match=":2: not JSON"):
        read_capture(bad)
    bad.write_text("")
    with pytest.raises(CaptureError, match="empty"):
        read_capture(bad)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full (every write: ENOSPC)")
def test_a_failed_write_stops_the_writing_and_is_reported_once() -> None:
    errors: list[OSError] = []
    ticks = itertools.count()
    w = CaptureWriter(Path("/dev/full"), force=True, clock=lambda: next(ticks), on_error=errors.append)
    w.header(upstream="u", listen="l", silence_s=1.0)
    w.write({"kind": "rest", "t": 0.0})
    w.end("signal")
    assert len(errors) == 1
    assert w.error is errors[0]
    assert w.rest == 0  # nothing is attempted after the first failure
