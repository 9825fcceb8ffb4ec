"""Reading vendor files: JSON documents vs NDJSON, CSV quirks, clear whole-file errors."""

from __future__ import annotations

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors.loading import load_csv, load_json, read_text


def test_json_document_and_ndjson(write):
    doc = load_json(write("a.json", '[{"a": 1}, {"a": 2}]'))
    assert not doc.is_ndjson and doc.document == [{"a": 1}, {"a": 2}]
    nd = load_json(write("b.ndjson", '{"a": 1}\n\n{"a": 2}\n{"a": \n'))
    assert nd.is_ndjson
    assert [(x.locator, x.record) for x in nd.lines or []] == [
        ("b.ndjson:line 1", {"a": 1}),
        ("b.ndjson:line 3", {"a": 2}),
    ]
    assert [b[0] for b in nd.bad_lines] == ["b.ndjson:line 4"]


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
