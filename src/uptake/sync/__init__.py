"""`uptake sync`: pull vendor usage data from their APIs on a schedule, incrementally."""
