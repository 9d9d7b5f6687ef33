"""JUnit XML: one <testsuite> per family, one <testcase> per check; failures carry expected,
actual and the reproduction in their text, so CI systems show them inline."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..model import FAMILIES, Report


def to_xml(report: Report) -> ET.Element:
    root = ET.Element(
        "testsuites",
        name="vidmock check",
        tests=str(len(report.results)),
        failures=str(report.counts()["failed"]),
        skipped=str(report.counts()["skipped"]),
        errors=str(len(report.errors)),
        time=f"{report.elapsed:.3f}",
    )
    for fam in report.families:
        results = [r for r in report.results if r.family == fam]
        c = report.counts(fam)
        suite = ET.SubElement(
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
            case = ET.SubElement(
                suite, "testcase", classname=f"vidmock.check.{fam}", name=r.name, time=f"{r.elapsed:.3f}"
            )
            if r.verdict == "failed":
                first = r.findings[0].message if r.findings else r.detail
                failure = ET.SubElement(case, "failure", message=first[:500], type=r.name)
                failure.text = "\n\n".join(
                    f"{f.message}\nexpected: {f.expected}\nactual: {f.actual}\nrequest: {f.request}\n"
                    f"reproduce (seed {report.seed}): {f.curl}"
                    for f in r.findings
                )
            elif r.verdict == "skipped":
                ET.SubElement(case, "skipped", message=r.detail)
    if report.errors:
        suite = ET.SubElement(
            root,
            "testsuite",
            name="harness",
            tests=str(len(report.errors)),
            failures="0",
            errors=str(len(report.errors)),
            skipped="0",
        )
        for i, err in enumerate(report.errors):
            ET.SubElement(
                ET.SubElement(suite, "testcase", classname="vidmock.check", name=f"harness_error_{i}"),
                "error",
                message=err.splitlines()[-1][:500] if err else "error",
            ).text = err
    return root


def write(report: Report, path: str | Path) -> None:
    tree = ET.ElementTree(to_xml(report))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
