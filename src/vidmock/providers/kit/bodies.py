"""Reading request bodies, in one place: bounded bytes, JSON, and multipart forms.

JSON goes through vidmock's own reader (``jsonutil.loads``): any way a body fails to decode (bad
syntax, invalid UTF-8, an escaped lone surrogate, nesting too deep) is one ``BadBody(400)`` the
emulator renders in its envelope, never a 500.

Multipart forms are parsed by python-multipart's streaming parser as the chunks arrive, at most
``SLICE`` bytes per step with a yield to the event loop between steps, so a body of thousands of tiny
parts never holds the loop in one long call; part count and part size are bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import anyio.lowlevel
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ...jsonutil import loads
from .errors import BadBody, BodyTooLarge
from .limits import EmulatorLimits

SLICE = 16 * 1024  # bytes parsed between two yields to the event loop


async def read_bytes(request: Request, limit: int) -> bytes:
    """The whole body, or ``BadBody(413)`` past ``limit`` bytes. Starlette's ``Request.body`` keeps
    it, so a second read in the same handler is free; the kit's ``BodyLimit`` has already cut a
    streamed body off at the emulator's limit (``BodyTooLarge``), the length check covers a caller
    with a lower ``limit``."""
    try:
        raw = await request.body()
    except BodyTooLarge as exc:
        raise BadBody(413, "too_large") from exc
    if len(raw) > limit:
        raise BadBody(413, "too_large")
    return raw


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON, or ``BadBody(400)`` for anything that does not decode: bad syntax, invalid
    UTF-8, nesting too deep, a number ``int`` refuses, or an escaped lone surrogate (``"\\ud800"``,
    which ``json`` accepts but no UTF-8 store or answer can hold; a valid pair decodes to one
    character and passes). The surrogate walk only runs when the bytes hold such an escape."""
    try:
        value = loads(raw)
    except (ValueError, RecursionError, UnicodeError, OverflowError) as exc:
        raise BadBody(400, "invalid_json") from exc
    if _SURROGATE_ESCAPE.search(raw) and not _encodable(value):
        raise BadBody(400, "invalid_json")
    return value


def _encodable(value: Any) -> bool:
    """Every string in ``value`` (keys too) encodes as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Form:
    """A multipart/form-data body: text fields in order, and file parts."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)


class _Collector:
    """python-multipart callbacks that build a ``Form`` within ``limits``."""

    def __init__(self, limits: EmulatorLimits) -> None:
        self.limits = limits
        self.form = Form()
        self.count = 0
        self.headers: dict[bytes, bytes] = {}
        self.field, self.value = b"", b""
        self.data = bytearray()

    def on_part_begin(self) -> None:
        self.count += 1
        if self.count > self.limits.max_multipart_parts:
            raise BadBody(413, f"more than {self.limits.max_multipart_parts} parts", form=True)
        self.headers, self.data = {}, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.field.lower()] = self.value
        self.field, self.value = b"", b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if len(self.data) + (end - start) > self.limits.max_part_bytes:
            raise BadBody(413, f"a part over {self.limits.max_part_bytes} bytes", form=True)
        self.data += data[start:end]

    def on_part_end(self) -> None:
        disposition, options = parse_options_header(self.headers.get(b"content-disposition"))
        if disposition != b"form-data":
            raise BadBody(400, "part without Content-Disposition: form-data", form=True)
        name = options.get(b"name")
        if name is None:
            raise BadBody(400, "form-data part without a name", form=True)
        filename = options.get(b"filename")
        if filename is not None:
            mime = parse_options_header(self.headers.get(b"content-type"))[0].decode("latin-1")
            self.form.files.append(
                FilePart(name.decode("utf-8", "replace"), filename.decode("utf-8", "replace"), mime, bytes(self.data))
            )
        else:
            charset = parse_options_header(self.headers.get(b"content-type"))[1].get(b"charset", b"utf-8")
            try:
                text = bytes(self.data).decode(charset.decode("latin-1"), "replace")
            except LookupError:
                text = bytes(self.data).decode("utf-8", "replace")
            self.form.fields.append((name.decode("utf-8", "replace"), text))


async def read_form(request: Request, limits: EmulatorLimits, limit: int) -> Form:
    """The multipart/form-data body of ``request``, parsed while it streams in.

    ``BadBody(400)`` for a body that is not such a form; ``BadBody(413)`` past ``limit`` bytes, more
    than ``limits.max_multipart_parts`` parts or a part over ``limits.max_part_bytes``."""
    mime, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise BadBody(400, "multipart body without a boundary", form=True)
    collect = _Collector(limits)
    callbacks: Any = {
        "on_part_begin": collect.on_part_begin,
        "on_header_field": collect.on_header_field,
        "on_header_value": collect.on_header_value,
        "on_header_end": collect.on_header_end,
        "on_part_data": collect.on_part_data,
        "on_part_end": collect.on_part_end,
    }
    try:
        parser = MultipartParser(boundary, callbacks, max_header_count=limits.max_part_headers)
    except (ValueError, MultipartParseError) as exc:
        raise BadBody(400, f"multipart body with a bad boundary: {exc}", form=True) from exc
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadBody(413, "too_large", form=True)
        for start in range(0, len(chunk), SLICE):
            try:
                parser.write(chunk[start : start + SLICE])
            except MultipartParseError as exc:
                raise BadBody(400, str(exc) or "malformed multipart body", form=True) from exc
            await anyio.lowlevel.checkpoint()  # let every other request run between two slices
    try:
        parser.finalize()
    except MultipartParseError as exc:
        raise BadBody(400, str(exc) or "malformed multipart body", form=True) from exc
    if collect.count == 0:
        raise BadBody(400, "multipart body without parts", form=True)
    return collect.form


def prompt_field(value: Any) -> Any:
    """``value["prompt"]`` of a body not yet checked (anything else: None), for ``submit_body``."""
    return value.get("prompt") if isinstance(value, dict) else None
