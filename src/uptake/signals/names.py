"""Signal names as words, for tables and pages (`week3_4_drop` reads "week 3–4 drop")."""

from __future__ import annotations

# Rule names whose words do not survive underscores read as spaces ("week3 4 drop").
_WORDS = {
    "week3_4_drop": "week 3–4 drop",
    "no_meaningful_use_14d": "no meaningful use (14 days)",
    # The detector's name is the model's word; a reader sees what it finds.
    "typology": "resistance kind",
}


def signal_name(signal: str) -> str:
    """A signal's or rule's name as words.

    Args:
        signal: the name the signals use (`week3_4_drop`).

    Returns:
        Its words (`week 3–4 drop`); other names with their underscores as spaces.
    """
    return _WORDS.get(signal, signal.replace("_", " "))
