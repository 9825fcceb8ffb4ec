"""The Workspace's signals: every detector as of a date, and retraining the early warning."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from uptake.workspace.access import ADMINISTER, IDENTITIES, Actor, require
from uptake.workspace.reads import IndividualReads

if TYPE_CHECKING:
    from uptake.signals.report import SignalsReport
    from uptake.workspace.core import Workspace

# Where the early-warning model and its card live inside a workspace.
MODEL_DIR = Path("models") / "early_warning"


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
        from uptake.signals.report import build

        ctx = self._individual("signals", as_of, actor)
        report = build(
            ctx, model_dir=self.model_dir, classify=_voice(), settings=self.settings.signals
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

    def _writable(self, action: str) -> None:
        raise NotImplementedError


def _voice() -> Any:
    """The voice classifier when its model ships with this install, else None."""
    from uptake.errors import UptakeError

    try:
        from uptake.signals.voice import classify

        classify(["a first sentence to load the model"])
    except (ImportError, UptakeError):
        return None
    return classify


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
    ty = typology.typologies(ctx, rules=rules.typology, classify=_voice()).people
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
