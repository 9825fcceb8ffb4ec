"""The closing table of `make bench`: every scale figure beside its target and its floor.

Each section prints its own detail as it runs; this gathers the figures the scale targets name
into one table at the end, so a run can be read at a glance. A section that did not run (or
failed) shows "not run", never a number.
"""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str, str]


def _yes(ok: bool | None) -> str:
    return "n/a" if ok is None else "met" if ok else "MISSED"


def _tier(results: Any, tier: str) -> dict[str, Any] | None:
    if not isinstance(results, list):
        return None
    return next((r for r in results if isinstance(r, dict) and r.get("tier") == tier), None)


def rows(results: dict[str, Any]) -> list[Row]:
    """(figure, measured, target, floor or comparison, verdict) for each scale figure.

    Args:
        results: what each benchmark section returned, by section name.

    Returns:
        The rows, in the order the targets are stated.
    """
    out: list[Row] = []
    scale_m = _tier(results.get("scale"), "M")
    if scale_m:
        full = scale_m["recompute"]
        out.append(
            (
                "tier M full recompute (metrics + signals)",
                f"{full['seconds']:.1f} s, {full['peak_mb']:,.0f} MB",
                "≤ 20 s, ≤ 4 GB",
                f"facts {full['facts_s']:.1f} s · metrics {full['metrics_s']:.1f} s · "
                f"signals {full['signals_s']:.1f} s",
                _yes(scale_m["recompute_met"]),
            )
        )
        day = scale_m["one_more_day"]
        out.append(
            (
                "tier M one more day: ingest + incremental",
                f"{day['seconds']:.1f} s",
                "≤ 3 s",
                f"ingest {day['ingest_s']:.1f} s · facts {day['facts_s']:.1f} s · live flags "
                f"{day['rest_s']:.1f} s",
                _yes(scale_m["one_more_day_met"]),
            )
        )
    else:
        out.append(("tier M full recompute (metrics + signals)", "not run", "≤ 20 s", "", ""))
    metrics_m = _tier(results.get("metrics"), "M")
    if metrics_m:
        raw = metrics_m["raw_scan"]["seconds"]
        ratio = metrics_m["pipeline_over_raw_scan"]
        out.append(
            (
                "tier M core metrics (facts rebuilt, SQL stored) ÷ raw scan-and-group",
                f"{ratio:.1f}×",
                "≤ 3×",
                f"core {metrics_m['core']['seconds']:.1f} s, raw scan {raw:.2f} s",
                _yes(ratio <= 3),
            )
        )
        current = metrics_m["current"]
        ratio = metrics_m["current_over_raw_scan"]
        out.append(
            (
                "tier M core metrics (facts current, SQL stored) ÷ raw scan-and-group",
                f"{ratio:.1f}×",
                "≤ 3×",
                f"fresh process {current['seconds']:.1f} s; read again "
                f"{current['again_s']:.1f} s ({current['again_s'] / raw:.1f}×)",
                _yes(ratio <= 3),
            )
        )
        cold = metrics_m.get("current_cold")
        if cold:
            ratio = metrics_m["current_cold_over_raw_scan"]
            out.append(
                (
                    "tier M core metrics (facts current, nothing compiled yet) ÷ raw scan",
                    f"{ratio:.1f}×",
                    "≤ 3×",
                    f"fresh process {cold['seconds']:.1f} s",
                    _yes(ratio <= 3),
                )
            )
        faster = metrics_m["pipeline_faster_than_pandas"]
        out.append(
            (
                "tier M core metrics (facts rebuilt, SQL stored) vs pandas",
                f"{faster:.1f}× faster",
                "≥ 10×",
                f"pandas {metrics_m['pandas']['seconds']:.1f} s",
                _yes(faster >= 10),
            )
        )
        spark = metrics_m.get("spark")
        if spark:
            duck = metrics_m["pipeline"]["seconds"]
            out.append(
                (
                    "tier M full recompute on Spark",
                    f"{spark['seconds']:.1f} s",
                    "timed",
                    f"DuckDB {duck:.1f} s ({spark['seconds'] / duck:.1f}×), "
                    f"+{spark['startup_s']:.0f} s JVM start",
                    "n/a",
                )
            )
    else:
        out.append(("tier M core metrics ÷ raw scan-and-group", "not run", "≤ 3×", "", ""))
    for row in results.get("ingest") or []:
        out.append(
            (
                f"ingest {row['format']}",
                f"{row['events_per_s']:,.0f} events/s",
                f"{row['target']:,}/s; ≤ 1.5× unchecked load",
                f"{row['vs_raw_duckdb']:.2f}× an unchecked DuckDB load"
                + _pair_range(row.get("vs_raw_duckdb_pairs")),
                _yes(bool(row["met"]) and bool(row["vs_raw_met"])),
            )
        )
    live = results.get("live")
    if isinstance(live, dict) and live.get("max_s") is not None:
        out.append(
            (
                "event → friction flag (loopback)",
                f"p50 {live['p50_s']:.1f} s, max {live['max_s']:.1f} s",
                "< 60 s",
                f"{len(live['trials'])} trials, {live['misses']} missed",
                _yes(live["max_s"] < live["target_s"] and not live["misses"]),
            )
        )
    else:
        out.append(("event → friction flag (loopback)", "not run", "< 60 s", "", ""))
    load = results.get("load")
    if isinstance(load, dict) and "sigkill" in load:
        worst = max(
            # A kind with no 2xx reply in a phase has no p99 (nan), which max() would not skip.
            (
                k["p99_ms"]
                for phase in ("steady", "sigkill")
                for k in load[phase]["kinds"].values()
                if k["ok"]
            ),
            default=float("nan"),
        )
        lost = sum(load[phase]["lost_events"] for phase in ("steady", "sigkill"))
        out.append(
            (
                "under load: acknowledged events lost",
                f"{lost}",
                "0",
                f"worst p99 {worst / 1000:.1f} s (every kind, both phases)",
                _yes(lost == 0),
            )
        )
    else:
        out.append(("under load: acknowledged events lost", "not run", "0", "", ""))
    return out


def print_summary(results: dict[str, Any]) -> None:
    """Print the closing table.

    Args:
        results: what each benchmark section returned, by section name.
    """
    table = rows(results)
    print("\n== summary: each figure against its target and floor ==")
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    head = ("figure", "measured", "target", "floor / detail", "")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    for r in (head, *table):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _pair_range(pairs: object) -> str:
    """' (runs 1.31-1.78×)': the least and greatest ratio over the alternating pairs."""
    if not isinstance(pairs, list) or len(pairs) < 2:
        return ""
    return f" (runs {min(pairs):.2f}-{max(pairs):.2f}×)"
