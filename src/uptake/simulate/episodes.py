"""Ground-truth friction episodes: planted patterns and where the literal rules hold.

`Truth` collects them chunk by chunk through these methods; see `uptake.simulate.truth` for
the files they end up in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from uptake.simulate.activity import Cols
from uptake.simulate.behaviour import Plan
from uptake.simulate.events import ACCEPT, REJECT
from uptake.simulate.personas import PERSONAS
from uptake.simulate.roster import NEVER, Org
from uptake.simulate.timeline import MS_DAY, Timeline

BOUNCE_MS = 60_000
BOUNCE_SPAN_MS = 7 * MS_DAY
BIG = np.int64(1) << np.int64(42)
# The literal friction rules the truth applies to the generated data (the product's default
# thresholds, restated here: the simulator does not read the product's code).
NO_MEANINGFUL_DAYS = 14
SURFACE_DAYS, SURFACE_MIN_RUNS = 28, 5
STREAK_REJECTS, STREAK_MS = 5, 7 * MS_DAY
SPIKE_RECENT, SPIKE_BASE, SPIKE_MIN_RECENT, SPIKE_MIN_BASE = 14, 56, 8, 8
SPIKE_RATIO, SPIKE_MARGIN, SPIKE_GAP = 2.0, 0.2, 14
DISTRESS_GAP_MS = 14 * MS_DAY
# Days a rule episode's first day may fall before / after a planted episode and still be it:
# a streak may begin with the person's own rejects up to a week before the planted ones; an
# override spike is seen while the 14-day recent window still holds the planted overrides.
MATCH = {
    "surface_use": (2, 2),
    "rejection_streak": (7, 2),
    "override_spike": (2, SPIKE_RECENT),
}


class Episodes:
    """Episode bookkeeping for `Truth` (which owns these attributes)."""

    org: Org
    plan: Plan
    tl: Timeline
    episodes: list[pd.DataFrame]
    decisions: list[pd.DataFrame]
    spikes: list[pd.DataFrame]
    first_event: np.ndarray
    first_meaningful: np.ndarray

    def _drops(self, idx: np.ndarray, counts: np.ndarray) -> None:
        n, days = counts.shape
        f = np.where(
            self.first_event[idx] >= 0, (self.first_event[idx] - self.tl.start_ms) // MS_DAY, NEVER
        )
        fits = f + 2 * 14 <= days
        cs = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(counts, axis=1)], axis=1)
        r = np.flatnonzero(fits)
        a = cs[r, f[r] + 14] - cs[r, f[r]]
        b = cs[r, f[r] + 28] - cs[r, f[r] + 14]
        hit = b < 0.5 * a
        planted = self.plan.drop[idx[r]]
        sel = hit | planted
        r, a, b, hit, planted = r[sel], a[sel], b[sel], hit[sel], planted[sel]
        start = f[r] + 14
        self.episodes.append(
            pd.DataFrame(
                {
                    "g": idx[r],
                    "kind": "week3_4_drop",
                    "start_day": start,
                    "end_day": start + 13,
                    "planted": planted,
                    "rule_hit": hit,
                    "sessions": np.zeros(len(r), dtype=np.int64),
                    "before": a,
                    "after": b,
                }
            )
        )

    def _bounces(self, idx: np.ndarray, sess: Cols, ev: Cols, meaningful: np.ndarray) -> None:
        s_n = len(sess["start"])
        has_m = np.bincount(ev["session"][meaningful], minlength=s_n) > 0
        short = np.flatnonzero((sess["dur"] < BOUNCE_MS) & ~has_m)
        p = sess["person"][short]
        t = sess["start"][short] - self.tl.start_ms
        key = p.astype(np.int64) * BIG + t
        order = np.argsort(key, kind="stable")
        key, short, p, t = key[order], short[order], p[order], t[order]
        end = np.searchsorted(key, key + BOUNCE_SPAN_MS, side="left")
        hit = (end - np.arange(len(key))) >= 3
        diff = np.zeros(len(key) + 1, dtype=np.int64)
        np.add.at(diff, np.flatnonzero(hit), 1)
        np.add.at(diff, end[hit], -1)
        covered = np.cumsum(diff[:-1]) > 0
        ep_planted = sess["episode"][short]
        rows = []
        # Rule episodes: maximal runs of covered short sessions of one person.
        brk = np.r_[True, (p[1:] != p[:-1]) | ~covered[:-1]] & covered
        run_id = np.cumsum(brk) - 1
        cov = np.flatnonzero(covered)
        if len(cov):
            frame = pd.DataFrame(
                {"run": run_id[cov], "p": p[cov], "t": t[cov], "ep": ep_planted[cov]}
            )
            agg = frame.groupby("run").agg(
                p=("p", "first"),
                t0=("t", "min"),
                t1=("t", "max"),
                k=("t", "size"),
                ep=("ep", "max"),
            )
            inc = agg[agg["ep"] < 0]
            rows.append(
                pd.DataFrame(
                    {
                        "g": idx[inc["p"].to_numpy()],
                        "t0": inc["t0"].to_numpy(),
                        "t1": inc["t1"].to_numpy(),
                        "k": inc["k"].to_numpy(),
                        "planted": False,
                        "hit": True,
                    }
                )
            )
        planted = sess["episode"] >= 0
        if planted.any():
            pe = pd.DataFrame(
                {
                    "ep": sess["episode"][planted],
                    "p": sess["person"][planted],
                    "t": sess["start"][planted] - self.tl.start_ms,
                }
            )
            agg = pe.groupby("ep").agg(
                p=("p", "first"), t0=("t", "min"), t1=("t", "max"), k=("t", "size")
            )
            ep_cov = set(ep_planted[covered & (ep_planted >= 0)].tolist())
            hit_p = agg.index.isin(list(ep_cov))
            agg = agg[agg["k"] >= 3]
            hit_p = agg.index.isin(list(ep_cov))
            rows.append(
                pd.DataFrame(
                    {
                        "g": idx[agg["p"].to_numpy()],
                        "t0": agg["t0"].to_numpy(),
                        "t1": agg["t1"].to_numpy(),
                        "k": agg["k"].to_numpy(),
                        "planted": True,
                        "hit": hit_p,
                    }
                )
            )
        if rows:
            df = pd.concat(rows, ignore_index=True)
            self.episodes.append(
                pd.DataFrame(
                    {
                        "g": df["g"].to_numpy(),
                        "kind": "bounce_loop",
                        "start_day": df["t0"].to_numpy() // MS_DAY,
                        "end_day": df["t1"].to_numpy() // MS_DAY,
                        "planted": df["planted"].to_numpy(dtype=bool),
                        "rule_hit": df["hit"].to_numpy(dtype=bool),
                        "sessions": df["k"].to_numpy(dtype=np.int64),
                        "before": np.zeros(len(df), dtype=np.int64),
                        "after": np.zeros(len(df), dtype=np.int64),
                    }
                )
            )

    def _matched(
        self,
        kind: str,
        idx: np.ndarray,
        plants: dict[str, np.ndarray],
        rule: pd.DataFrame,
    ) -> None:
        """Planted episodes and the rule's (g, since, start_day, end_day), as episode rows.

        A planted episode is `rule_hit` when a rule episode of the same person begins within
        its days (widened by `MATCH`); rule episodes that begin in no planted one are the
        incidental rows (planted False, rule_hit True).
        """
        before, after = MATCH[kind]
        pl = pd.DataFrame(
            {
                "g": idx[plants["row"]],
                "start_day": plants["start_day"],
                "end_day": plants["end_day"],
                "size": plants["size"],
            }
        )
        pl["pid"] = range(len(pl))
        rule = rule.reset_index(drop=True)
        rule["rid"] = range(len(rule))
        m = rule.merge(pl, on="g", suffixes=("_r", ""))
        m = m[(m["since"] >= m["start_day"] - before) & (m["since"] <= m["end_day"] + after)]
        hit = pl["pid"].isin(m["pid"]).to_numpy()
        inc = rule[~rule["rid"].isin(m["rid"])]
        n_p, n_i = len(pl), len(inc)
        self.episodes.append(
            pd.DataFrame(
                {
                    "g": np.r_[pl["g"].to_numpy(), inc["g"].to_numpy()].astype(np.int64),
                    "kind": kind,
                    "start_day": np.r_[pl["start_day"].to_numpy(), inc["start_day"].to_numpy()],
                    "end_day": np.r_[pl["end_day"].to_numpy(), inc["end_day"].to_numpy()],
                    "planted": np.r_[np.ones(n_p, bool), np.zeros(n_i, bool)],
                    "rule_hit": np.r_[hit, np.ones(n_i, bool)],
                    "sessions": np.r_[pl["size"].to_numpy(), inc["size"].to_numpy()].astype(
                        np.int64
                    ),
                    "before": np.zeros(n_p + n_i, dtype=np.int64),
                    "after": np.zeros(n_p + n_i, dtype=np.int64),
                }
            )
        )

    def _streaks(self, idx: np.ndarray, ev: Cols, plants: dict[str, np.ndarray]) -> None:
        """Rejection streaks: ≥ 5 rejects with no accept between, the last 5 within 7 days."""
        act = ev["action"]
        m = (act == ACCEPT) | (act == REJECT)
        p, ts, acc = ev["person"][m], ev["ts"][m], act[m] == ACCEPT
        o = np.lexsort((ts, p))
        p, ts, acc = p[o], ts[o], acc[o]
        streak = np.cumsum(acc)  # rejects after the same accept (and person) are one streak
        rej = ~acc
        pr, tr, sr = p[rej], ts[rej], streak[rej]
        rule = pd.DataFrame(columns=["g", "since", "start_day", "end_day", "size"])
        if len(pr):
            new = np.r_[True, (pr[1:] != pr[:-1]) | (sr[1:] != sr[:-1])]
            gid = np.cumsum(new) - 1
            heads = np.flatnonzero(new)
            pos = np.arange(len(pr)) - heads[gid]
            k = STREAK_REJECTS - 1
            lag = np.maximum(np.arange(len(pr)) - k, 0)
            trig = np.flatnonzero((pos >= k) & (tr - tr[lag] < STREAK_MS))
            u, first = np.unique(gid[trig], return_index=True)
            t0 = trig[first]
            ends = np.r_[heads[1:], len(pr)] - 1
            day0 = self.tl.start_ms
            rule = pd.DataFrame(
                {
                    "g": idx[pr[t0]],
                    "since": (tr[t0] - day0) // MS_DAY,
                    "start_day": (tr[heads[u]] - day0) // MS_DAY,
                    "end_day": (tr[ends[u]] - day0) // MS_DAY,
                    "size": ends[u] - heads[u] + 1,
                }
            )
        self._matched("rejection_streak", idx, plants, rule)

    def _surface(
        self, idx: np.ndarray, days: int, tasks: Cols, plants: dict[str, np.ndarray]
    ) -> None:
        """Surface use: over the trailing 28 days ≥ 5 AI-assisted runs and none high-stakes."""
        n = len(idx)
        ai = tasks["ai"]
        p = tasks["person"][ai]
        d = (tasks["start"][ai] - self.tl.start_ms) // MS_DAY
        hi = tasks["high"][ai]
        runs = np.bincount(p * days + d, minlength=n * days).reshape(n, days)
        high = np.bincount(p * days + d, weights=hi, minlength=n * days).reshape(n, days)
        rw, hw = _trailing(runs, SURFACE_DAYS), _trailing(high, SURFACE_DAYS)
        holds = (rw >= SURFACE_MIN_RUNS) & (hw == 0)
        edge = np.diff(np.pad(holds.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        r0, c0 = np.nonzero(edge == 1)
        _, c1 = np.nonzero(edge == -1)  # same order: row-major, one end per start
        rule = pd.DataFrame(
            {
                "g": idx[r0],
                "since": c0,
                "start_day": c0,
                "end_day": c1 - 1,
                "size": rw[r0, c0].astype(np.int64),
            }
        )
        self._matched("surface_use", idx, plants, rule)

    def _decisions(self, idx: np.ndarray, dec: Cols, plants: dict[str, np.ndarray]) -> None:
        self.decisions.append(
            pd.DataFrame(
                {
                    "g": idx[dec["person"]],
                    "wf": dec["workflow"],
                    "d": (dec["ts"] - self.tl.start_ms) // MS_DAY,
                    "ov": ~dec["followed"].astype(bool),
                }
            )
        )
        self.spikes.append(
            pd.DataFrame(
                {
                    "row": idx[plants["row"]],
                    "start_day": plants["start_day"],
                    "end_day": plants["end_day"],
                    "size": plants["size"],
                }
            )
        )

    def _override_spikes(self) -> pd.DataFrame:
        """Override spikes (the literal rule over every decision), as episode rows.

        On each day a person decides: recent = the 14 days ending that day, earlier = the 56
        before; the workflow rate is every decision's override rate on the person's recent
        workflows over both windows, weighted by their recent decisions. It holds when the
        recent rate is ≥ 2 × and ≥ 0.2 above both, with ≥ 8 decisions in each window;
        holding decision days less than 14 days apart are one episode.
        """
        if not self.decisions:
            return pd.DataFrame()
        days = self.tl.days
        dec = pd.concat(self.decisions, ignore_index=True)
        spikes = pd.concat(self.spikes, ignore_index=True)
        people, prow = np.unique(dec["g"].to_numpy(), return_inverse=True)
        wfs, wrow = np.unique(dec["wf"].to_numpy(), return_inverse=True)
        n_p, n_w = len(people), len(wfs)
        d = dec["d"].to_numpy()
        ov = dec["ov"].to_numpy(dtype=np.float64)
        cell = (prow * n_w + wrow) * days + d
        size = n_p * n_w * days
        n = np.bincount(cell, minlength=size).reshape(n_p, n_w, days).astype(np.float64)
        o = np.bincount(cell, weights=ov, minlength=size).reshape(n_p, n_w, days)
        total = SPIKE_RECENT + SPIKE_BASE
        n_r, o_r = _trailing3(n, SPIKE_RECENT), _trailing3(o, SPIKE_RECENT)
        n_t, o_t = _trailing3(n, total), _trailing3(o, total)
        w_n, w_o = n_t.sum(axis=0), o_t.sum(axis=0)  # (workflows, days), everyone
        w_rate = np.where(w_n > 0, w_o / np.maximum(w_n, 1), 0.0)
        nr, orr = n_r.sum(axis=1), o_r.sum(axis=1)
        nb, ob = n_t.sum(axis=1) - nr, o_t.sum(axis=1) - orr
        expected = np.where(nr > 0, (n_r * w_rate[None]).sum(axis=1) / np.maximum(nr, 1), 0.0)
        rate_r = np.where(nr > 0, orr / np.maximum(nr, 1), 0.0)
        rate_b = np.where(nb > 0, ob / np.maximum(nb, 1), 0.0)
        holds = (
            (nr >= SPIKE_MIN_RECENT)
            & (nb >= SPIKE_MIN_BASE)
            & (rate_r >= rate_b * SPIKE_RATIO)
            & (rate_r - rate_b >= SPIKE_MARGIN - 1e-12)
            & (rate_r >= expected * SPIKE_RATIO)
            & (rate_r - expected >= SPIKE_MARGIN - 1e-12)
        )
        decided = n.sum(axis=1) > 0
        rows = []
        for r in np.flatnonzero((holds & decided).any(axis=1)):
            xs = np.flatnonzero(decided[r])
            h = holds[r, xs]
            start, last = -1, -(10**9)
            # Holding days less than SPIKE_GAP apart are one episode, whatever lies between.
            for x in xs[h].tolist():
                if x - last >= SPIKE_GAP:
                    if start >= 0:
                        rows.append((people[r], start, last))
                    start = x
                last = x
            if start >= 0:
                rows.append((people[r], start, last))
        rule = pd.DataFrame(rows, columns=["g", "start_day", "end_day"])
        rule["since"] = rule["start_day"]
        rule["size"] = 0
        before = len(self.episodes)
        plants = {
            "row": spikes["row"].to_numpy(dtype=np.int64),
            "start_day": spikes["start_day"].to_numpy(dtype=np.int64),
            "end_day": spikes["end_day"].to_numpy(dtype=np.int64),
            "size": spikes["size"].to_numpy(dtype=np.int64),
        }
        ident = np.arange(self.org.n)
        self._matched("override_spike", ident, plants, rule)
        return self.episodes.pop(before)

    def _no_meaningful(self) -> pd.DataFrame:
        """Licensed 14 days without a meaningful event, as episode rows.

        The episode runs from the person's first licence day to the day the rule falls due
        (the seat is assigned the evening before, so the due day is licence day + 13). It is
        `planted` when the plan kept the person from meaningful use that long (first use
        after the due day, or the non-user persona) and `rule_hit` when the generated events
        show no accept or completed task up to the due day; either way only while a seat is
        still held on the due day.
        """
        plan, days = self.plan, self.tl.days
        lic = plan.lic_day.min(axis=1)
        due = lic + NO_MEANINGFUL_DAYS - 1
        held = ((plan.lic_day <= due[:, None]) & (plan.removed_day >= due[:, None])).any(axis=1)
        ok = (lic < days) & (due < days) & held
        fm = np.where(
            self.first_meaningful >= 0, (self.first_meaningful - self.tl.start_ms) // MS_DAY, NEVER
        )
        hit = fm > due
        non = plan.persona == PERSONAS.index("non_user")
        stalled = (plan.start_day > due) | non
        sel = ok & (hit | stalled)
        g = np.flatnonzero(sel)
        return pd.DataFrame(
            {
                "g": g,
                "kind": "no_meaningful_use_14d",
                "start_day": lic[g],
                "end_day": due[g],
                "planted": stalled[g],
                "rule_hit": hit[g],
                "sessions": np.zeros(len(g), dtype=np.int64),
                "before": np.zeros(len(g), dtype=np.int64),
                "after": np.zeros(len(g), dtype=np.int64),
            }
        )

    def _distress(self, g: np.ndarray, ts: np.ndarray) -> None:
        if not len(g):
            return
        o = np.lexsort((ts, g))
        g, ts = g[o], ts[o]
        new = np.r_[True, (g[1:] != g[:-1]) | (ts[1:] - ts[:-1] >= DISTRESS_GAP_MS)]
        ep = np.cumsum(new) - 1
        day = (ts - self.tl.start_ms) // MS_DAY
        k = np.bincount(ep)
        last = np.r_[np.flatnonzero(new)[1:], len(g)] - 1
        first = np.flatnonzero(new)
        self.episodes.append(
            pd.DataFrame(
                {
                    "g": g[first],
                    "kind": "distress_language",
                    "start_day": day[first],
                    "end_day": day[last],
                    "planted": True,
                    "rule_hit": True,
                    "sessions": k.astype(np.int64),
                    "before": np.zeros(len(first), dtype=np.int64),
                    "after": np.zeros(len(first), dtype=np.int64),
                }
            )
        )


def _trailing3(a: np.ndarray, w: int) -> np.ndarray:
    """Trailing `w`-day sums along the last axis."""
    cs = np.cumsum(a, axis=-1)
    out = cs.copy()
    out[..., w:] = cs[..., w:] - cs[..., :-w]
    return out


def _trailing(a: np.ndarray, w: int) -> np.ndarray:
    cs = np.cumsum(a, axis=1)
    out = cs.copy()
    out[:, w:] = cs[:, w:] - cs[:, :-w]
    return out
