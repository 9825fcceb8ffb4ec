"""Evaluate uptake against a simulated organisation's ground truth, view by view.

`evaluate(people, days, seed, data)` simulates an organisation, ingests its canonical tables
and its vendor view into two workspaces and compares, person by person on the last simulated
day, the usage segment and the ladder level of each view with the truth and with each other
(`agreement`: n, accuracy, Cohen's kappa, confusion table).
"""

from uptake.evaluate.agreement import agreement
from uptake.evaluate.run import DATA, evaluate

__all__ = ["DATA", "agreement", "evaluate"]
