import pytest

from signalr_protocol import BinaryRecordReader, ProtocolError, TextRecordReader, decode_varint, encode_varint


def test_text_reader_returns_every_record_in_one_message() -> None:
    reader = TextRecordReader()
    assert reader.feed(b"a\x1eb\x1ec\x1e") == [b"a", b"b", b"c"]
    assert reader.buffered == 0


def test_text_reader_holds_a_record_split_across_messages() -> None:
    reader = TextRecordReader()
    assert reader.feed(b'{"type"') == []
    assert reader.buffered == 7
    assert reader.feed(b':6}\x1e{"ty') == [b'{"type":6}']
    assert reader.feed(b'pe":6}\x1e') == [b'{"type":6}']


def test_text_reader_rejects_an_incomplete_record_over_the_limit() -> None:
    reader = TextRecordReader(max_record_size=8)
    with pytest.raises(ProtocolError, match="exceeds 8 bytes"):
        reader.feed(b"0123456789")


def test_text_reader_rejects_a_complete_record_over_the_limit() -> None:
    reader = TextRecordReader(max_record_size=4)
    with pytest.raises(ProtocolError):
        reader.feed(b"ok\x1etoo long\x1e")


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (0, "00"),
        (53, "35"),
        (127, "7f"),
        (128, "8001"),
        (200, "c801"),
        (5248, "8029"),
        (2**31 - 1, "ffffffff07"),
    ],
)
def test_varint_matches_the_spec_examples(length: int, encoded: str) -> None:
    assert encode_varint(length).hex() == encoded
    assert decode_varint(bytes.fromhex(encoded), 0) == (length, len(encoded) // 2)


def test_varint_waits_for_more_bytes_when_the_continuation_bit_is_set() -> None:
    assert decode_varint(b"\x80", 0) is None


def test_varint_over_five_bytes_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="2GB"):
        decode_varint(b"\x80\x80\x80\x80\x80\x01", 0)


def test_varint_over_2gb_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="2GB"):
        decode_varint(b"\xff\xff\xff\xff\x0f", 0)


def test_binary_reader_splits_records_and_keeps_partial_tail() -> None:
    reader = BinaryRecordReader()
    stream = b"\x02\x91\x06" + b"\x03abc" + b"\x05ab"
    assert reader.feed(stream) == [b"\x91\x06", b"abc"]
    assert reader.feed(b"cde") == [b"abcde"]
    assert reader.buffered == 0


def test_binary_reader_rejects_a_declared_length_over_the_limit_before_it_arrives() -> None:
    reader = BinaryRecordReader(max_record_size=100)
    with pytest.raises(ProtocolError, match="exceeds 100 bytes"):
        reader.feed(encode_varint(101))
