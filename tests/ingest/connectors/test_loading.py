"""Reading vendor files: JSON documents vs NDJSON, CSV quirks, clear whole-file errors."""

from __future__ import annotations

import tracemalloc

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import loading
from uptake.ingest.connectors.loading import BadLine, Located, load_csv, load_json, read_text


def test_json_document_and_ndjson(write):
    doc = load_json(write("a.json", '[{"a": 1}, {"a": 2}]'))
    assert not doc.is_ndjson and doc.document == [{"a": 1}, {"a": 2}]
    nd = load_json(write("b.ndjson", '{"a": 1}\n\n{"a": 2}\n{"a": \n'))
    assert nd.is_ndjson
    lines = list(nd.lines or [])
    assert [(x.locator, x.record) for x in lines if isinstance(x, Located)] == [
        ("b.ndjson:line 1", {"a": 1}),
        ("b.ndjson:line 3", {"a": 2}),
    ]
    assert [x.locator for x in lines if isinstance(x, BadLine)] == ["b.ndjson:line 4"]


def test_truncated_document_is_an_error_with_position(write):
    with pytest.raises(InputError) as err:
        load_json(write("t.json", '{\n  "a": [1,\n'))
    assert "t.json: line 3 column 1" in err.value.message


def test_nan_is_not_json(write):
    with pytest.raises(InputError, match="NaN is not valid JSON"):
        load_json(write("n.json", '{"a": NaN}'))


def test_empty_binary_and_missing_files(write, tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_text(write("e.csv", "  \n"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_text(write("b.json", b'{"a": "\xff\xfe"}'))
    with pytest.raises(InputError, match="cannot read"):
        read_text(tmp_path / "missing.json")


def test_csv_bom_quotes_duplicates_and_short_rows(write):
    text = '\ufeffA,B,B,C\n1,"two\nlines",,x\n3,,dup,y\n4,5\n\n6,7,8,9\n'
    data = load_csv(write("c.csv", text))
    assert data.header == ["A", "B", "B", "C"]
    assert [(r.locator, r.record) for r in data.rows] == [
        ("c.csv:line 2", {"A": "1", "B": "two\nlines", "C": "x"}),
        ("c.csv:line 4", {"A": "3", "B": "dup", "C": "y"}),
        ("c.csv:line 7", {"A": "6", "B": "7", "C": "9"}),
    ]
    assert [(m[0], m[2]) for m in data.malformed] == [
        ("c.csv:line 5", "2 cells, the header has 4 columns")
    ]


def test_csv_truncated_inside_quotes(write):
    data = load_csv(write("q.csv", 'A,B\n1,2\n3,"unfinished'))
    assert [r.record for r in data.rows] == [{"A": "1", "B": "2"}]
    assert len(data.malformed) == 1


def test_ndjson_lines_split_at_line_feeds_only(write):
    # U+2028 and U+0085 are line breaks to `str.splitlines` but may stand raw in a JSON string.
    text = '{"a": "one\u2028two"}\r\n{"a": "three\x85four"}\n'
    nd = load_json(write("s.ndjson", text))
    assert [(x.locator, x.record) for x in nd.lines or []] == [
        ("s.ndjson:line 1", {"a": "one\u2028two"}),
        ("s.ndjson:line 2", {"a": "three\x85four"}),
    ]


def test_ndjson_byte_order_mark_and_bad_line_excerpt(write):
    nd = load_json(write("m.ndjson", b'\xef\xbb\xbf{"a": 1}\r\n{"a": oops}\r\n'))
    first, bad = list(nd.lines or [])
    assert isinstance(first, Located) and first.record == {"a": 1}
    assert isinstance(bad, BadLine)
    assert (bad.locator, bad.excerpt) == ("m.ndjson:line 2", '{"a": oops}')


def test_a_byte_that_is_not_utf8_deep_in_ndjson_refuses_the_file(write):
    lines = [b'{"a": 1}\n', b'{"a": 2}\n', b'{"a": "\xff"}\n', b'{"a": 4}\n']
    nd = load_json(write("u.ndjson", b"".join(lines)))
    with pytest.raises(InputError) as err:
        list(nd.lines or [])
    # The same line as reading the whole file names, and the byte's offset in the file.
    offset = len(lines[0]) + len(lines[1]) + len(b'{"a": "')
    assert f"u.ndjson: line 3: byte {offset} is not UTF-8" in err.value.message
    with pytest.raises(InputError, match=f"line 3: byte {offset} is not UTF-8"):
        read_text(write("u.ndjson", b"".join(lines)))


def test_a_one_line_object_is_a_document_and_a_pretty_one_too(write):
    assert load_json(write("o.json", '{"a": 1}\n\n')).document == {"a": 1}
    assert load_json(write("p.json", '{\n  "a": 1\n}\n')).document == {"a": 1}
    with pytest.raises(InputError, match="empty"):
        load_json(write("e.json", "\n \n"))


def test_ndjson_is_parsed_as_it_is_read_not_held_whole(write):
    # 300 records of 100 KB each: the file is 30 MB, and reading every line holds one at a time.
    big = "x" * 100_000
    path = write("big.ndjson", "".join(f'{{"n": {i}, "pad": "{big}"}}\n' for i in range(300)))
    tracemalloc.start()
    try:
        seen = sum(1 for x in load_json(path).lines or [] if isinstance(x, Located))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 300
    assert peak < 3_000_000, f"peak {peak:,} bytes while reading a 30 MB file"


def test_a_document_on_one_line_is_parsed_once(write, monkeypatch):
    # Google's activities answer is one line of tens of megabytes: the first-line look that
    # tells NDJSON apart must not be followed by a second parse of the same text.
    calls = []
    real = loading._loads
    monkeypatch.setattr(loading, "_loads", lambda text: calls.append(len(text)) or real(text))
    doc = load_json(write("one.json", '[{"a": 1}, {"a": 2}]\n'))
    assert doc.document == [{"a": 1}, {"a": 2}] and not doc.is_ndjson
    assert len(calls) == 1
