"""Microsoft 365 Copilot reports (Graph v1.0 CSV): user detail (period and by date), counts.

Activity = any canonical `office_copilot` event; its surface names the app (word, excel,
outlook, teams, powerpoint, copilot_chat; OneNote and Loop are never used in the simulation).
Licensed on a day = an `office_copilot` licence assigned on or before that day and not
removed on or before it. Only licensed people are listed, as in the real reports.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import numpy as np

from uptake.simulate.vendor.common import OFFICE, Canon

# App columns in the user-detail order, with the canonical surface feeding each.
DETAIL_APPS = (
    ("Copilot Chat", "copilot_chat"),
    ("Microsoft Teams Copilot", "teams"),
    ("Word Copilot", "word"),
    ("Excel Copilot", "excel"),
    ("PowerPoint Copilot", "powerpoint"),
    ("Outlook Copilot", "outlook"),
    ("OneNote Copilot", "onenote"),
    ("Loop Copilot", "loop"),
)
DETAIL_HEADER = (
    ["Report Refresh Date", "User Principal Name", "Display Name", "Last Activity Date"]
    + [f"{name} Last Activity Date" for name, _ in DETAIL_APPS]
    + ["Report Period"]
)
# Count-report app pairs in the order of the v1.0 CSVs; None = any app.
COUNT_APPS = (
    ("Microsoft Teams", "teams"),
    ("Word", "word"),
    ("PowerPoint", "powerpoint"),
    ("Outlook", "outlook"),
    ("Excel", "excel"),
    ("OneNote", "onenote"),
    ("Loop", "loop"),
    ("Any App", None),
    ("Copilot Chat", "copilot_chat"),
)
COUNT_COLUMNS = [f"{name} {kind} Users" for name, _ in COUNT_APPS for kind in ("Enabled", "Active")]
SUMMARY_HEADER = ["Report Refresh Date", "Report Period", *COUNT_COLUMNS]
TREND_HEADER = ["Report Refresh Date", "Report Date", *COUNT_COLUMNS, "Report Period"]
APPS = tuple(s for _, s in DETAIL_APPS)
PERIODS = (7, 30)


@dataclass
class Office:
    """Licences and activity as (people × days) arrays, for everyone who ever held a licence."""

    people: np.ndarray  # person indices, sorted by e-mail
    licensed: np.ndarray  # (people, days) bool
    active: np.ndarray  # (people, days, apps) bool
    last: np.ndarray  # (people, days, apps) latest active day index ≤ that day, else -1


def build(c: Canon) -> Office:
    """Licence and activity grids from the canonical licences and event aggregates.

    Args:
        c: the canonical organisation.

    Returns:
        The grids.
    """
    lic = c.licenses.to_pydict()
    rows = [i for i, t in enumerate(lic["tool"]) if t == OFFICE]
    people = np.array(
        sorted({int(lic["p"][i]) for i in rows}, key=lambda p: c.email[p]), dtype=np.int64
    )
    pos = {int(p): k for k, p in enumerate(people)}
    days = np.arange(c.days)
    licensed = np.zeros((len(people), c.days), dtype=bool)
    for i in rows:
        first = (lic["assigned_at"][i].astimezone(UTC).date() - c.start).days
        removed = lic["removed_at"][i]
        gone = (removed.astimezone(UTC).date() - c.start).days if removed is not None else c.days
        licensed[pos[int(lic["p"][i])]] |= (days >= first) & (days < gone)
    active = np.zeros((len(people), c.days, len(APPS)), dtype=bool)
    o = c.office
    app = {s: k for k, s in enumerate(APPS)}
    keep = np.array(
        [int(p) in pos and str(s) in app for p, s in zip(o["p"], o["surface"], strict=True)],
        dtype=bool,
    )
    if keep.any():
        r = np.array([pos[int(p)] for p in o["p"][keep]])
        a = np.array([app[str(s)] for s in o["surface"][keep]])
        active[r, o["day"][keep], a] = True
    last = np.maximum.accumulate(np.where(active, days[None, :, None], -1), axis=1)
    return Office(people, licensed, active, last)


def display_name(email: str) -> str:
    """The name a directory shows, from the e-mail's local part (`ana.larsen2` → Ana Larsen).

    Args:
        email: the person's e-mail address.

    Returns:
        The display name.
    """
    local = re.sub(r"\d+$", "", email.split("@", 1)[0])
    return " ".join(part.capitalize() for part in re.split(r"[._]", local) if part)


def _detail_rows(
    c: Canon, off: Office, names: np.ndarray, dates: np.ndarray, d: int, period: int
) -> list[list[str]]:
    """Rows of the user detail as of day `d`; `dates[i + 1]` is day i's text, `dates[0]` ""."""
    refresh = c.day(d).isoformat()
    ks = np.flatnonzero(off.licensed[:, d])
    last = off.last[ks, d, :]
    cells = dates[np.concatenate([last.max(axis=1, initial=-1)[:, None], last], axis=1) + 1]
    emails = c.email[off.people[ks]]
    return [
        [refresh, str(e), str(n), *row, str(period)]
        for e, n, row in zip(emails, names[ks], cells.tolist(), strict=True)
    ]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")  # the Graph samples end lines with \n
        w.writerow(header)
        w.writerows(rows)


def _counts(licensed: np.ndarray, active: np.ndarray) -> list[str]:
    """Enabled/active pairs in COUNT_APPS order; `active` is (people, apps) for the licensed."""
    enabled = int(licensed.sum())
    act = active & licensed[:, None]
    out = []
    for _, surface in COUNT_APPS:
        n = (
            int(act.any(axis=1).sum())
            if surface is None
            else int(act[:, APPS.index(surface)].sum())
        )
        out += [str(enabled), str(n)]
    return out


def write(c: Canon, out: Path) -> list[str]:
    """Write the M365 files under `out/m365/`.

    Args:
        c: the canonical organisation.
        out: the vendor folder.

    Returns:
        Files written, relative to `out`.
    """
    m = out / "m365"
    off = build(c)
    end = c.days - 1
    refresh = c.day(end).isoformat()
    # Names and date texts once, not once per row (a row per licensed person per day).
    names = np.array([display_name(str(c.email[p])) for p in off.people], dtype=object)
    dates = np.array(["", *(c.day(d).isoformat() for d in range(c.days))], dtype=object)
    files = []
    for period in PERIODS:
        name = f"m365/copilot_user_detail_D{period}.csv"
        _write_csv(out / name, DETAIL_HEADER, _detail_rows(c, off, names, dates, end, period))
        files.append(name)
    for d in range(c.days):
        name = f"m365/copilot_user_detail_by_date/{c.day(d).isoformat()}.csv"
        _write_csv(out / name, DETAIL_HEADER, _detail_rows(c, off, names, dates, d, 1))
        files.append(name)
    summary = []
    for period in PERIODS:
        recent = off.last[:, end, :] >= end - period + 1
        summary.append([refresh, str(period), *_counts(off.licensed[:, end], recent)])
    _write_csv(m / "copilot_user_count_summary.csv", SUMMARY_HEADER, summary)
    trend = [
        [
            refresh,
            c.day(d).isoformat(),
            *_counts(off.licensed[:, d], off.active[:, d, :]),
            str(c.days),
        ]
        for d in range(c.days)
    ]
    _write_csv(m / "copilot_user_count_trend.csv", TREND_HEADER, trend)
    return [*files, "m365/copilot_user_count_summary.csv", "m365/copilot_user_count_trend.csv"]
