"""Differential mode: ``vidmock check --base-url A --against B`` sends the same seeded requests to both
targets and reports every difference in status, error message, field set, field types and timing,
grouped and de-duplicated, so a team sees where its implementation (or vidmock) departs from a
reference deployment.

What is compared is a *shape*, never a value that legitimately differs between two deployments: ids,
timestamps and URLs are not compared; statuses, error messages (ids masked), which fields a JSON body has
(by path, lists merged) and each field's JSON type are. Timing is compared on the targets' own clocks:
how long each job took to reach its terminal status (exact on two virtual clocks, within a poll step
otherwise). Each step is named by a template (method, path with ``{id}``, the job's label), so the same
difference seen on every poll of every job is one group with a count.

Catalogues: the two ``GET /v1/models`` listings are compared by id (kind ``model``: every model and every
``provider/model`` pin, gateway.md §5.2), and each id only one side lists is created on both, so the
other side's refusal (a 410, a 400) is a ``status``/``message`` group. Job costs (``usage``) are compared
by value (kind ``usage``): a price is what a release changes. A status difference is reported as status
and message only, not as the field set of an error envelope against a job.

Releases: two gateway releases differ in exactly the README "Gateway releases" rows these requests reach
(tests/test_harness_differ.py); ``beyond``/``unmatched`` let a caller subtract the differences it knows.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from .evidence import JobSpec
from .lifecycle import job_specs
from .model import Exchange
from .preflight import preflight
from .target import Target

STEP = 5.0  # target seconds per lockstep poll on virtual clocks (the worker's interval, gateway.md §4.1)


@dataclass(frozen=True)
class Difference:
    kind: str  # status | message | field | type | usage | model | timing
    step: str  # the request template, e.g. "GET /v1/videos/{id} [sora, completed]"
    path: str  # the field path for field/type differences, "" otherwise
    a: str  # what the base target answered
    b: str  # what the --against target answered


@dataclass
class Group:
    difference: Difference
    count: int = 0


@dataclass
class DiffReport:
    base_url: str
    against_url: str
    seed: int
    steps: int = 0  # requests sent to each target
    groups: list[Group] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.groups

    def beyond(self, known: Iterable[tuple[str, str]]) -> list[Group]:
        """The groups a release table does not explain: ``known`` holds (kind, fragment) pairs, a fragment
        matching the group's field path or step. Two releases differ exactly as their table says when
        this is empty and every known pair matched a group (see ``unmatched``)."""
        pairs = list(known)
        return [g for g in self.groups if not any(_explains(p, g.difference) for p in pairs)]

    def unmatched(self, known: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Known differences that did not show up."""
        return [p for p in known if not any(_explains(p, g.difference) for g in self.groups)]

    def text(self) -> str:
        lines = [
            f"differential: {self.base_url} (A) vs {self.against_url} (B), seed {self.seed}, {self.steps} requests each"
        ]
        if not self.groups:
            return "\n".join([*lines, "no differences", ""])
        for g in self.groups:
            d = g.difference
            where = f" {d.path}" if d.path else ""
            lines.append(f"  {d.kind:<8} {d.step}{where}: A={d.a} B={d.b}  (×{g.count})")
        lines.append(f"{len(self.groups)} difference group(s)")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "against_url": self.against_url,
            "seed": self.seed,
            "steps": self.steps,
            "ok": self.ok,
            "groups": [{**g.difference.__dict__, "count": g.count} for g in self.groups],
        }


def _explains(pair: tuple[str, str], d: Difference) -> bool:
    kind, fragment = pair
    return d.kind == kind and (fragment in d.path or fragment in d.step)


def _type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def fields(value: Any, prefix: str = "") -> dict[str, str]:
    """Every path in a JSON value with its type; list items merged under ``[]``."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out[path] = _type(item)
            out |= fields(item, path)
    elif isinstance(value, list):
        for item in value:
            out[f"{prefix}[]"] = _type(item)
            out |= fields(item, f"{prefix}[]")
    return out


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, item in value.items():
        out |= _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    return out


def _money(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) and not isinstance(value, bool) else repr(value)


def shape(ex: Exchange, mask: Callable[[str], str]) -> dict[str, str]:
    out = {"status": str(ex.status)}
    body = ex.json()
    if isinstance(body, dict) and isinstance(body.get("error"), dict) and ex.status >= 400:
        out["message"] = mask(str(body["error"].get("message", "")))
    if body is not None:
        out |= {f"field:{p}": t for p, t in fields(body).items()}
        usage = body.get("usage") if isinstance(body, dict) else None
        if isinstance(usage, dict):  # what a job cost is a release difference (README "Gateway releases")
            out |= {f"usage:usage.{p}": _money(v) for p, v in _leaves(usage).items()}
    elif ex.response_body:
        out["content-type"] = ex.response_headers.get("content-type", "").split(";")[0]
    return out


def compare(step: str, a: dict[str, str], b: dict[str, str]) -> Iterator[Difference]:
    if a["status"] != b["status"]:
        # A different status is one difference with its message: an error envelope against a job body
        # differs in every field, and listing those would bury the one thing that differs.
        yield Difference("status", step, "", a["status"], b["status"])
        if a.get("message") != b.get("message"):
            yield Difference("message", step, "", a.get("message", "-"), b.get("message", "-"))
        return
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        if key.startswith("usage:"):
            yield Difference("usage", step, key.removeprefix("usage:"), a.get(key, "-"), b.get(key, "-"))
        elif key.startswith("field:"):
            path = key.removeprefix("field:")
            if key in a and key in b:
                yield Difference("type", step, path, a[key], b[key])
            else:
                yield Difference(
                    "field", step, path, "present" if key in a else "absent", "present" if key in b else "absent"
                )
        else:
            yield Difference(
                key if key in ("status", "message") else "header", step, "", a.get(key, "-"), b.get(key, "-")
            )


# Error-path requests: the same bytes to both targets (gateway.md §1.1, §2).
GOOD = {"prompt": "a red fox in snow", "seconds": 4}
PROBES: list[tuple[str, str, str, Any, bytes | None, dict[str, str], bool]] = [
    ("malformed JSON", "POST", "/v1/videos", None, b'{"prompt": "fox",', {"Content-Type": "application/json"}, True),
    ("seconds as a string", "POST", "/v1/videos", {**GOOD, "seconds": "4"}, None, {}, True),
    ("empty prompt", "POST", "/v1/videos", {**GOOD, "prompt": ""}, None, {}, True),
    ("missing seconds", "POST", "/v1/videos", {"prompt": "fox"}, None, {}, True),
    ("lone callback_url", "POST", "/v1/videos", {**GOOD, "callback_url": "https://example.com/h"}, None, {}, True),
    ("lone callback_secret", "POST", "/v1/videos", {**GOOD, "callback_secret": "s"}, None, {}, True),
    ("size not listed", "POST", "/v1/videos", {**GOOD, "size": "999x999"}, None, {}, True),
    ("n=2", "POST", "/v1/videos", {**GOOD, "n": 2}, None, {}, True),
    ("unknown model", "POST", "/v1/videos", {**GOOD, "model": "no-such-model-xyz"}, None, {}, True),
    ("unknown id", "GET", "/v1/videos/vid_vidmock_diff_0", None, None, {}, True),
    ("unknown id content", "GET", "/v1/videos/vid_vidmock_diff_0/content", None, None, {}, True),
    ("no key", "GET", "/v1/videos/vid_vidmock_diff_0", None, None, {}, False),
]
# A fixed job beyond the lifecycle's seeded mix: Veo 3.1 Fast at 4k without audio, the one rate the two
# releases price differently (README "Gateway releases": $0.30/s against $0.35/s).
FIXED_JOBS = [
    JobSpec(
        "veo-fast-4k-silent",
        {
            "model": "veo-3.1-fast-generate-preview",
            "prompt": "a fox",
            "seconds": 4,
            "size": "3840x2160",
            "audio": False,
        },
    )
]


def listed(body: Any) -> dict[str, dict[str, Any]]:
    """Every id ``GET /v1/models`` makes creatable: each model and each ``provider/model`` pin
    (gateway.md §5.2), with a body the listing says that id accepts (its first size, at most 8 s)."""
    out: dict[str, dict[str, Any]] = {}
    data = body.get("data") if isinstance(body, dict) else None
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        model = entry["id"]
        limits = entry.get("per_request_limits")
        limit = limits.get("max_video_duration_seconds") if isinstance(limits, dict) else None
        seconds = max(1, min(8, int(limit))) if isinstance(limit, str) and limit.isdigit() else 8
        out[model] = {"prompt": "a fox", "seconds": seconds, "model": model}
        providers = entry.get("providers")
        for provider in providers if isinstance(providers, list) else []:
            if not isinstance(provider, dict) or not isinstance(provider.get("providerId"), str):
                continue
            sizes = provider.get("supportedVideoSizes")
            size = {"size": sizes[0]} if isinstance(sizes, list) and sizes and isinstance(sizes[0], str) else {}
            pin = f"{provider['providerId']}/{model}"
            out[pin] = {"prompt": "a fox", "seconds": seconds, "model": pin, **size}
            if "size" not in out[model]:  # the unpinned id: a size its first provider serves
                out[model] |= size
    return out


class _Pair:
    """The two targets in lockstep; every difference goes through ``record``."""

    def __init__(self, a: Target, b: Target, report: DiffReport) -> None:
        self.a, self.b, self.report = a, b, report
        self.ids: set[str] = set()
        self.groups: dict[Difference, Group] = {}

    def mask(self, text: str) -> str:
        for known in sorted(self.ids, key=len, reverse=True):
            text = text.replace(known, "{id}")
        return re.sub(r"\$\d+\.\d\d", "$N.NN", text)

    def record(self, step: str, ea: Exchange, eb: Exchange) -> None:
        self.report.steps += 1
        for d in compare(step, shape(ea, self.mask), shape(eb, self.mask)):
            self.groups.setdefault(d, Group(d)).count += 1

    def both(
        self, step: str, method: str, path_a: str, path_b: str | None = None, **kw: Any
    ) -> tuple[Exchange, Exchange]:
        ea = self.a.request(method, path_a, **kw)
        eb = self.b.request(method, path_b or path_a, **kw)
        self.record(step, ea, eb)
        return ea, eb


def catalogue(pair: _Pair) -> None:
    """Compare the two listings by id, then send each id only one side lists to both: the other side's
    answer to it (a 410, a 400) is the difference a user meets. Catalogue metadata (field sets of a model
    entry) is the catalogue file's, not compared."""
    ea, eb = pair.a.get("/v1/models"), pair.b.get("/v1/models")
    step = "GET /v1/models"
    pair.report.steps += 1
    if ea.status != eb.status:
        d = Difference("status", step, "", str(ea.status), str(eb.status))
        pair.groups.setdefault(d, Group(d)).count += 1
    la, lb = listed(ea.json()), listed(eb.json())
    for model in sorted(set(la) ^ set(lb)):
        d = Difference(
            "model", step, model, "listed" if model in la else "absent", "listed" if model in lb else "absent"
        )
        pair.groups.setdefault(d, Group(d)).count += 1
        pair.both(f"POST /v1/videos [model {model}]", "POST", "/v1/videos", json_body=la.get(model) or lb[model])


def run_diff(
    a: Target, b: Target, seed: int, *, vidmock: bool, budget: float = 600.0, poll_every: float = 2.0
) -> DiffReport:
    report = DiffReport(a.base_url, b.base_url, seed)
    pair = _Pair(a, b, report)
    for name, method, path, body, content, headers, auth in PROBES:
        pair.both(
            f"{method} {path} [{name}]", method, path, json_body=body, content=content, headers=headers, auth=auth
        )
    catalogue(pair)
    specs = [*job_specs(random.Random(seed), vidmock=vidmock, retries=False), *FIXED_JOBS]
    jobs: list[tuple[str, str, str, float, float]] = []  # label, id on A, id on B, A start, B start
    for spec in specs:
        ea, eb = pair.both(f"POST /v1/videos [{spec.label}]", "POST", "/v1/videos", json_body=spec.body)
        ida, idb = (ea.json() or {}).get("id"), (eb.json() or {}).get("id")
        if isinstance(ida, str) and isinstance(idb, str):
            pair.ids |= {ida, idb}
            jobs.append((spec.label, ida, idb, a.now(), b.now()))
    ended: dict[tuple[str, str], tuple[float, str]] = {}  # (label, "a"/"b") -> (time to terminal, status)
    virtual = a.virtual and b.virtual
    start = a.now()
    while len(ended) < 2 * len(jobs) and a.now() - start < budget:
        for t in (a, b):
            t.wait(STEP if virtual else poll_every)
        for label, ida, idb, sa, sb in jobs:
            if (label, "a") in ended and (label, "b") in ended:
                continue
            ea, eb = a.get(f"/v1/videos/{ida}"), b.get(f"/v1/videos/{idb}")
            status_a, status_b = str((ea.json() or {}).get("status")), str((eb.json() or {}).get("status"))
            if status_a == status_b:  # a status reached at different times is one timing difference, below
                pair.record(f"GET /v1/videos/{{id}} [{label}, {status_a}]", ea, eb)
            for side, status, begun, t in (("a", status_a, sa, a), ("b", status_b, sb, b)):
                if status in TERMINAL and (label, side) not in ended:
                    ended[(label, side)] = (t.now() - begun, status)
            if (label, "a") in ended and (label, "b") in ended:
                if status_a == status_b:  # read once more: a terminal job reads the same (same template)
                    pair.both(
                        f"GET /v1/videos/{{id}} [{label}, {status_a}]", "GET", f"/v1/videos/{ida}", f"/v1/videos/{idb}"
                    )
                pair.both(
                    f"GET /v1/videos/{{id}}/content [{label}]",
                    "GET",
                    f"/v1/videos/{ida}/content",
                    f"/v1/videos/{idb}/content",
                )
    slack = 0.0 if virtual else poll_every + STEP
    for label, _, _, _, _ in jobs:
        ta, sa_ = ended.get((label, "a"), (None, "not terminal"))
        tb, sb_ = ended.get((label, "b"), (None, "not terminal"))
        if ta is None or tb is None or abs(ta - tb) > slack or sa_ != sb_:
            d = Difference("timing", f"time to terminal [{label}]", "", _secs(ta, sa_), _secs(tb, sb_))
            pair.groups.setdefault(d, Group(d)).count += 1
    report.groups = sorted(
        pair.groups.values(), key=lambda g: (g.difference.kind, g.difference.step, g.difference.path)
    )
    return report


def _secs(value: float | None, status: str) -> str:
    return f"{value:.0f} s ({status})" if value is not None else status


TERMINAL = frozenset({"completed", "failed", "canceled", "expired"})


def differential(
    base_url: str,
    base_key: str,
    against_url: str,
    against_key: str,
    *,
    seed: int = 0,
    budget: float = 600.0,
    poll_every: float = 2.0,
) -> DiffReport | str:
    """Preflight both targets, then diff them; a string is the preflight's paragraph (nothing was sent)."""
    a, b = Target(base_url, base_key), Target(against_url, against_key)
    try:
        for target, key in ((a, base_key), (b, against_key)):
            target.detect_clock()
            if (stopped := preflight(target, [key])) is not None:
                return stopped
        try:
            vidmock = all(t.http.get("/_vidmock/health", timeout=5).status_code == 200 for t in (a, b))
        except httpx.HTTPError:
            vidmock = False
        return run_diff(a, b, seed, vidmock=vidmock, budget=budget, poll_every=poll_every)
    finally:
        a.close()
        b.close()
