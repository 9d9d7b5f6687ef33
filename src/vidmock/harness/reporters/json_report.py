"""The JSON record: the whole report (results, findings, timeline) as plain data."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..model import Report


def to_dict(report: Report) -> dict[str, Any]:
    data = asdict(report)
    data["ok"] = report.ok
    data["counts"] = {fam: report.counts(fam) for fam in report.families} | {"total": report.counts()}
    return data


def write(report: Report, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_dict(report), indent=2, ensure_ascii=False))
