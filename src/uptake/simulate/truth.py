"""Ground truth: what really happened in the simulated organisation, collected chunk by chunk.

Files (all Parquet, keyed by the roster `person`, i.e. the e-mail address):

- `ground_truth.parquet` — one row per person: persona, typology, champion, coaching arm,
  `abandoned_on`, `proficient_on` (first day the person's true chance of AI-assisting an
  eligible high-stakes run is >= 50 %, i.e. truly at L3 of the adoption ladder),
  `proficient_on_observed` (first day the ladder's L3 rule holds on the generated tasks
  over a 28-day window), first use, first/last meaningful use, the planted patterns.
- `ground_truth_episodes.parquet` — one `kind` per friction rule (`bounce_loop`,
  `no_meaningful_use_14d`, `week3_4_drop`, `surface_use`, `rejection_streak`,
  `override_spike`, `distress_language`), with dates; `planted` = True for the patterns the
  simulator planted (or, for no meaningful use and distress, knows from its plan and labels),
  False for incidental ones; `rule_hit` = the literal rule holds on the generated data (so
  detectors can be scored either way). `sessions` counts the episode's items: short
  sessions, runs taken off AI, decisions overridden, rejects, feedback items.
- `ground_truth_savings.parquet` — per person and workflow: runs, AI-assisted runs and the
  true minutes saved per AI-assisted run (at the person's proficiency then, and at full
  proficiency).
- `ground_truth_feedback.parquet` — per feedback item: frustrated / uncertain labels and the
  PII strings planted in its text.
- `ground_truth_dirty.parquet` — with `--dirty`: every planted bad row, its file, locator and
  expected quarantine reason (or `duplicate`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from uptake.simulate.activity import MAX_WF, ROLE_WF, WF_HIGH, WF_RATE, WF_TOOL, Cols
from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import TOOLS, WORKFLOWS
from uptake.simulate.daily import Daily
from uptake.simulate.events import ACCEPT, COMPLETE, REJECT
from uptake.simulate.personas import PERSONAS, TYPOLOGY
from uptake.simulate.roster import NEVER, Org
from uptake.simulate.timeline import MS_DAY, Timeline

WINDOW = 28
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


class Truth:
    """Accumulates ground truth and the headline shares while chunks are generated."""

    def __init__(self, org: Org, plan: Plan, tl: Timeline) -> None:
        self.org, self.plan, self.tl = org, plan, tl
        n = org.n
        self.first_event = np.full(n, -1, dtype=np.int64)
        self.first_meaningful = np.full(n, -1, dtype=np.int64)
        self.last_meaningful = np.full(n, -1, dtype=np.int64)
        self.events = np.zeros(n, dtype=np.int64)
        self.proficient = np.full(n, NEVER, dtype=np.int64)
        self.proficient_obs = np.full(n, NEVER, dtype=np.int64)
        self.episodes: list[pd.DataFrame] = []
        self.decisions: list[pd.DataFrame] = []
        self.spikes: list[pd.DataFrame] = []
        self.savings: list[pd.DataFrame] = []
        self.feedback: list[pd.DataFrame] = []
        self.seats = 0
        self.seats_used = 0
        self.licensed = 0
        self.login_active = 0
        self.hs_runs = 0
        self.hs_ai = 0
        self.true_l3 = 0

    def add_chunk(
        self,
        daily: Daily,
        tasks: Cols,
        extras: Cols,
        sess: Cols,
        ev: Cols,
        dec: Cols | None = None,
        plants: dict[str, dict[str, np.ndarray]] | None = None,
    ) -> None:
        """Record one chunk.

        Args:
            daily: the chunk's daily state.
            tasks: tasks (chunk rows in `person`).
            extras: per-person task parameters (`affinity`).
            sess: sessions.
            ev: events sorted by time, with `person` and `tool` per event.
            dec: the chunk's decisions (override spikes are decided once all are in).
            plants: planted friction per kind (`simulate.friction`): row, start_day, end_day.
        """
        tl, plan = self.tl, self.plan
        idx = daily.idx
        n, days = daily.avail.shape
        person, ts, action = ev["person"], ev["ts"], ev["action"]
        meaningful = (action == ACCEPT) | (action == COMPLETE)
        day = (ts - tl.start_ms) // MS_DAY
        self.events[idx] = np.bincount(person, minlength=n)
        u, first = np.unique(person, return_index=True)
        self.first_event[idx[u]] = ts[first]
        mp, mts = person[meaningful], ts[meaningful]
        u, first = np.unique(mp, return_index=True)
        self.first_meaningful[idx[u]] = mts[first]
        u, last = np.unique(mp[::-1], return_index=True)
        self.last_meaningful[idx[u]] = mts[::-1][last]

        counts = np.bincount(person * days + day, minlength=n * days).reshape(n, days)
        self._drops(idx, counts)
        self._bounces(idx, sess, ev, meaningful)
        self._proficiency(daily, tasks, extras)
        self._savings(idx, tasks)
        plants = plants or {}
        none = {k: np.zeros(0, dtype=np.int64) for k in ("row", "start_day", "end_day", "size")}
        self._streaks(idx, ev, plants.get("rejection_streak", none))
        self._surface(idx, days, tasks, plants.get("surface_use", none))
        if dec is not None:
            self._decisions(idx, dec, plants.get("override_spike", none))

        # Headline shares over the last 28 days.
        recent = day >= days - WINDOW
        held = (plan.lic_day[idx] < days) & (plan.removed_day[idx] >= days)
        used = np.zeros((n, len(TOOLS)), dtype=bool)
        used[person[recent & meaningful], ev["tool"][recent & meaningful]] = True
        self.seats += int(held.sum())
        self.seats_used += int((held & used).sum())
        licensed = held.any(axis=1)
        active = np.zeros(n, dtype=bool)
        active[person[recent]] = True
        self.licensed += int(licensed.sum())
        self.login_active += int((licensed & active).sum())
        t_recent = tasks["day"] >= days - WINDOW
        held_then = daily.lic[tasks["person"], tasks["day"], tasks["tool"]]
        hs = t_recent & tasks["high"] & held_then
        self.hs_runs += int(hs.sum())
        self.hs_ai += int((hs & tasks["ai"] & ~tasks["abandoned"]).sum())
        self.true_l3 += int(
            (licensed & (self.proficient[idx] < days) & (plan.abandon_day[idx] >= days)).sum()
        )

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

    def _proficiency(self, daily: Daily, tasks: Cols, extras: Cols) -> None:
        idx = daily.idx
        n, days = daily.avail.shape
        # Latent: expected share of eligible high-stakes runs that are AI-assisted.
        wfs = ROLE_WF[self.org.role[idx]]
        w = np.where(wfs >= 0, WF_RATE[np.maximum(wfs, 0)] * WF_HIGH[np.maximum(wfs, 0)], 0.0)
        tool = WF_TOOL[np.maximum(wfs, 0)]
        num = np.zeros((n, days))
        for k in range(MAX_WF):
            lic_k = daily.lic[np.arange(n)[:, None], np.arange(days)[None, :], tool[:, k][:, None]]
            pk = np.clip(daily.p_hi * extras["affinity"][:, k][:, None] * lic_k, 0, 0.97)
            num += w[:, k][:, None] * pk
        total = w.sum(axis=1)
        share = np.where(total[:, None] > 0, num / np.maximum(total, 1e-9)[:, None], 0.0)
        reached = share >= 0.5
        self.proficient[idx] = np.where(reached.any(axis=1), reached.argmax(axis=1), NEVER)
        # Observed: the ladder's L3 rule on the generated tasks over a trailing 28-day window.
        hs = tasks["high"]
        p, d = tasks["person"][hs], (tasks["start"][hs] - self.tl.start_ms) // MS_DAY
        ok_ai = tasks["ai"][hs] & ~tasks["abandoned"][hs]
        runs = np.bincount(p * days + d, minlength=n * days).reshape(n, days)
        ai = np.bincount(p * days + d, weights=ok_ai, minlength=n * days).reshape(n, days)
        rw = _trailing(runs, WINDOW)
        aw = _trailing(ai, WINDOW)
        licensed = daily.lic.any(axis=-1)
        l3 = licensed & (rw >= 1) & (aw >= 0.5 * rw)
        self.proficient_obs[idx] = np.where(l3.any(axis=1), l3.argmax(axis=1), NEVER)

    def _savings(self, idx: np.ndarray, tasks: Cols) -> None:
        done_ai = tasks["ai"] & ~tasks["abandoned"]
        df = pd.DataFrame(
            {
                "g": idx[tasks["person"]],
                "wf": tasks["workflow"],
                "runs": 1,
                "ai_runs": tasks["ai"].astype(np.int64),
                "done_ai": done_ai.astype(np.int64),
                "saved": np.where(done_ai, tasks["true_saving"], 0.0),
                "full": tasks["full_saving"],
            }
        )
        agg = df.groupby(["g", "wf"], sort=True).agg(
            runs=("runs", "sum"),
            ai_runs=("ai_runs", "sum"),
            done_ai=("done_ai", "sum"),
            saved=("saved", "sum"),
            full=("full", "mean"),
        )
        self.savings.append(agg.reset_index())

    def add_feedback(
        self,
        ids: list[str],
        labels: list[dict[str, object]],
        person: np.ndarray | None = None,
        ts: np.ndarray | None = None,
    ) -> None:
        """Record the truth about feedback texts (labels and planted PII).

        Args:
            ids: feedback ids, in table order.
            labels: per item: frustrated, uncertain, pii, pii_kinds.
            person: global person index per item (-1 for anonymous ones).
            ts: time per item (ms).

        With `person` and `ts`, distress episodes are recorded too: a person's items that are
        both frustrated and uncertain, those less than 14 days after the previous one joined
        into one episode (first to last item's day).
        """
        if person is not None and ts is not None and len(ids):
            bad = np.array([bool(x["frustrated"]) and bool(x["uncertain"]) for x in labels])
            sel = bad & (person >= 0)
            self._distress(np.asarray(person)[sel], np.asarray(ts)[sel])
        self.feedback.append(
            pd.DataFrame(
                {
                    "feedback_id": ids,
                    "frustrated": [bool(x["frustrated"]) for x in labels],
                    "uncertain": [bool(x["uncertain"]) for x in labels],
                    "pii": [list(x["pii"]) for x in labels],  # type: ignore[call-overload]
                    "pii_kinds": [list(x["pii_kinds"]) for x in labels],  # type: ignore[call-overload]
                }
            )
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

    def _date(self, day: np.ndarray) -> pd.Series:
        day = np.asarray(day)
        base = pd.Timestamp(self.tl.start)
        out = pd.Series(base + pd.to_timedelta(np.where(day < NEVER, day, 0), unit="D"))
        return out.dt.date.where(day < NEVER, None)

    def _ms_date(self, ms: np.ndarray) -> pd.Series:
        return self._date(np.where(ms >= 0, (ms - self.tl.start_ms) // MS_DAY, NEVER))

    def people_frame(self) -> pd.DataFrame:
        """One row per person (see module docstring)."""
        org, plan = self.org, self.plan
        persona = np.array(PERSONAS, dtype=object)[plan.persona]
        non = plan.persona == PERSONAS.index("non_user")
        abandon = np.where(non, NEVER, plan.abandon_day)
        return pd.DataFrame(
            {
                "person": org.email,
                "persona": persona,
                "typology": [TYPOLOGY[p] for p in persona],
                "champion": plan.champion,
                "arm": np.array(["none", "treatment", "holdout"], dtype=object)[plan.arm],
                "coaching_gain": plan.coach_gain,
                "activated_by_coaching": plan.activated,
                "manager_effect": np.where(org.level >= 1, plan.manager_effect, np.nan),
                "manager_lift": plan.lift,
                "first_license_on": self._date(plan.lic_day.min(axis=1)),
                "first_use_on": self._ms_date(self.first_event),
                "first_meaningful_on": self._ms_date(self.first_meaningful),
                "last_meaningful_on": self._ms_date(self.last_meaningful),
                "converted_on": self._date(plan.conv_day),
                "abandoned_on": self._date(abandon),
                "proficient_on": self._date(self.proficient),
                "proficient_on_observed": self._date(self.proficient_obs),
                "left_on": self._date(np.where(org.left_day < self.tl.days, org.left_day, NEVER)),
                "week3_4_drop_planted": plan.drop,
                "bounce_episodes_planted": plan.bounce_n,
                "events": self.events,
            }
        )

    def episodes_frame(self) -> pd.DataFrame:
        """Planted and incidental episodes with dates."""
        cols = [
            "person",
            "kind",
            "start_on",
            "end_on",
            "planted",
            "rule_hit",
            "sessions",
            "events_before",
            "events_after",
        ]
        parts = [*self.episodes, self._no_meaningful()]
        spikes = self._override_spikes()
        if len(spikes):
            parts.append(spikes)
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(columns=cols)
        df = pd.concat(parts, ignore_index=True).sort_values(
            ["kind", "g", "start_day"], kind="stable"
        )
        return pd.DataFrame(
            {
                "person": self.org.email[df["g"].to_numpy()],
                "kind": df["kind"].to_numpy(),
                "start_on": self._date(df["start_day"].to_numpy()).to_numpy(),
                "end_on": self._date(df["end_day"].to_numpy()).to_numpy(),
                "planted": df["planted"].to_numpy(),
                "rule_hit": df["rule_hit"].to_numpy(),
                "sessions": df["sessions"].to_numpy(),
                "events_before": df["before"].to_numpy(),
                "events_after": df["after"].to_numpy(),
            }
        )

    def savings_frame(self) -> pd.DataFrame:
        """Per person and workflow: runs and true minutes saved per AI-assisted run."""
        df = pd.concat(self.savings, ignore_index=True)
        per_run = np.where(df["done_ai"] > 0, df["saved"] / df["done_ai"].clip(lower=1), np.nan)
        return pd.DataFrame(
            {
                "person": self.org.email[df["g"].to_numpy()],
                "workflow": np.array([w.id for w in WORKFLOWS], dtype=object)[df["wf"].to_numpy()],
                "runs": df["runs"].to_numpy(),
                "ai_runs": df["ai_runs"].to_numpy(),
                "ai_runs_completed": df["done_ai"].to_numpy(),
                "minutes_saved_per_ai_run": np.round(per_run, 3),
                "minutes_saved_at_full_proficiency": np.round(df["full"].to_numpy(), 3),
            }
        )

    def feedback_frame(self) -> pd.DataFrame:
        """Labels and planted PII per feedback item."""
        if not self.feedback:
            return pd.DataFrame(
                columns=["feedback_id", "frustrated", "uncertain", "pii", "pii_kinds"]
            )
        return pd.concat(self.feedback, ignore_index=True)

    def headline(self) -> dict[str, float]:
        """The scenario headline shares (last 28 days) and the true L3+ share."""

        def share(a: int, b: int) -> float:
            return round(a / b, 4) if b else 0.0

        return {
            "licenses_unused": share(self.seats - self.seats_used, self.seats),
            "high_stakes_ai_share": share(self.hs_ai, self.hs_runs),
            "login_active": share(self.login_active, self.licensed),
            "true_l3_share": share(self.true_l3, self.licensed),
        }


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
