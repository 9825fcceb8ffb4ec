"""The web surface: the REST API (and, as they land, the dashboard pages) over a Workspace."""

from uptake.web.app import create_app

__all__ = ["create_app"]
