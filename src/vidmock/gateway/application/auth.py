"""API-key authentication and project lookup (gateway.md §1.1)."""

from __future__ import annotations

from starlette.datastructures import Headers

from ...config import Project
from ...errors import GatewayError

NO_KEY = (
    "Unauthorized: No API key provided. Expected 'Authorization: Bearer your-api-token' header "
    "or 'x-api-key: your-api-token' header"
)
UNKNOWN_KEY = (
    "Unauthorized: Invalid LLMGateway API token. The token could not be found. Go to the "
    "LLMGateway 'API Keys' page to generate a new token."
)
INACTIVE_KEY = (
    "Unauthorized: This LLMGateway API token is not active (it may be disabled or deleted). "
    "Go to the LLMGateway 'API Keys' page to generate a new token."
)
ARCHIVED = "Project has been archived and is no longer accessible"


def extract_token(headers: Headers) -> str | None:
    """``extractToken``: split Authorization on the literal "Bearer "; exactly two parts, second
    non-empty. Otherwise fall back to ``x-api-key``."""
    auth = headers.get("authorization")
    if auth is not None:
        parts = auth.split("Bearer ")
        if len(parts) == 2 and parts[1]:
            return parts[1]
    key = headers.get("x-api-key")
    return key if key else None


class KeyRing:
    def __init__(self, projects: tuple[Project, ...]) -> None:
        self._active: dict[str, Project] = {}
        self._inactive: dict[str, Project] = {}
        self.projects = {p.id: p for p in projects}
        for project in projects:
            for key in project.keys:
                self._active[key] = project
            for key in project.inactive_keys:
                self._inactive[key] = project

    def authenticate(self, headers: Headers) -> Project:
        token = extract_token(headers)
        if token is None:
            raise GatewayError(401, NO_KEY)
        project = self._active.get(token)
        if project is None:
            if token in self._inactive:
                raise GatewayError(401, INACTIVE_KEY)
            raise GatewayError(401, UNKNOWN_KEY)
        if project.archived:
            raise GatewayError(410, ARCHIVED)
        return project
