"""The Workspace's signals: every detector as of a date, and retraining the early warning."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.errors import NotFoundError
from uptake.workspace.access import ADMINISTER, IDENTITIES, INDIVIDUAL, Actor, require
from uptake.workspace.reads import IndividualReads

if TYPE_CHECKING:
    from uptake.signals.report import SignalsReport
    from uptake.workspace.core import Workspace

# Where the early-warning model and its card live inside a workspace.
MODEL_DIR = Path("models") / "early_warning"
# Abandonment risk (the model's top 10 %): what helps first, before any other signal.
RISK_HELP = "re-engage before the seat goes cold: a champion check-in this week"


class Signals(IndividualReads):
    """Signals for admins: individual data, every read written to `audit_log`."""

    path: Path

    @property
    def model_dir(self) -> Path:
        """The workspace's early-warning model folder (may not exist yet)."""
        return self.path / MODEL_DIR

    def signals(
        self, as_of: date | None = None, *, reveal: bool = False, actor: Actor | None = None
    ) -> SignalsReport:
        """Every signal as of a date (individual data: admin only, audited).

        Args:
            as_of: evaluation date (default: the one as-of rule).
            reveal: replace person keys by the roster's identifier (audited apart).
            actor: who reads (default: the local admin).

        Returns:
            The report; `report.to_dict()` is the `--json` document.
        """
        from uptake.signals.report import SignalsReport

        ctx = self._individual("signals", as_of, actor)
        # The same document the coaching and team pages read, remembered until the next batch.
        doc = self._signals_doc(as_of)
        report = SignalsReport(
            as_of=date.fromisoformat(doc["as_of"]),
            **{k: v for k, v in doc.items() if k != "as_of"},
        )
        keys = [p["person"] for p in report.people]
        self._audited("signals", ctx.as_of, pd.DataFrame({"person_key": keys}), actor)
        if reveal:
            require(actor or Actor.local(), IDENTITIES)
            names = self._identities(keys)
            shown = pd.DataFrame({"k": names})
            self._audited("identities (signals --reveal)", ctx.as_of, shown, actor)
            for p in report.people:
                p["person"] = names.get(p["person"], p["person"])
        return report

    def coaching(
        self,
        as_of: date | None = None,
        *,
        actor: Actor | None = None,
        team: str | None = None,
        list_at_most: int | None = None,
    ) -> dict[str, Any]:
        """The people of a coach's teams under the coaching policy (individual, audited).

        "Under the coaching policy" means: a person whose team (`dim_person.team`) is one of
        the coach's teams (every team for an admin) and who has at least one signal worth a
        coach's time: a friction flag raised in the recent window, abandonment risk in the
        early-warning model's top 10 % (the only level the model flags), or a resistance
        typology other than "none". Manager passive-resistance flags are left out: they judge
        how a manager leads, which is not a coach's one-to-one help. Keys stay pseudonymous.

        Args:
            as_of: evaluation date (default: the one as-of rule).
            actor: who reads (a coach for the teams of its scope, an admin for every team).
            team: one team of the reader's to read alone (default: all of them).
            list_at_most: with no team asked, list the people only when the reader has at
                most this many teams (None: always); otherwise each team's counts alone,
                which read no one's row and are not audited.

        Returns:
            {as_of, teams: [{team, people, licensed, shown}], people: [{person, team, level,
            flags: [{rule, since, latest, times, help}], risk, typology, help}], counts:
            {people_in_teams, licensed, shown}, status (friction, early_warning, typology:
            available or what each needs), ladder_basis (`tasks` or `activity_proxy`),
            listed (whether `people` lists them)}.

        Raises:
            PermissionDeniedError: anyone but an admin or a coach for each team of its scope,
                and a coach asking for a team outside it.
            NotFoundError: an admin asking for a team not on the roster.
        """
        from uptake.metrics.families.ladder import basis

        who = actor or Actor.local()
        teams = self._scope_teams(who)
        listed = team is not None or list_at_most is None or len(teams) <= list_at_most
        if team is not None:
            require(who, INDIVIDUAL, team=team)
            if team not in teams:
                raise NotFoundError(f"no team {team!r} on the roster")
            teams = [team]
        # Asked team by team; naming no team means everyone's rows, which only admins get.
        scope: list[str | None] = [*teams] or [None]
        for one in scope:
            require(who, INDIVIDUAL, team=one)
        doc = self._signals_doc(as_of)
        pairs = (
            self.con.execute(
                "SELECT person_key, team FROM dim_person "
                "WHERE team IN (SELECT unnest(?::VARCHAR[]))",
                [teams],
            ).fetchall()
            # Before the first roster or activity there is no dim_person yet.
            if self.engine().has("dim_person")
            else []
        )
        team_of = {str(k): str(t) for k, t in pairs}
        risk_status = doc["status"].get("early_warning") or {"status": "available"}
        people: list[dict[str, Any]] = []
        licensed: Counter[str] = Counter()
        for p in doc["people"]:
            where = team_of.get(p["person"])
            if where is None:
                continue
            licensed[where] += 1
            row = _coached(p, risk_status)
            if row is not None:
                people.append({"person": p["person"], "team": where, **row})
        roster = Counter(team_of.values())
        shown = Counter(p["team"] for p in people)
        counts = {
            "people_in_teams": len(team_of),
            "licensed": sum(licensed.values()),
            "shown": len(people),
        }
        if listed:
            keys = pd.DataFrame({"person_key": [p["person"] for p in people]})
            self._audited("coaching", date.fromisoformat(doc["as_of"]), keys, who)
        else:
            people = []
        # Each part's availability, without the organisation-wide counts a coach may not read.
        status = {
            k: _without_counts(doc["status"][k])
            for k in ("friction", "early_warning", "typology")
            if k in doc["status"]
        }
        return {
            "as_of": doc["as_of"],
            "teams": [
                {"team": t, "people": roster[t], "licensed": licensed[t], "shown": shown[t]}
                for t in teams
            ],
            "people": people,
            "counts": counts,
            "status": status,
            "ladder_basis": basis(self._context("coaching", as_of)),
            "listed": listed,
        }

    def _signals_doc(self, as_of: date | None) -> dict[str, Any]:
        """Every signal as of a date, as JSON, remembered until the data or the model change.

        Callers check the actor first: this holds everyone's rows.
        """
        from uptake.signals.friction import load_distress
        from uptake.signals.report import build

        # Keyed by the day itself: the teams page asks for the as-of rule's day (None) and
        # readiness for that day by date, and both are one computation (3.5 s at 2,000 people).
        day = as_of or self.default_as_of()[0]

        def compute() -> dict[str, Any]:
            ctx = self._context("signals", day)
            # The teams' people counts are published: with the noise the metrics carry.
            ctx.noise = self._release_noise(day)
            s = self.settings.signals
            cache = self._voice_cache()
            return build(
                ctx,
                model_dir=self.model_dir,
                classify=_voice(cache),
                # The live path's classifier, reading and keeping the same scores.
                distress=load_distress(cache),
                settings=s,
            ).to_dict()

        # A retrained model changes the risk: its file's time is part of the key.
        model = self.model_dir / "model.joblib"
        stamp = model.stat().st_mtime_ns if model.exists() else None
        return self._memo("signals", (day, stamp), compute)

    def train_early_warning(
        self, as_of: date | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """Train the abandonment early-warning model on this workspace's history (admins).

        Args:
            as_of: last day of history used (default: the one as-of rule).
            actor: who trains it (default: the local admin).

        Returns:
            The model card (features, training window, cutoff, scores, seed).
        """
        from uptake.signals.early_warning import train

        self._writable("train the early-warning model")
        require(actor or Actor.local(), ADMINISTER)
        ctx = self._individual("early_warning_training", as_of, actor)
        card = train(ctx, self.model_dir)
        return card.to_dict()

    if TYPE_CHECKING:
        # Provided by Workspace: a stub at run time would shadow the real method for
        # the classes after this one.
        def _writable(self, action: str) -> None:
            raise NotImplementedError


def _coached(p: dict[str, Any], risk_status: dict[str, Any]) -> dict[str, Any] | None:
    """One person's row of the coaching view, or None when no signal is worth a coach's time.

    Args:
        p: an entry of the signals report's `people`.
        risk_status: the report's early-warning status (available, or what it needs).

    Returns:
        {level, flags, risk, typology, help}, flags merged per rule (a rule can fire on many
        days: first and latest day and how many times).
    """
    from uptake.signals import typology
    from uptake.signals.early_warning import SIGNAL as RISK
    from uptake.signals.friction import SIGNALS
    from uptake.signals.report import FRICTION_HELP

    flags: dict[str, dict[str, Any]] = {}
    for f in p["flags"]:
        rule, since = str(f["signal"]), str(f["since"])
        if rule not in SIGNALS and rule != RISK:
            continue
        row = flags.setdefault(
            rule,
            {
                "rule": rule,
                "since": since,
                "latest": since,
                "times": 0,
                "help": RISK_HELP if rule == RISK else FRICTION_HELP.get(rule),
            },
        )
        row["since"], row["latest"] = min(row["since"], since), max(row["latest"], since)
        row["times"] += 1
    kind = p.get("typology")
    if not flags and kind in (None, typology.NONE):
        return None
    high = RISK in flags
    risk: dict[str, Any]
    if risk_status.get("status") == "available":
        scored = "not elevated" if p.get("risk") is not None else "not scored"
        risk = {"status": "available", "score": p.get("risk"), "level": "high" if high else scored}
    else:
        risk = {"status": "not_available", "needs": list(risk_status.get("needs") or [])}
    ty = None if kind is None else {"name": kind, "help": typology.INTERVENTIONS.get(kind)}
    # Risk first (a seat about to go cold), then the newest friction, then the typology.
    newest = sorted((f for f in flags.values() if f["rule"] != RISK), key=lambda f: f["latest"])
    first = RISK_HELP if high else newest[-1]["help"] if newest else (ty or {}).get("help")
    return {
        "level": p.get("ladder"),
        "flags": sorted(flags.values(), key=lambda f: (f["since"], f["rule"])),
        "risk": risk,
        "typology": ty,
        "help": first,
    }


def _without_counts(status: dict[str, Any]) -> dict[str, Any]:
    """A part's status (or each friction rule's) without its organisation-wide flag count."""
    if "status" in status:
        return {k: v for k, v in status.items() if k != "flags"}
    return {rule: _without_counts(st) for rule, st in status.items()}


def _voice(cache: Path | None = None) -> Any:
    """The voice classifier when its model ships with this install, else None.

    Args:
        cache: folder of the scores kept between processes (None: none kept).

    Returns:
        texts → the classification frame, or None.
    """
    from uptake.errors import UptakeError

    try:
        from uptake.signals.voice import ScoreStore, classify

        classify(["a first sentence to load the model"])
    except (ImportError, UptakeError):
        return None
    return classify if cache is None else functools.partial(classify, store=ScoreStore(cache))


def detector_scores(
    ws: Workspace, as_of: date, episodes: pd.DataFrame, people: pd.DataFrame
) -> dict[str, Any]:
    """Every detector against a simulated organisation's ground truth (admin, audited).

    Args:
        ws: a workspace holding one view of a simulated organisation.
        as_of: the day to evaluate (the last simulated day).
        episodes: ground_truth_episodes.parquet (planted friction episodes).
        people: ground_truth.parquet (person = e-mail, typology, champion).

    Returns:
        friction (precision and recall per rule against planted episodes), early_warning
        (the model card's scores on the weeks after its cutoff, model and rules), typology
        (macro-F1 over people with a typology) and champions (share of selected champions
        who are true champions).
    """
    from sklearn.metrics import f1_score

    from uptake.errors import InputError, NotAvailableError
    from uptake.signals import champions, typology
    from uptake.signals.friction import evaluate_friction

    ctx = ws._individual("detector_scores", as_of, None)
    key = {str(p): ws.pseudonymise(str(p)) for p in people["person"]}
    rules = ws.settings.signals
    out: dict[str, Any] = {"friction": evaluate_friction(ctx, episodes, key, rules.friction)}
    try:
        card = ws.train_early_warning(as_of)
        out["early_warning"] = {
            "cutoff": card["cutoff"],
            "eval_rows": card["eval_rows"],
            "eval_positives": card["eval_positives"],
            **{name: card["scores"].get(name) for name in ("model", "rules")},
        }
    except NotAvailableError as exc:
        out["early_warning"] = {"status": "not_available", "needs": exc.needs}
    except InputError as exc:
        # Too little history before the cutoff to train on: a fact about the data.
        out["early_warning"] = {"status": "not_available", "needs": [str(exc)]}
    truth = people.assign(person_key=people["person"].map(key)).set_index("person_key")
    ty = typology.typologies(ctx, rules=rules.typology, classify=_voice(ws._voice_cache())).people
    if len(ty):
        y = truth["typology"].reindex(ty["person_key"]).fillna(typology.NONE).astype(str)
        out["typology"] = {
            "n": len(ty),
            "macro_f1": round(float(f1_score(y, ty["typology"].astype(str), average="macro")), 3),
        }
    else:
        out["typology"] = {"status": "not_available", "needs": ["responses", "decisions"]}
    try:
        ranking = champions.rank(ctx, **rules.champions.rank_kwargs())
        chosen = champions.select(ctx, ranking).champions
        true = set(truth.index[truth["champion"].astype(bool)])
        out["champions"] = champions.precision(chosen, true)
    except NotAvailableError as exc:
        out["champions"] = {"status": "not_available", "needs": exc.needs}
    ws._audited("detector scores", ctx.as_of, truth.reset_index()[["person_key"]], None)
    return out
