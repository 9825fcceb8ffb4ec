"""Voice scores kept in a workspace folder: reused by a new process, never holding the text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uptake.signals import voice
from uptake.signals.voice import model, store
from uptake.signals.voice.store import ScoreStore
from uptake.workspace import Workspace

TEXTS = [
    "this keeps crashing and I'm fed up",
    "I'm not sure how to use this, is it safe?",
    "Thanks, the new summary feature saved me an hour today.",
    "why does the export keep failing? I'm lost and worried about the deadline",
]

# A new process: classifies with the store, reports how many texts it scored itself.
_CHILD = """
import json, sys
from pathlib import Path
from uptake.signals import voice
from uptake.signals.voice import model
scored = []
score = model.VoiceModel._score
def counting(self, texts):
    scored.append(len(texts))
    return score(self, texts)
model.VoiceModel._score = counting
texts = json.loads(sys.argv[2])
got = voice.classify(texts, voice.ScoreStore(Path(sys.argv[1])))
p = got[["p_frustrated", "p_uncertain"]].values.tolist()
print(json.dumps({"scored": sum(scored), "p": p}))
"""


def _child(folder: Path, texts: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder), json.dumps(texts)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=True,
        timeout=300,
    )
    out: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def _fresh() -> model.VoiceModel:
    """The shipped model loaded anew: nothing remembered in this process."""
    model.shipped.cache_clear()
    return model.shipped()


def test_a_new_process_reads_the_scores_an_earlier_one_kept(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    first = _child(folder, TEXTS[:3])
    assert first["scored"] == 3
    # The second process scores only the text the first never saw, with the same floats.
    again = _child(folder, TEXTS)
    assert again["scored"] == 1
    alone = _fresh().probs(TEXTS)
    expected = np.column_stack([alone["frustrated"], alone["uncertain"]]).tolist()
    assert again["p"] == expected
    assert first["p"] == expected[:3]


def test_the_folder_holds_no_text_and_its_key_is_private(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    voice.classify(TEXTS, ScoreStore(folder))
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".npy" for p in files)
    for path in files:
        raw = path.read_bytes()
        for text in TEXTS:
            for word in text.split():
                if len(word) > 6:
                    assert word.encode() not in raw, (path, word)
    assert (folder / store.KEY_FILE).stat().st_mode & 0o077 == 0
    # Another folder has another key: the same text has another digest there.
    assert ScoreStore(folder).digests(TEXTS) != ScoreStore(tmp_path / "other").digests(TEXTS)


def test_another_model_does_not_read_these_scores(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    kept = ScoreStore(folder)
    shipped = _fresh()
    shipped.probs(TEXTS, kept)
    digests = kept.digests(TEXTS)
    assert digests is not None
    assert len(ScoreStore(folder).get(shipped.ident, digests)) == len(TEXTS)
    assert ScoreStore(folder).get("another-model", digests) == {}
    # A model rebuilt without an identity (a training run's) never uses a store.
    doc = json.loads(model.ARTIFACT.read_text(encoding="ascii"))
    anonymous = model.from_dict(doc)
    anonymous.probs(["an unseen text about prompts"], ScoreStore(tmp_path / "anon"))
    assert not (tmp_path / "anon").exists()


def test_a_folder_that_cannot_be_used_is_only_a_miss(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    got = voice.classify(TEXTS, ScoreStore(blocked / "voice"))
    assert len(got) == len(TEXTS)
    # A damaged file is skipped; the rest of the store still answers.
    folder = tmp_path / "voice"
    voice.classify(TEXTS[:2], ScoreStore(folder))
    voice.classify(TEXTS[2:], ScoreStore(folder))
    damaged = sorted((folder / _fresh().ident).glob("*.npy"))[0]
    damaged.write_bytes(b"\x93NUMPY broken")
    reader = ScoreStore(folder)
    digests = reader.digests(TEXTS)
    assert digests is not None
    assert 0 < len(reader.get(_fresh().ident, digests)) < len(TEXTS)
    again = voice.classify(TEXTS, reader)
    fresh = _fresh().probs(TEXTS)
    assert again["p_frustrated"].tolist() == fresh["frustrated"].tolist()


def test_many_files_are_merged_into_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MAX_FILES", 2)
    folder = tmp_path / "voice"
    texts = [f"text number {i} about the assistant" for i in range(5)]
    for t in texts:
        voice.classify([t], ScoreStore(folder))
    ident = _fresh().ident
    assert len(list((folder / ident).glob("*.npy"))) <= 2
    reader = ScoreStore(folder)
    digests = reader.digests(texts)
    assert digests is not None
    assert len(reader.get(ident, digests)) == len(texts)


def _feedback(ws: Workspace, day: datetime, old: bool = False) -> None:
    people = [f"p{i}@example.com" for i in range(6)]
    ws.ingest_frame(
        "people", pd.DataFrame({"person": people, "team": "t"}), source="hr", refresh=False
    )
    rows = pd.DataFrame(
        {
            "feedback_id": [f"f{i}" for i in range(len(TEXTS))],
            "ts": [
                (day - timedelta(days=i + (400 if old and i % 2 else 0))).isoformat()
                for i in range(len(TEXTS))
            ],
            "person": people[: len(TEXTS)],
            "channel": "survey",
            "text": TEXTS,
        }
    )
    ws.ingest_frame("feedback", rows, source="survey")


def test_a_workspace_keeps_scores_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    day = datetime.now(UTC) - timedelta(days=2)
    with Workspace.init(tmp_path / "on") as ws:
        # Half of it a year old: outside the live window, still scored as it arrives.
        _feedback(ws, day, old=True)
        kept = ScoreStore(ws.path / "cache" / "voice")
        digests = kept.digests(TEXTS)
        assert digests is not None
        assert len(kept.get(_fresh().ident, digests)) == len(TEXTS)
        ws.signals()
    monkeypatch.setenv("UPTAKE__SIGNALS__KEEP_VOICE_SCORES", "false")
    with Workspace.init(tmp_path / "off") as ws:
        _feedback(ws, day)
        ws.signals()
        assert not (ws.path / "cache" / "voice").exists()
