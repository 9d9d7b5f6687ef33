"""Image inputs as the gateway forwards them upstream (G1 ``processVideoImageInput``).

Data URLs are decoded (validation already checked them); http(s) URLs would be fetched by the
real gateway, but vidmock never leaves loopback, so it forwards a small deterministic placeholder
PNG and marks it as such.
"""

from __future__ import annotations

import base64

from ...providers.base import PreparedImage
from ..domain.request import ImageInput

# A 1x1 grey PNG.
_PLACEHOLDER = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
        "3a7e9b550000000a49444154789c63680000008200813f4d4d6b0000000049454e44ae426082"
    )
).decode()


def prepare(image: ImageInput) -> PreparedImage:
    url = image.url
    if url.startswith("data:"):
        header, _, data = url[5:].partition(",")
        mime = header.split(";")[0] or "image/png"
        return PreparedImage(mime, "".join(data.split()), "data")
    return PreparedImage("image/png", _PLACEHOLDER, "placeholder")
