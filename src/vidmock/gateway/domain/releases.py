"""Gateway releases: which version of the real gateway vidmock emulates (``--gateway-release``).

A user may test against the gateway as it runs today or against an older deployment
(changes-2026-12.md "Releases"). Everything that differs between the two is a named field of one
:class:`GatewayRelease`, next to the catalogue file it serves, so switching release is one option and
adding the next release is one object here plus one data file (README "Gateway releases"). Code that
behaves differently per release asks the release object; it never compares release names.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

from ...config import ConfigError
from .catalogue import Catalogue
from .catalogue_data import load_packaged_catalogue

# What the worker keeps of an upstream body in a poll-error message (N2 "caps logged xAI polling error
# response contents").
POLL_ERROR_BODY_LIMIT = 4000
XAI_MODERATION_CODE = "imagine:content-moderated"  # N2 "maps xAI poll moderation to content_filter"


class UnknownRelease(ConfigError):
    """A release name vidmock does not know; the message lists the known ones."""


@dataclass(frozen=True)
class GatewayRelease:
    """One release of the real gateway: its catalogue and every behaviour that differs between releases."""

    name: str
    summary: str
    catalogue_file: str  # in vidmock/catalogue_data/
    # Lifecycle dates are judged at max(clock, as_of): the release's own date (see Catalogue).
    as_of: float | None
    # Poll-error text (changes-2026-12.md §2.2): "status_and_body" = N2's "…with status <code>: <body>",
    # "error_message" = older workers' body.error.message, else "…with status <code>".
    poll_error_text: Literal["status_and_body", "error_message"]
    # An xAI 400 moderation answer on a poll fails the job at once as a content filter (§2.1); otherwise
    # it is one more poll error.
    xai_poll_moderation_fails_at_once: bool
    # Vertex without an output bucket for an org retaining nothing (§3.3; gateway.md §2 row 16): "fallback"
    # skips Vertex when unpinned and refuses when pinned; "refuse" refuses at submit time.
    vertex_without_storage: Literal["fallback", "refuse"]
    vertex_without_storage_message: str
    # A BYOK Vertex key without google_vertex_project_id is a 400 (§3.2).
    vertex_key_requires_project: bool

    def catalogue(self) -> Catalogue:
        return load_packaged_catalogue(self.catalogue_file, release=self.name, as_of=self.as_of)

    def poll_error_message(self, status: int, body: Any) -> str:
        """The message a non-2xx status call leaves (``llmgateway_last_poll_error``); ``body`` is the parsed
        JSON body, or the raw text when it was not JSON."""
        if self.poll_error_text == "status_and_body":
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            return f"Upstream status request failed with status {status}: {text[:POLL_ERROR_BODY_LIMIT]}"
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        return message if isinstance(message, str) else f"Upstream status request failed with status {status}"

    def poll_moderation_error(self, provider: str, status: int, body: Any) -> dict[str, Any] | None:
        """The job error when a failed poll is a moderation verdict that ends the job at once, else None."""
        if not self.xai_poll_moderation_fails_at_once or provider != "xai" or status != 400:
            return None
        if not isinstance(body, dict) or body.get("code") != XAI_MODERATION_CODE:
            return None
        message = body.get("error")
        return {"code": XAI_MODERATION_CODE, "message": message if isinstance(message, str) else "Video rejected"}


def _date(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


NEWEST = GatewayRelease(
    name="2026-12",
    summary="the gateway as it runs today (changes-2026-12.md): Sora deactivated, Avalanche removed",
    catalogue_file="2026-12.yaml",
    as_of=_date("2026-12-01"),  # the newest sources read (N1-N4, through December 2026)
    poll_error_text="status_and_body",
    xai_poll_moderation_fails_at_once=True,
    vertex_without_storage="fallback",
    vertex_without_storage_message=(
        "Google Vertex video generation requires either GCS output storage or data retention to be enabled."
    ),
    vertex_key_requires_project=True,
)

PRE_2026_03 = GatewayRelease(
    name="pre-2026-03",
    summary="the gateway gateway.md describes, before 2026-03-24: Avalanche present, Sora active and priced",
    catalogue_file="pre-2026-03.yaml",
    as_of=None,
    poll_error_text="error_message",
    xai_poll_moderation_fails_at_once=False,
    vertex_without_storage="refuse",
    vertex_without_storage_message=(
        "Vertex-compatible video generation requires either GCS output storage or data retention to be enabled."
    ),
    vertex_key_requires_project=False,
)

RELEASES: dict[str, GatewayRelease] = {r.name: r for r in (NEWEST, PRE_2026_03)}
DEFAULT_RELEASE = NEWEST.name


def get_release(name: str | None = None) -> GatewayRelease:
    """The named release (the default, the newest, for None); UnknownRelease lists the known names."""
    release = RELEASES.get(name or DEFAULT_RELEASE)
    if release is None:
        raise UnknownRelease(f"gateway_release: unknown release {name!r}; expected one of {', '.join(RELEASES)}")
    return release
