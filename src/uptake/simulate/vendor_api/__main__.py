"""`python -m uptake.simulate.vendor_api [--folder DIR] [--port N]`: serve the stub for a demo."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from uptake.errors import UptakeError
from uptake.simulate.vendor_api.samples import SampleData
from uptake.simulate.vendor_api.server import Options, VendorApi
from uptake.simulate.vendor_api.simulated import SimulatedData

# Environment variable names the sync sources read, with the stub's value (None: the key).
ENV: tuple[tuple[str, str | None], ...] = (
    ("GITHUB_COPILOT_TOKEN", None),
    ("GITHUB_ORG", "meridian-group"),
    ("M365_TENANT_ID", "stub-tenant"),
    ("M365_CLIENT_ID", "stub-client"),
    ("M365_CLIENT_SECRET", None),
    ("ANTHROPIC_ADMIN_KEY", None),
    ("CURSOR_API_KEY", None),
    ("OPENAI_ADMIN_KEY", None),
    ("CODEX_WORKSPACE_ID", "ws-stub"),
    ("GOOGLE_ACCESS_TOKEN", None),
)


def base_url_env(urls: dict[str, str]) -> dict[str, str]:
    """Environment variables setting `sync.base_urls` so every source points at the stub.

    Args:
        urls: base URL per source (`VendorApi.urls`).

    Returns:
        Variable name -> URL (the settings' `UPTAKE__SECTION__KEY` form).
    """
    out = {f"UPTAKE__SYNC__BASE_URLS__{name.upper()}": url for name, url in urls.items()}
    out["UPTAKE__SYNC__BASE_URLS__M365_LOGIN"] = urls["m365"]
    return out


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C.

    Args:
        argv: command-line arguments (default: sys.argv[1:]).

    Returns:
        The exit code.
    """
    p = argparse.ArgumentParser(
        prog="python -m uptake.simulate.vendor_api",
        description="Serve stub vendor APIs (GitHub, Microsoft Graph, Anthropic, Cursor, "
        "OpenAI Codex, Google Reports) on loopback for `uptake sync` demos and tests.",
    )
    p.add_argument(
        "--folder",
        type=Path,
        help="vendor view from `uptake simulate --emit vendor` "
        "(default: the documented samples, re-dated to each requested day)",
    )
    p.add_argument("--samples", type=Path, help="folder with the vendor sample files")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--key", default=Options.key, help="the valid key of every vendor")
    p.add_argument("--page-size", type=int, help="cap every page at this many records")
    p.add_argument("--rate-limit-every", type=int, help="answer 429 after every N requests")
    p.add_argument("--retry-after", type=int, default=1, help="seconds in Retry-After")
    args = p.parse_args(argv)
    try:
        data = SimulatedData(args.folder) if args.folder else SampleData(args.samples)
        opts = Options(
            key=args.key,
            page_size=args.page_size,
            rate_limit_every=args.rate_limit_every,
            retry_after=args.retry_after,
        )
        api = VendorApi(data, options=opts, host=args.host, port=args.port)
    except (UptakeError, OSError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    print(f"stub vendor APIs ({data.mode} data) at {api.url}")
    for source, url in api.urls.items():
        print(f"  {source:<10} {url}")
    print(f"valid key: {opts.key}    key without scope (403): {opts.no_scope_key}")
    print("\nenvironment for `uptake sync` (or set [sync.base_urls] in uptake.toml):")
    for name, url in base_url_env(api.urls).items():
        print(f"  export {name}={url}")
    for name, value in ENV:
        print(f"  export {name}={value or opts.key}")
    print("Ctrl-C stops.", flush=True)
    api.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
