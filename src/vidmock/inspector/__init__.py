"""The web inspector at ``/_vidmock/ui``: what the gateway did, on one page per job.

Plain server-rendered HTML (every value through ``html.escape``), filters as query parameters, and
a small script that adds live refresh, instant filtering and copy-as-curl; no external asset: it
works offline. Nothing here exists on the real gateway.

Modules: ``routes`` (the routes), ``views`` (the pages), ``timeline`` and ``attempts`` (a job's
events and webhook attempts), ``jobindex`` (the jobs list and its filter), ``request_log`` (the
Requests panel's source interface), ``curl`` (copy-as-curl), ``state`` (the live-refresh version),
``layout``, ``markup`` and ``assets`` (the page shell and HTML helpers), ``masking`` (what is hidden).
"""

from .request_log import RequestRow, RequestSource, journal_requests
from .routes import inspector_routes

__all__ = ["RequestRow", "RequestSource", "inspector_routes", "journal_requests"]
