"""Sign and verify webhooks the way vidmock's conformance checks need to (webhooks.md §1–§5).

A tiny library in the style of the Standard Webhooks reference libraries: the verifier reuses the
signer's primitives, takes ``now`` as an argument (so a virtual clock can drive it), and checks the
raw bytes before parsing anything. ``diagnose`` names the likely mistake behind a failure.
"""

from .attempts import diagnose_attempts
from .diagnose import Diagnosis, diagnose
from .schemes import SCHEMES, llmgateway_signature, sign
from .verify import VerificationError, Verified, verify

__all__ = [
    "SCHEMES",
    "Diagnosis",
    "VerificationError",
    "Verified",
    "diagnose",
    "diagnose_attempts",
    "llmgateway_signature",
    "sign",
    "verify",
]
