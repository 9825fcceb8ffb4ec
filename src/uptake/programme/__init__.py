"""Running the adoption programme from the data: readiness, the 90-day sprint, the audit
sample, hosted forms, wins and workflow redesign, use-case proposals and shadow AI."""
