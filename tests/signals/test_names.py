"""Signal names as words."""

from __future__ import annotations

import re

from uptake.signals import friction
from uptake.signals.names import signal_name


def test_a_flag_s_name_reads_as_words() -> None:
    # "week3_4_drop" had read "week3 4 drop" in the people's table.
    assert signal_name("week3_4_drop") == "week 3–4 drop"
    assert signal_name("manager_passive_resistance") == "manager passive resistance"
    for signal in friction.SIGNALS:
        words = signal_name(signal)
        # No identifier fragments: underscores, or letters run into digits ("week3", "14d").
        assert not re.search(r"_|[a-z]\d|\d[a-z]", words), words
