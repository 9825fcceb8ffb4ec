"""The connector registry, and fuzzing every reader with mutated samples: never a traceback.

Each published sample (and each example export) is truncated at random offsets, has random
values replaced by values of other types, and gets random extra fields. Whatever happens,
a reader must either return canonical frames and located rejects, or raise InputError
naming the file — and never fall back to its internal-error guard.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.errors import InputError
from uptake.ingest.connectors import CONNECTORS
from uptake.ingest.connectors.base import LOCATOR
from uptake.ingest.connectors.collect import INTERNAL
from uptake.schema.tables import ACTIONS, TABLES

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
FIXTURES = HERE / "fixtures"
REASONS = {
    "missing_required",
    "bad_type",
    "bad_timestamp",
    "bad_enum",
    "bad_json",
    "malformed_record",
    "unsupported_record",
}

CASES: list[tuple[str, Path, dict[str, Any]]] = [
    ("github-copilot-usage", SAMPLES / "github_copilot_usage_metrics_user_level_example.json", {}),
    (
        "github-copilot-usage",
        SAMPLES / "github_copilot_usage_metrics_enterprise_level_example.json",
        {},
    ),
    ("github-copilot-seats", SAMPLES / "github_copilot_billing_seats_org.json", {}),
    ("github-copilot-metrics", SAMPLES / "github_copilot_metrics_org.json", {}),
    ("m365-copilot-usage", SAMPLES / "m365_copilot_usage_user_detail_v1.0.csv", {}),
    ("m365-copilot-usage", SAMPLES / "m365_copilot_usage_user_detail_beta.json", {}),
    ("m365-copilot-usage", SAMPLES / "m365_copilot_user_count_summary_v1.0.csv", {}),
    ("m365-copilot-usage", SAMPLES / "m365_copilot_user_count_summary_beta.json", {}),
    ("m365-copilot-usage", SAMPLES / "m365_copilot_user_count_trend_v1.0.csv", {}),
    ("m365-copilot-usage", SAMPLES / "m365_copilot_user_count_trend_beta.json", {}),
    ("otlp-genai", SAMPLES / "otlp_trace_export_request.json", {}),
    ("otlp-genai", FIXTURES / "otlp_genai_spans.json", {}),
    ("scim", SAMPLES / "scim_rfc7643_enterprise_user.json", {}),
    ("survey", FIXTURES / "qualtrics_export.csv", {"mapping": "qualtrics"}),
    ("survey", FIXTURES / "google_forms_export.csv", {"mapping": "google_forms"}),
    ("tickets", FIXTURES / "jira_export.csv", {"mapping": "jira"}),
    ("tickets", FIXTURES / "servicenow_export.json", {"mapping": "servicenow"}),
    ("claude-code", SAMPLES / "anthropic_claude_code_usage_report.json", {}),
    ("claude-enterprise", FIXTURES / "claude_enterprise_users.json", {"date": "2026-03-02"}),
    ("claude-enterprise", FIXTURES / "claude_enterprise_summaries.json", {}),
    ("cursor", SAMPLES / "cursor_daily_usage_data.json", {}),
    ("cursor", SAMPLES / "cursor_filtered_usage_events.json", {}),
    ("cursor", SAMPLES / "cursor_filtered_usage_events.json", {"prompts_from": "events"}),
    ("codex", FIXTURES / "codex_usage.json", {}),
    ("chatgpt-enterprise", FIXTURES / "chatgpt_user_engagement.csv", {}),
    ("chatgpt-enterprise", FIXTURES / "chatgpt_gpt_engagement.csv", {}),
    ("gemini-workspace", FIXTURES / "gemini_activities.json", {}),
    ("otlp-metrics", FIXTURES / "otlp_claude_code_metrics.json", {}),
    ("otlp-logs", FIXTURES / "otlp_claude_code_logs.json", {}),
    ("proxy", FIXTURES / "proxy_log.csv", {}),
]
IDS = [f"{fmt}:{path.name}" for fmt, path, _ in CASES]
JSON_CASES = [c for c in CASES if c[1].suffix == ".json"]
CSV_CASES = [c for c in CASES if c[1].suffix == ".csv"]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "2025-10-01", "1e400", "NaN", "-1", "0"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=6), SCALARS, max_size=3),
)


def test_registry_lists_every_format_with_its_tables():
    assert sorted(CONNECTORS) == [
        "chatgpt-enterprise",
        "claude-code",
        "claude-enterprise",
        "codex",
        "cursor",
        "gemini-workspace",
        "github-copilot-metrics",
        "github-copilot-seats",
        "github-copilot-usage",
        "m365-copilot-usage",
        "otlp-genai",
        "otlp-logs",
        "otlp-metrics",
        "proxy",
        "scim",
        "survey",
        "tickets",
    ]
    for c in CONNECTORS.values():
        assert c.description
        assert set(c.tables) <= set(TABLES)
        assert c.needs_mapping == (c.name in ("survey", "tickets"))


@pytest.mark.parametrize(("fmt", "path", "options"), CASES, ids=IDS)
def test_each_sample_reads_cleanly_into_declared_tables(fmt, path, options):
    r = CONNECTORS[fmt].read(path, options)
    assert r.rejects == []
    assert set(r.frames) <= set(CONNECTORS[fmt].tables)
    _check_result(r, path.name)


def _check_result(r: Any, name: str) -> None:
    for table, frame in r.frames.items():
        spec = TABLES[table]
        assert list(frame.columns) == [*spec.names, LOCATOR]
        for col in spec.required:
            assert frame[col].notna().all(), f"{table}.{col} left empty"
        assert frame[LOCATOR].map(lambda s: s.startswith(name)).all()
        if table == "events":
            assert set(frame["action"]) <= set(ACTIONS)
        for col in (c.name for c in spec.columns if c.type == "json"):
            for value in frame[col].dropna():
                json.loads(value)
    for rej in r.rejects:
        assert rej.reason in REASONS, rej
        assert not (rej.detail or "").startswith(INTERNAL), rej
        assert rej.locator.startswith(name), rej


def _read_mutated(fmt: str, name: str, content: bytes, options: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            result = CONNECTORS[fmt].read(path, options)
        except InputError as exc:
            assert name in exc.message, exc.message
            return
        _check_result(result, name)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@pytest.mark.parametrize(("fmt", "path", "options"), CASES, ids=IDS)
@FUZZ
@given(data=st.data())
def test_truncated_files_never_traceback(fmt, path, options, data):
    content = path.read_bytes()
    cut = data.draw(st.integers(min_value=0, max_value=len(content) - 1))
    _read_mutated(fmt, path.name, content[:cut], options)


@pytest.mark.parametrize(
    ("fmt", "path", "options"), JSON_CASES, ids=[i for i in IDS if "json" in i]
)
@FUZZ
@given(data=st.data())
def test_type_flips_and_extra_fields_never_traceback(fmt, path, options, data):
    doc = json.loads(path.read_text(encoding="utf-8-sig"))
    paths = _paths(doc)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        parents = [p for p in [(), *paths] if _is_dict(doc, p)]
        if not parents or data.draw(st.booleans()):
            _set(doc, data.draw(st.sampled_from(paths)), data.draw(VALUES))
        else:
            parent = data.draw(st.sampled_from(parents))
            _set(doc, (*parent, data.draw(st.text(min_size=1, max_size=8))), data.draw(VALUES))
        paths = _paths(doc)
    _read_mutated(fmt, path.name, json.dumps(doc).encode(), options)


def _is_dict(doc: Any, path: tuple[Any, ...]) -> bool:
    node = doc
    try:
        for step in path:
            node = node[step]
    except (KeyError, IndexError, TypeError):
        return False
    return isinstance(node, dict)


@pytest.mark.parametrize(("fmt", "path", "options"), CSV_CASES, ids=[i for i in IDS if "csv" in i])
@FUZZ
@given(data=st.data())
def test_garbled_csv_cells_and_columns_never_traceback(fmt, path, options, data):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        action = data.draw(st.sampled_from(["cell", "add_column", "drop_cell", "add_row"]))
        r = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
        if action == "cell":
            c = data.draw(st.integers(min_value=0, max_value=len(rows[r]) - 1))
            rows[r][c] = data.draw(st.text(max_size=15))
        elif action == "add_column":
            for i, row in enumerate(rows):
                row.append("Extra Column" if i == 0 else data.draw(st.text(max_size=5)))
        elif action == "drop_cell" and rows[r]:
            rows[r].pop()
        else:
            rows.append([data.draw(st.text(max_size=8)) for _ in rows[0]])
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    _read_mutated(fmt, path.name, out.getvalue().encode(), options)
