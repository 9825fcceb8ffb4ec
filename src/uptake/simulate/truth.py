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
from uptake.simulate.episodes import Episodes, _trailing
from uptake.simulate.events import ACCEPT, COMPLETE
from uptake.simulate.personas import PERSONAS, TYPOLOGY
from uptake.simulate.roster import NEVER, Org
from uptake.simulate.timeline import MS_DAY, Timeline

WINDOW = 28


class Truth(Episodes):
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
