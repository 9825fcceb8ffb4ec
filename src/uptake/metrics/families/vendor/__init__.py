"""Vendor aggregates: what GitHub and Microsoft report about their own tools, as reported.

`vendor_github_copilot` and `vendor_m365_copilot` show, for the current window, each vendor's
own numbers (read from `aggregate_facts` and, for GitHub's acceptance rate, the per-user
report) beside uptake's person-level numbers for the same tool: people holding a seat on
`as_of` and people with an event of the tool in the window. The vendor numbers are labelled
`vendor aggregate` with their scope and the days they cover; they are read here only and
never feed a person-level number or signal. A vendor number of users below k is shown as
hidden, like any other count of people.
"""

from __future__ import annotations

from uptake.metrics.context import MetricContext
from uptake.metrics.families.vendor import github, m365
from uptake.metrics.result import MetricResult, MetricSpec

FAMILY = "vendor"
# Each vendor metric is about one tool already: `--by tool` adds nothing and needs no caveat.
BY_TOOL = True
SPECS: tuple[MetricSpec, ...] = (github.SPEC, m365.SPEC)


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Vendor results: `vendor_github_copilot`, `vendor_m365_copilot`.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        One result per spec, in order.
    """
    return [github.compute(ctx), m365.compute(ctx)]
