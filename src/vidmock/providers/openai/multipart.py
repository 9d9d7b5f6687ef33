"""A bounded multipart/form-data reader on the standard library (vidmock does not depend on
python-multipart). Returns text fields and file parts separately."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str
    data: bytes


class MultipartError(ValueError):
    pass


def parse_form(body: bytes, content_type: str) -> tuple[list[tuple[str, str]], list[FilePart]]:
    if "boundary=" not in content_type:
        raise MultipartError("multipart body without a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise MultipartError("body is not multipart")
    fields: list[tuple[str, str]] = []
    files: list[FilePart] = []
    for part in message.iter_parts():
        if part.get_content_disposition() != "form-data":
            raise MultipartError("part without Content-Disposition: form-data")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise MultipartError("form-data part without a name")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files.append(FilePart(name, filename, part.get_content_type() if part.get("content-type") else "", payload))
        else:
            charset = part.get_content_charset() or "utf-8"
            fields.append((name, payload.decode(charset, "replace")))
    return fields, files
