"""Charts of a metrics report as PNG files (matplotlib, headless, no network).

Every chart takes the report (`MetricsReport`) or its JSON form (`report.to_dict()`); a
hidden group is drawn as an empty bar that says why it is hidden.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from uptake.metrics.result import COMPLEMENTARY, MetricsReport

LADDER = ("L1", "L2", "L3", "L4", "L5")
LADDER_COLOURS = ("#d9d9d9", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
VANITY, VALUE = "#bdbdbd", "#2171b5"
Report = MetricsReport | Mapping[str, Any]


def _doc(report: Report) -> Mapping[str, Any]:
    return report.to_dict() if isinstance(report, MetricsReport) else report


def _entry(doc: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """A metric's JSON when it has values to draw (not unavailable, not hidden)."""
    entry = doc.get("metrics", {}).get(name)
    if not entry or entry.get("status") == "not_available" or entry.get("suppressed"):
        return None
    return dict(entry)


def ladder_levels(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The levels a ladder entry counts people at, each with its colour.

    A level the data cannot judge (L5 without help or feedback data) is listed in the entry's
    `not_available`: it is left out of a chart rather than drawn as nobody.

    Args:
        entry: `adoption_ladder` or `ladder_transitions` JSON.

    Returns:
        (level, colour) pairs, in order.
    """
    withheld = entry.get("not_available") or {}
    return [(lv, c) for lv, c in zip(LADDER, LADDER_COLOURS, strict=True) if lv not in withheld]


def not_judged(entry: Mapping[str, Any]) -> str:
    """Words for a caption naming the levels a ladder entry does not judge ("" when none)."""
    withheld = entry.get("not_available") or {}
    return "".join(
        f" · {level} not judged: needs {', '.join(needs)}" for level, needs in withheld.items()
    )


def hidden_reason(row: Mapping[str, Any], k: int | None) -> str | None:
    """Why a group's bar is empty, in words, or None when it is shown.

    Args:
        row: a group row of the report (its `suppressed` is False, "small" or "complementary").
        k: the minimum group size.

    Returns:
        The words to draw beside the empty bar.
    """
    why = row.get("suppressed")
    if not why:
        return None
    if why == COMPLEMENTARY:
        return "hidden so a smaller group cannot be worked out"
    return f"fewer than {k} people: not shown" if k else "too few people: not shown"


def caption(
    doc: Mapping[str, Any], n: Any = None, *, what: str = "people", window: bool = True
) -> str:
    """The line under a chart's title: as-of and its rule, the window, n and the noise.

    Args:
        doc: the report's JSON form.
        n: the population counted (None when not known).
        what: what n counts.
        window: whether the chart covers the current window (weekly charts do not).

    Returns:
        e.g. "as of 2026-11-30 (the last day with activity) · 28-day window · n = 1,843 people
        · counts ±3 (noise, ε = 1.0)", or "… · exact counts" with the noise off; documents
        without a "privacy" entry say nothing about it.
    """
    rule = doc.get("as_of_rule")
    parts = [f"as of {doc.get('as_of')}" + (f" ({rule})" if rule and rule != "given" else "")]
    if window and doc.get("window_days"):
        parts.append(f"{doc['window_days']}-day window")
    if n is not None:
        parts.append(f"n = {int(n):,} {what}")
    privacy = doc.get("privacy") or {}
    if privacy.get("noise"):
        parts.append(f"counts ±{privacy.get('error_bar')} (noise, ε = {privacy.get('epsilon')})")
    elif "noise" in privacy:
        parts.append("exact counts")
    return " · ".join(parts)


def _titles(fig: Any, ax: Any, title: str, under: str) -> None:
    # Wrapped so that a long "needs …" title or caption is never cut at the edges: the title
    # to the figure's width (about 9 characters an inch), the caption to the plot's, where it
    # starts (about 14 an inch). Wrapped to the figure's width, a caption beside long bar
    # labels ran off the right edge ("n = 1,845 licensed peop").
    width = fig.get_figwidth()
    fig.suptitle(textwrap.fill(title, max(30, int(width * 9))))
    fig.tight_layout()  # where the plot sits once its labels have their room
    box = ax.get_position()
    room = width * (1.0 - box.x0)
    ax.set_title(_fill(under, max(40, int(room * 14))), loc="left", fontsize=8, color="#636363")


# Stands for the spaces of "n = 1,845" and "ε = 1.0" while wrapping, so neither is split.
_JOIN = "\ue000"


def _fill(text: str, width: int) -> str:
    """`textwrap.fill`, never breaking a line inside "name = value"."""
    return textwrap.fill(text.replace(" = ", f"{_JOIN}={_JOIN}"), width).replace(_JOIN, " ")


def _proxy(entry: Mapping[str, Any]) -> str:
    """ " (proxy: activity)" when a chart's numbers rest on a proxy, so it says so."""
    basis = str(entry.get("basis") or "")
    return f" ({basis})" if basis.startswith("proxy") else ""


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def vanity_vs_value(report: Report, path: Path) -> Path | None:
    """Bar chart: share of licensed people active (vanity) against L3+ share and depth (value).

    Args:
        report: a metrics report (or its JSON) from `Workspace.metrics`.
        path: PNG file to write.

    Returns:
        The path written, or None when the inputs are not available or hidden.
    """
    v = _entry(_doc(report), "vanity_vs_value")
    if v is None:
        return None
    labels = [
        "active in the window\n(logins, MAU)",
        "at L3+ on the ladder",
        "depth on high-stakes work",
    ]
    values = [v.get("active_rate"), v.get("l3_plus_share"), v.get("depth")]
    colours = [VANITY, VALUE, VALUE]
    pairs = [
        (lab, val, col)
        for lab, val, col in zip(labels, values, colours, strict=True)
        if val is not None
    ]
    if not pairs:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bars = ax.barh([p[0] for p in pairs], [100 * p[1] for p in pairs], color=[p[2] for p in pairs])
    for bar, (_, val, _) in zip(bars, pairs, strict=True):
        ax.text(
            bar.get_width() + 1,
            bar.get_y() + bar.get_height() / 2,
            f"{100 * val:.0f} %",
            va="center",
        )
    ax.set_xlim(0, 110)
    ax.invert_yaxis()
    ax.set_xlabel("% of licensed people (depth: % of eligible high-stakes runs)")
    gap = v.get("gap_points")
    title = f"Vanity vs value — gap {gap:.0f} points" if gap is not None else "Vanity vs value"
    if gap is None and v.get("needs"):
        # Logins alone: the caption says value is not measured rather than leaving a blank.
        title = f"Vanity vs value — value not measurable yet (needs {', '.join(v['needs'])})"
    _titles(fig, ax, title, caption(_doc(report), v.get("n"), what="licensed people"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _save(fig, path)


def ladder_by_segment(report: Report, path: Path, by: str | None = None) -> Path | None:
    """Stacked bars of the adoption ladder per segment; a hidden segment says why.

    Args:
        report: a metrics report (or its JSON) computed with a segment dimension.
        path: PNG file to write.
        by: the segment dimension's name, for the title (default: the report's).

    Returns:
        The path written, or None when there is nothing to draw.
    """
    doc = _doc(report)
    ladder = _entry(doc, "adoption_ladder")
    if ladder is None:
        return None
    by = by or doc.get("by")
    k = doc.get("min_group_size")
    rows = [("all", ladder)] + [(str(s.get("segment", "?")), s) for s in ladder.get("segments", [])]
    levels = ladder_levels(ladder)
    names, shares, notes = [], [], []
    for name, r in rows:
        note = hidden_reason(r, k)
        total = sum(r.get(level) or 0 for level, _ in levels)
        names.append(name)
        notes.append(note)
        shares.append(
            [(r.get(level) or 0) / total if total and not note else 0 for level, _ in levels]
        )
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.6))
    left = [0.0] * len(names)
    for i, (level, colour) in enumerate(levels):
        widths = [100 * s[i] for s in shares]
        ax.barh(names, widths, left=left, color=colour, label=level)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of licensed people")
    for y, note in enumerate(notes):
        if note:
            ax.text(1, y, note, va="center", fontsize=8, color="#636363")
    total = _entry(doc, "adoption_ladder")
    _titles(
        fig,
        ax,
        f"Adoption ladder by {by or 'segment'}" + _proxy(ladder),
        caption(doc, total.get("n") if total else None, what="licensed people")
        + not_judged(ladder),
    )
    ax.legend(
        ncols=len(levels),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.25 if len(names) < 6 else -0.1),
        frameon=False,
    )
    return _save(fig, path)


def weekly_trend(report: Report, path: Path) -> Path | None:
    """Lines: weekly active rate (vanity) against weekly depth (value); hidden weeks are gaps.

    Args:
        report: a metrics report (or its JSON).
        path: PNG file to write.

    Returns:
        The path written, or None when there are no weekly rows.
    """
    doc = _doc(report)
    active = _entry(doc, "weekly_active_rate")
    depth = _entry(doc, "weekly_depth")
    depth_missing = doc.get("metrics", {}).get("weekly_depth") or {}
    if active is None:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.4))
    weeks = [w for w in active.get("weeks", []) if not w.get("suppressed")]
    if not weeks:
        plt.close(fig)
        return None
    ax.plot(
        [w["week"][5:] for w in weeks],
        [100 * w["rate"] for w in weeks],
        color=VANITY,
        lw=2.5,
        label="weekly active rate",
    )
    if depth is None and depth_missing.get("status") == "not_available":
        # No line is not a zero line: say what the value side needs.
        needs = ", ".join(depth_missing.get("needs") or [])
        ax.text(
            0.02,
            0.08,
            f"depth on high-stakes work: not available (needs {needs})",
            transform=ax.transAxes,
            fontsize=9,
            color="#636363",
        )
    elif depth is not None:
        dweeks = [
            w
            for w in depth.get("weeks", [])
            if not w.get("suppressed") and w.get("depth") is not None
        ]
        ax.plot(
            [w["week"][5:] for w in dweeks],
            [100 * w["depth"] for w in dweeks],
            color=VALUE,
            lw=2.5,
            label="depth on high-stakes work",
        )
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    _titles(
        fig,
        ax,
        "Logins look healthy; is the work changing?",
        caption(doc, weeks[-1].get("n"), what="licensed people in the last week", window=False)
        + " · complete weeks",
    )
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.legend(frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _save(fig, path)


def proficiency_curve(report: Report, path: Path) -> Path | None:
    """Kaplan–Meier curve: share of licensed people not yet at L3, by days since licence.

    Args:
        report: a metrics report (or its JSON).
        path: PNG file to write.

    Returns:
        The path written, or None when the curve is not available or hidden.
    """
    km = _entry(_doc(report), "time_to_proficiency")
    if km is None or not km.get("curve"):
        return None
    curve = km["curve"]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.step(
        [c["day"] for c in curve],
        [100 * c["not_proficient"] for c in curve],
        where="post",
        color=VALUE,
    )
    median = km.get("median_days")
    title = "Time to proficiency (L3), Kaplan–Meier" + _proxy(km)
    if median is not None:
        ax.axvline(median, color="#636363", ls="--", lw=1)
        title += f" — median {median:.0f} days"
    else:
        title += " — median not reached yet"
    ax.set_ylim(0, 100)
    ax.set_xlabel("days since licence assignment")
    ax.set_ylabel("% not yet proficient")
    _titles(
        fig,
        ax,
        title,
        caption(_doc(report), km.get("n"), what="people", window=False)
        + f" · {km.get('reached', 0):,} reached L3",
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _save(fig, path)


def write_all(report: Report, folder: Path, by: str | None = None) -> list[Path]:
    """Write every chart that the report supports into a folder.

    Args:
        report: a metrics report (or its JSON).
        folder: output folder (created if needed).
        by: the segment dimension the report was computed with (default: the report's).

    Returns:
        The PNG files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    doc = _doc(report)
    by = by or doc.get("by")
    written = [
        vanity_vs_value(doc, folder / "vanity_vs_value.png"),
        ladder_by_segment(doc, folder / f"ladder_by_{by or 'segment'}.png", by),
        weekly_trend(doc, folder / "weekly_trend.png"),
        proficiency_curve(doc, folder / "time_to_proficiency.png"),
    ]
    out = [p for p in written if p is not None]
    return out
