"""The docs run: every shell and Python block of README.md and docs/*.md, in order per page (docs_runner.py).

docs/spec/ is the specification, prose only, and is not run. A block that cannot run here carries
``skip: REASON`` and shows up below as a skipped test with that reason: ``pytest tests/test_docs.py -rs`` lists them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_runner import Block, DocsError, doc_ports, parse, rewrite, run_page

REPO = Path(__file__).resolve().parent.parent
PAGES = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])  # a page added later is picked up


def _blocks(page: Path) -> list[Block]:
    try:
        return parse(page)
    except DocsError:
        return []  # test_page_runs reports it


SKIPPED = [block for page in PAGES for block in _blocks(page) if block.mode == "skip"]


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(REPO).as_posix() for p in PAGES])
def test_page_runs(page: Path, tmp_path: Path) -> None:
    run_page(page, REPO, tmp_path)


@pytest.mark.parametrize("block", SKIPPED, ids=[b.where for b in SKIPPED])
def test_skipped_block(block: Block) -> None:
    pytest.skip(f"{block.where}: {block.argument}")


def test_the_docs_have_runnable_blocks() -> None:
    # Guards the glob and the parser: were they to find nothing, every page would pass vacuously.
    blocks = [block for page in PAGES for block in parse(page)]
    assert len(PAGES) >= 7
    assert sum(block.mode in ("run", "pytest", "server") for block in blocks) >= 10


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_annotations_in_the_info_string_and_in_a_comment(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "```sh skip: starts a foreground server\nvidmock serve\n```\n"
        "<!-- docs-test: skip: needs your gateway -->\n```bash\nvidmock check\n```\n"
        "- item\n\n  ```python\n  print(1)\n  ```\n"
        "```yaml file: my.yaml\nclock: virtual\n```\n```text\nnot run\n```\n",
    )
    blocks = parse(page)
    assert [(b.line, b.lang, b.mode, b.argument) for b in blocks] == [
        (1, "sh", "skip", "starts a foreground server"),
        (5, "bash", "skip", "needs your gateway"),
        (10, "python", "run", ""),
        (13, "yaml", "file", "my.yaml"),
        (16, "text", "other", ""),
    ]
    assert blocks[2].code == "print(1)\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```sh skip\nx\n```\n", "page.md:1: 'skip' needs a reason"),
        ("intro\n```\nvidmock serve\n```\n", "page.md:2: a fence without a language"),
        ("```sh\nvidmock serve --port 8080 &   # then\n```\n", "page.md:1: starts a command in the background"),
        ("```sh skip:\nx\n```\n", "page.md:1: 'skip' needs a reason"),
        ("```python sever\nx\n```\n", "page.md:1: unknown docs-test annotation 'sever' on a python block"),
        ("```yaml pytest\nx\n```\n", "page.md:1: unknown docs-test annotation 'pytest' on a yaml block"),
    ],
)
def test_a_malformed_annotation_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DocsError) as caught:
        parse(_page(tmp_path, text))
    assert str(caught.value).startswith(message)


def test_ports_are_rewritten_on_loopback_only(tmp_path: Path) -> None:
    code = (
        "curl http://127.0.0.1:4001/x http://localhost:4010/y https://api.openai.com:443/z\nvidmock serve --port 4010\n"
    )
    blocks = parse(_page(tmp_path, f"```sh\n{code}```\n"))
    assert doc_ports(blocks) == {4001, 4010}
    assert rewrite(code, {4001: 50001, 4010: 50002}) == (
        "curl http://127.0.0.1:50001/x http://127.0.0.1:50002/y https://api.openai.com:443/z\n"
        "vidmock serve --port 50002\n"
    )


def test_a_failing_block_names_its_line(tmp_path: Path) -> None:
    page = _page(tmp_path, "intro\n\n```sh\ntrue\n```\n```python\nraise SystemExit(3)\n```\n")
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(AssertionError, match=r"page\.md:6: exit code 3"):
        run_page(page, tmp_path, work)


def test_a_page_talking_to_4001_gets_a_virtual_gateway(tmp_path: Path) -> None:
    # Over a real loopback socket: the block reaches the server the test started, on its virtual clock.
    page = _page(
        tmp_path,
        "```sh\ncurl -sf -X POST http://127.0.0.1:4001/_vidmock/clock/advance -d '{\"seconds\": 95}'"
        ' | grep -q \'"mode":"virtual"\'\n```\n',
    )
    work = tmp_path / "work"
    work.mkdir()
    assert run_page(page, REPO, work) == 1


def test_blocks_write_to_a_copy_of_the_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "scenarios").mkdir(parents=True)
    (repo / "scenarios" / "a.yaml").write_text("name: a\n")
    page = _page(tmp_path, "```sh\ncat scenarios/a.yaml > scenarios/b.yaml\n```\n")
    work = tmp_path / "work"
    work.mkdir()
    assert run_page(page, repo, work) == 1
    assert (work / "scenarios" / "b.yaml").read_text() == "name: a\n"
    assert sorted(p.name for p in (repo / "scenarios").iterdir()) == ["a.yaml"]
