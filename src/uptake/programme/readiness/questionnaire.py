"""The readiness questionnaire: eight statements for what the data cannot show.

Each item is a statement answered on a 1–5 scale (1 strongly disagree … 5 strongly agree),
stored as a row of the canonical `responses` table with instrument `readiness` and the item's
id, so answers go through ingestion like any survey (validated, the person pseudonymised).

The programme lead's own assessment has no person (`responses.person` is nullable): its rows
carry the session `lead` in their id (`readiness:lead:<time>:<item>`), and the latest answer
per item counts. Other respondents are told apart by their person key, or — for anonymous
rows — by the session in their id (`readiness:<session>:…`), each counting once (latest
answer per item).

Several respondents are averaged only when at least k of them (not counting the lead) answered
an item: fewer would publish a handful of people's answers. Below that, the lead's answer
stands alone, and the item says the other answers were left out. Per-segment averages (by
function) follow the same k rule with complementary suppression against the total.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from uptake.errors import InputError
from uptake.metrics.noise import Noise
from uptake.metrics.privacy import SUPPRESSED, TOTAL, public_rows, suppress
from uptake.programme.readiness.model import (
    NOT_AVAILABLE,
    OK,
    QUESTIONNAIRE,
    Component,
    noisy_n,
)

INSTRUMENT = "readiness"
LEAD = "lead"
SCALE = (1, 5)


@dataclass(frozen=True)
class Item:
    """One questionnaire statement.

    Attributes:
        item: its id in `responses.item`.
        condition: the condition it informs.
        text: the statement, as put to the respondent.
    """

    item: str
    condition: str
    text: str


ITEMS: tuple[Item, ...] = (
    Item(
        "transparency_1",
        "trust_transparency",
        "People can see how the AI's recommendations are made: what they use and where they "
        "are known to be weak.",
    ),
    Item(
        "transparency_2",
        "trust_transparency",
        "People can see how often the AI's recommendations turn out right in their own work.",
    ),
    Item(
        "override_1",
        "override_architecture",
        "Overriding an AI recommendation takes one step, and nobody is penalised for doing it.",
    ),
    Item(
        "feedback_loops_1",
        "performance_feedback",
        "The people who decide are shown the outcomes of the recommendations they followed and "
        "of those they overrode.",
    ),
    Item(
        "role_redesign_1",
        "role_redesign",
        "Role descriptions and objectives have been updated for the work AI now does or supports.",
    ),
    Item(
        "role_redesign_2",
        "role_redesign",
        "Time freed by AI has been given to named work, not simply absorbed as more volume.",
    ),
    Item(
        "management_1",
        "management_activation",
        "Managers discuss AI use in their one-to-ones and team meetings.",
    ),
    Item(
        "feedback_channels_1",
        "feedback_channels",
        "People hear back what changed after they give feedback about AI.",
    ),
)
BY_ID = {i.item: i for i in ITEMS}


def item_score(answer: float) -> float:
    """A 1–5 answer on the 0–100 scale of the conditions: (answer − 1) / 4 × 100."""
    lo, hi = SCALE
    return (float(answer) - lo) / (hi - lo) * 100.0


def parse_answers(pairs: list[str]) -> dict[str, float]:
    """`item=score` arguments as a dict, validated against the items and the scale.

    Args:
        pairs: e.g. ["role_redesign_1=4", "transparency_2=2"].

    Returns:
        item → score.

    Raises:
        InputError: an unknown item, a malformed pair or a score off the scale.
    """
    out: dict[str, float] = {}
    for pair in pairs:
        item, sep, value = pair.partition("=")
        item = item.strip()
        if not sep:
            raise InputError(f"{pair!r}: expected ITEM=SCORE, e.g. role_redesign_1=4")
        try:
            score = float(value)
        except ValueError:
            raise InputError(f"{pair!r}: the score must be a number from 1 to 5") from None
        if item in out:
            # The later one had silently replaced the first ("1 of 1 recorded").
            raise InputError(f"{item} is given twice: give each item once")
        out[item] = score
    check(out)
    return out


def check(answers: dict[str, float]) -> None:
    """Refuse unknown items and scores off the 1–5 scale.

    Args:
        answers: item → score.

    Raises:
        InputError: with the known items or the scale in the message.
    """
    if not answers:
        raise InputError("no answers given", hint="e.g. role_redesign_1=4 transparency_1=3")
    lo, hi = SCALE
    for item, score in answers.items():
        if item not in BY_ID:
            raise InputError(
                f"unknown readiness item {item!r}",
                hint=f"expected one of: {', '.join(BY_ID)} (uptake readiness questions)",
            )
        if not lo <= score <= hi or score != score:
            raise InputError(f"{item}={score:g}: answers are from {lo} to {hi}")


def answer_rows(
    answers: dict[str, float], *, ts: datetime, person: str | None = None
) -> pd.DataFrame:
    """Canonical `responses` input rows for one respondent's answers.

    Args:
        answers: item → score 1–5 (validated here).
        ts: when they were given (UTC).
        person: the respondent's roster identifier; None for the programme lead's own
            assessment (no person is stored).

    Returns:
        One row per item: response_id, ts, instrument, item, person, score.
    """
    check(answers)
    stamp = ts.strftime("%Y%m%dT%H%M%S")
    # The lead's rows share a session (latest answer wins); a respondent's session is random
    # so no identifier ever enters the id.
    session = LEAD if person is None else uuid.uuid4().hex[:12]
    return pd.DataFrame(
        {
            "response_id": [f"readiness:{session}:{stamp}:{i}" for i in answers],
            "ts": ts.isoformat(),
            "instrument": INSTRUMENT,
            "item": list(answers),
            "person": person,
            "score": [float(v) for v in answers.values()],
        }
    )


def respondent(response_id: str, person_key: object) -> str:
    """Who answered: the person key, else the session in the response id."""
    if isinstance(person_key, str) and person_key:
        return person_key
    parts = str(response_id).split(":")
    if len(parts) >= 3 and parts[0] == INSTRUMENT:
        return f"session:{parts[1]}"
    return f"response:{response_id}"


def latest(answers: pd.DataFrame) -> pd.DataFrame:
    """Each respondent's latest valid answer per item.

    Args:
        answers: responses rows (response_id, ts, item, person_key, score[, segment_function]).

    Returns:
        (respondent, lead, item, score[, segment_function]) — one row per respondent and item.
    """
    cols = ["respondent", "lead", "item", "score", "function"]
    if answers.empty:
        return pd.DataFrame(columns=cols)
    lo, hi = SCALE
    a = answers[answers["item"].isin(list(BY_ID)) & answers["score"].between(lo, hi)].copy()
    a["respondent"] = [
        respondent(r, p) for r, p in zip(a["response_id"], a["person_key"], strict=True)
    ]
    a["lead"] = a["respondent"] == f"session:{LEAD}"
    if "function" not in a:
        a["function"] = None
    a = a.sort_values(["ts", "response_id"]).groupby(["respondent", "item"]).tail(1)
    return a[cols].reset_index(drop=True)


def item_means(
    answers: pd.DataFrame, k: int, noise: Noise | None = None
) -> dict[str, dict[str, Any]]:
    """Each item's published answer under the k rule (module docstring).

    Args:
        answers: `latest(...)` rows.
        k: minimum group size.
        noise: the release noise for respondent counts (None or off: exact).

    Returns:
        item → {item, condition, text, status, mean, n, source, note}.
    """
    out: dict[str, dict[str, Any]] = {}
    for it in ITEMS:
        got = answers[answers["item"] == it.item]
        others = got[~got["lead"].astype(bool)]
        lead = got[got["lead"].astype(bool)]
        row: dict[str, Any] = {
            "item": it.item,
            "condition": it.condition,
            "text": it.text,
            "status": OK,
            "mean": None,
            "n": None,
            "source": None,
            "note": None,
        }
        if len(others) >= k:
            n = noisy_n(noise, len(got), k, f"questionnaire:{it.item}")
            row.update(mean=float(got["score"].mean()), n=n, source="respondents")
            if len(lead):
                row["note"] = "the programme lead's answer is one of them"
        elif len(lead):
            row.update(mean=float(lead["score"].iloc[0]), n=1, source="programme lead")
            if len(others):
                row["note"] = f"other answers left out: fewer than {k} respondents"
        elif len(others):
            row.update(status="hidden", note=f"hidden: fewer than {k} respondents")
        else:
            row.update(status=NOT_AVAILABLE, note="not answered yet")
        out[it.item] = row
    return out


def component(condition: str, means: dict[str, dict[str, Any]]) -> Component | None:
    """The questionnaire component of a condition (None when it has no items).

    Args:
        condition: the condition's id.
        means: `item_means(...)`.

    Returns:
        An ok component (mean of its answered items, rescaled to 0–100) or a not-available
        one naming the items to answer.
    """
    items = [it.item for it in ITEMS if it.condition == condition]
    if not items:
        return None
    label = "questionnaire: " + ", ".join(items)
    ok = [means[i] for i in items if means[i]["status"] == OK]
    if not ok:
        hidden = [means[i]["note"] for i in items if means[i]["status"] == "hidden"]
        need = f"readiness questionnaire: {', '.join(items)}"
        why = f"not answered yet (uptake readiness answer {items[0]}=1..5)"
        if hidden:
            why = f"{hidden[0]} (uptake readiness answer {items[0]}=1..5)"
        return Component(
            "questionnaire",
            label,
            QUESTIONNAIRE,
            NOT_AVAILABLE,
            n_what="respondents",
            needs=[need],
            reason=why,
        )
    mean = sum(float(m["mean"]) for m in ok) / len(ok)
    n = max(int(m["n"]) for m in ok)
    sources = sorted({str(m["source"]) for m in ok})
    detail = {
        "items": {m["item"]: round(float(m["mean"]), 2) for m in ok},
        "unanswered": [i for i in items if means[i]["status"] != OK],
        "source": " and ".join(sources),
        "scale": f"{SCALE[0]}-{SCALE[1]} (agree)",
    }
    return Component(
        "questionnaire", label, QUESTIONNAIRE, OK, mean, item_score(mean), n, "respondents", detail
    )


def segments(answers: pd.DataFrame, k: int, noise: Noise | None = None) -> list[dict[str, Any]]:
    """Mean answer per item by respondents' function, each function at or above k.

    The lead's assessment is left out (it is about the organisation, not a function). A
    function is shown when k or more respondents from it answered and hiding the others
    cannot be undone by subtraction from the total (`privacy.suppress`).

    Args:
        answers: `latest(...)` rows with a `function` column (None where unknown).
        k: minimum group size.
        noise: the release noise for the respondent counts (None or off: exact).

    Returns:
        Rows {segment, n, items: {item: mean}} or {segment, suppressed, reason}.
    """
    a = answers[~answers["lead"].astype(bool)].copy()
    if a.empty:
        return []
    a["function"] = a["function"].fillna("(none)").astype(str)
    per = a.groupby("function")["respondent"].nunique()
    frame = pd.DataFrame({"segment": per.index.astype(str), "n": per.to_numpy(dtype="int64")})
    total = pd.DataFrame([{"segment": TOTAL, "n": int(a["respondent"].nunique())}])
    shown = suppress(pd.concat([frame, total], ignore_index=True), ["segment"], "n", k)
    rows: list[dict[str, Any]] = []
    for rec in public_rows(shown, ["segment"]):
        if rec["segment"] == TOTAL:
            continue
        if rec.get(SUPPRESSED):
            rows.append(
                {
                    "segment": rec["segment"],
                    "suppressed": rec[SUPPRESSED],
                    "reason": f"hidden: fewer than {k} respondents"
                    if rec[SUPPRESSED] == "small"
                    else "hidden so a smaller group cannot be worked out",
                }
            )
            continue
        g = a[a["function"] == rec["segment"]]
        means = g.groupby("item")["score"].mean().round(2)
        rows.append(
            {
                "segment": rec["segment"],
                "n": noisy_n(noise, int(rec["n"]), k, f"questionnaire:{rec['segment']}"),
                "items": {str(i): float(v) for i, v in means.items()},
            }
        )
    return rows
