"""The stand-in's one route: ``GET /{bucket}/{object}`` on a V4-signed URL (path style, as
``storage.googleapis.com`` serves them). Anonymous reads are refused: output buckets are private."""

from __future__ import annotations

from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from ...gcs import HmacKey, SignedUrlError, verify
from ..base import EmulatorContext
from ..http import ranged_response
from ..kit import Emulator, ProviderError
from .objects import get_object

SERVICE = "gcs"
ANONYMOUS = (
    "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. "
    "Permission 'storage.objects.get' denied on resource (or it may not exist)."
)
# GCS's XML error codes per status, for the kit's own answers (unknown route, wrong verb, a body
# over the limit) and scripted faults (chosen: the XML API's usual codes).
CODES = {400: "InvalidArgument", 403: "AccessDenied", 404: "NoSuchKey", 405: "MethodNotAllowed", 413: "EntityTooLarge"}


class XmlError(ProviderError):
    """GCS's XML error document."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message)
        self.code = code

    def body(self, request_id: str | None = None) -> str:
        return (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{escape(self.code)}</Code>"
            f"<Message>{escape(self.message)}</Message></Error>"
        )

    def response(self, request_id: str | None = None) -> Response:
        return Response(self.body(), status_code=self.status, media_type="application/xml; charset=UTF-8")


class GcsEmulator(Emulator):
    service = SERVICE

    def __init__(self, ctx: EmulatorContext) -> None:
        super().__init__(ctx)
        config = ctx.config
        self.keys = {config.gcs_hmac_access_id: HmacKey(config.gcs_hmac_access_id, config.gcs_hmac_secret)}

    def routes(self) -> list[BaseRoute]:
        return [Route("/{bucket}/{name:path}", self.read, methods=["GET", "HEAD"])]

    def error(self, status: int, code: str | None, message: str | None) -> XmlError:
        return XmlError(status, code or CODES.get(status, "InternalError"), message or "The request failed.")

    async def read(self, request: Request) -> Response:
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        query = parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if not any(k.startswith("X-Goog-") for k, _ in query):
            raise XmlError(403, "AccessDenied", ANONYMOUS)
        # The signature covers the path exactly as sent (percent-encoded, mount prefix included).
        raw_path = request.scope["raw_path"].decode("latin-1").split("?")[0]
        method = request.method if request.method != "HEAD" else "GET"
        try:
            verify(method, request.headers.get("host", ""), raw_path, query, self.keys, self.ctx.clock.now())
        except SignedUrlError as err:  # vidmock.gcs's own error type, mapped to the XML document
            raise XmlError(err.status, err.code, err.message) from err
        found = get_object(self.ctx.store, bucket, name)
        if found is None:
            raise XmlError(404, "NoSuchKey", "The specified key does not exist.")
        doc, data = found
        response = ranged_response(request, data, doc["content_type"])
        response.headers["ETag"] = f'"{doc["blob"][:32]}"'
        return response


def build_emulator(ctx: EmulatorContext) -> ASGIApp:
    return GcsEmulator(ctx).app()


__all__ = ["GcsEmulator", "XmlError", "build_emulator"]
