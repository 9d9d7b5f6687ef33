"""A Google Cloud Storage stand-in: the objects Vertex writes to an output bucket, served through
V4-signed URLs (``vidmock.gcs``), with byte ranges and GCS's XML errors."""

from .emulator import build_emulator
from .objects import KIND, put_object

__all__ = ["KIND", "build_emulator", "put_object"]
