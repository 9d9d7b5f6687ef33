"""The stand-in's one route: ``GET /{bucket}/{object}`` on a V4-signed URL (path style, as
``storage.googleapis.com`` serves them). Anonymous reads are refused: output buckets are private."""

from __future__ import annotations

from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...gcs import HmacKey, SignedUrlError, verify
from ..base import EmulatorContext
from ..http import journaled, ranged_response
from .objects import get_object

SERVICE = "gcs"


def xml_error(status: int, code: str, message: str) -> Response:
    body = (
        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml; charset=UTF-8")


def build_emulator(ctx: EmulatorContext) -> Starlette:
    config = ctx.config
    keys = {config.gcs_hmac_access_id: HmacKey(config.gcs_hmac_access_id, config.gcs_hmac_secret)}

    async def read(request: Request) -> Response:
        bucket, name = request.path_params["bucket"], request.path_params["name"]
        query = parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if not any(k.startswith("X-Goog-") for k, _ in query):
            return xml_error(
                403,
                "AccessDenied",
                "Anonymous caller does not have storage.objects.get access to "
                "the Google Cloud Storage object. Permission 'storage.objects.get' "
                "denied on resource (or it may not exist).",
            )
        # The signature covers the path exactly as sent (percent-encoded, mount prefix included).
        raw_path = request.scope["raw_path"].decode("latin-1").split("?")[0]
        try:
            verify(
                request.method if request.method != "HEAD" else "GET",
                request.headers.get("host", ""),
                raw_path,
                query,
                keys,
                ctx.clock.now(),
            )
        except SignedUrlError as err:
            return xml_error(err.status, err.code, err.message)
        found = get_object(ctx.store, bucket, name)
        if found is None:
            return xml_error(404, "NoSuchKey", "The specified key does not exist.")
        doc, data = found
        response = ranged_response(request, data, doc["content_type"])
        response.headers["ETag"] = f'"{doc["blob"][:32]}"'
        return response

    app = Starlette(routes=[Route("/{bucket}/{name:path}", read, methods=["GET", "HEAD"])])
    journaled(app, SERVICE, ctx)
    return app
