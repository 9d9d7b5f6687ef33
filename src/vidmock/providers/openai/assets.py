"""The small images behind ``/content?variant=thumbnail|spritesheet``: deterministic WebP bytes.

A thumbnail is one frame in the clip's seed colour at a quarter of its size; a spritesheet is a
grid of tiles (one per second of the clip, up to 4 per row) in shades of that colour. Both are real
WebP files (PyAV's libwebp), byte-identical for the same inputs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from fractions import Fraction

import av

MIME = "image/webp"
TILE = 64
_cache: OrderedDict[tuple[str, int, int, int, int], bytes] = OrderedDict()
_lock = threading.Lock()


def _colour(seed: int, shade: int = 0) -> tuple[int, int, int]:
    h = (seed * 2654435761) & 0xFFFFFFFF
    return (min(235, 80 + (h & 0x3F) + 12 * shade), 64 + (h >> 8 & 0x7F), 64 + (h >> 16 & 0x7F))


def _even(n: int) -> int:
    return max(2, n - n % 2)


def _encode(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    frame = av.VideoFrame(width, height, "yuv420p")
    for index, plane in enumerate(frame.planes):
        shift = 0 if index == 0 else 1
        rows = []
        for y in range(plane.height):
            row = bytearray(plane.line_size)
            for x in range(plane.width):
                row[x] = pixel(x << shift, y << shift)[index]
            rows.append(bytes(row))
        plane.update(b"".join(rows))
    frame.pts = 0
    ctx = av.CodecContext.create("libwebp", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = Fraction(1, 1)
    packets = list(ctx.encode(frame)) + list(ctx.encode(None))
    return b"".join(bytes(p) for p in packets)


def render(variant: str, width: int, height: int, seconds: int, seed: int) -> bytes:
    key = (variant, width, height, seconds, seed)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if variant == "thumbnail":
        w, h = _even(width // 4), _even(height // 4)
        data = _encode(w, h, lambda x, y: _colour(seed))
    else:
        tile_w = TILE
        tile_h = _even(TILE * height // width)
        cols = min(4, seconds)
        rows = -(-seconds // cols)
        data = _encode(tile_w * cols, tile_h * rows, lambda x, y: _colour(seed, (y // tile_h) * cols + x // tile_w))
    with _lock:
        _cache[key] = data
        while len(_cache) > 32:
            _cache.popitem(last=False)
    return data
