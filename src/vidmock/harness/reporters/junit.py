"""JUnit XML: one <testsuite> per family, one <testcase> per check; failures carry expected, actual and
the reproduction in their text, so CI systems show them inline; a pass carries its evidence in
<system-out>. Every string goes through ``printable`` (a defective target can send any bytes, and one
control character makes the whole file invalid XML), and times are real wall seconds: each check's
judging plus its share of the driver that gathered its evidence."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..model import FAMILIES, Report, printable


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: printable(v) for k, v in attrs.items()})
    if text is not None:
        node.text = printable(text)
    return node


def to_xml(report: Report) -> ET.Element:
    errors = len(report.errors) + (1 if report.preflight else 0)
    root = ET.Element(
        "testsuites",
        name="vidmock check",
        tests=str(len(report.results) + errors),
        failures=str(report.counts()["failed"]),
        skipped=str(report.counts()["skipped"]),
        errors=str(errors),
        time=f"{report.elapsed:.3f}",
    )
    for fam in report.families:
        results = [r for r in report.results if r.family == fam]
        if not results:
            continue
        c = report.counts(fam)
        suite = _el(
            root,
            "testsuite",
            name=f"{fam} {FAMILIES[fam]}",
            tests=str(len(results)),
            failures=str(c["failed"]),
            skipped=str(c["skipped"]),
            errors="0",
            time=f"{sum(r.elapsed for r in results):.3f}",
        )
        for r in results:
            case = _el(suite, "testcase", classname=f"vidmock.check.{fam}", name=r.name, time=f"{r.elapsed:.3f}")
            if r.verdict == "failed":
                first = r.findings[0].message if r.findings else r.detail
                _el(
                    case,
                    "failure",
                    "\n\n".join(
                        f"{f.message}\nexpected: {f.expected}\nactual: {f.actual}\nrequest: {f.request}\n"
                        f"reproduce (seed {report.seed}): {f.curl}"
                        for f in r.findings
                    ),
                    message=first[:500],
                    type=r.name,
                )
            elif r.verdict == "skipped":
                _el(case, "skipped", message=r.detail)
            if r.evidence:
                _el(case, "system-out", "\n".join(r.evidence))
    problems = ([f"preflight: {report.preflight}"] if report.preflight else []) + report.errors
    if problems:
        suite = _el(
            root,
            "testsuite",
            name="harness",
            tests=str(len(problems)),
            failures="0",
            errors=str(len(problems)),
            skipped="0",
        )
        for i, err in enumerate(problems):
            case = _el(
                suite,
                "testcase",
                classname="vidmock.check",
                name="preflight" if err.startswith("preflight: ") else f"harness_error_{i}",
            )
            _el(case, "error", err, message=(err.splitlines() or ["error"])[-1][:500])
    return root


def write(report: Report, path: str | Path) -> None:
    tree = ET.ElementTree(to_xml(report))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
