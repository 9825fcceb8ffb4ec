"""A stub of every vendor API `uptake sync` reads, for tests, benchmarks and demos.

`with VendorApi(folder=DIR) as api:` serves, on loopback, GitHub (usage-metrics report links,
signed NDJSON downloads, seats), Microsoft Graph (client-credentials token, Copilot user
detail by date), Anthropic (Claude Code usage report, Enterprise analytics users), Cursor
(daily usage data, filtered usage events), OpenAI Codex analytics and the Google Workspace
Reports API (Gemini activities) — from the documented samples (`SampleData`, default) or from
a simulated organisation's vendor view (`SimulatedData`). `api.urls[source]` is the base URL
to give each sync source; `Options` sets keys, page size, rate limiting and link lifetime.
Standard library only: `python -m uptake.simulate.vendor_api --folder DIR --port N`.
"""

from __future__ import annotations

from uptake.simulate.vendor_api.data import VendorData
from uptake.simulate.vendor_api.samples import SampleData
from uptake.simulate.vendor_api.server import DEMO_KEY, NO_SCOPE_KEY, PREFIXES, Options, VendorApi
from uptake.simulate.vendor_api.simulated import SimulatedData

__all__ = [
    "DEMO_KEY",
    "NO_SCOPE_KEY",
    "PREFIXES",
    "Options",
    "SampleData",
    "SimulatedData",
    "VendorApi",
    "VendorData",
]
