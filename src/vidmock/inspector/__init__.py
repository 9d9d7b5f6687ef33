"""The web inspector at ``/_vidmock/ui``: what the gateway did, on one page per job.

Plain server-rendered HTML (every value through ``html.escape``), a little inline JavaScript for the
clock control, no external asset: it works offline. Nothing here exists on the real gateway.
"""

from .pages import inspector_routes

__all__ = ["inspector_routes"]
