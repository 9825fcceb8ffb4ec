"""Outputs people look at: charts (and, later, the self-contained HTML report)."""
