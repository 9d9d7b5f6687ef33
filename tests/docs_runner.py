"""Run the shell and Python blocks of a Markdown page, in order, the way a reader would.

Why our own runner and not pytest-codeblocks, mktestdocs, phmdoctest or pytest-examples (all on PyPI): none of them
starts the servers a page talks to, moves their ports to free ones, or runs a block as a pytest file with the vidmock
plugin; each would need this module's code around it anyway. See the note in pyproject.toml.

A block's annotation follows its language in the fence's info string (GitHub renders the first word only), or sits in
an HTML comment on the line just before the fence (``<!-- docs-test: skip: REASON -->``):

- none: shell blocks run with bash (``-e -o pipefail``), Python blocks as scripts;
- ``skip: REASON``: not run; reported as a skipped test with its reason (a reason is required);
- ``pytest`` (Python): the block is a test file, run with pytest and the vidmock plugin;
- ``server`` (shell): every command line is a long-running server; the test starts each in the background on a free
  port and waits for ``/_vidmock/health``;
- ``file: NAME``: the block is written to NAME in the page's directory (e.g. a config file a later command reads).

Ports: ``127.0.0.1:N``, ``localhost:N`` and ``--port N`` are rewritten to a free port per page. A page whose blocks
talk to ``:4001`` without starting it themselves gets ``vidmock serve --clock virtual`` from the test.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

SHELL = frozenset({"sh", "bash", "shell", "console", "zsh"})
PYTHON = frozenset({"python", "py", "python3"})
GATEWAY_PORT = 4001
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
COMMENT = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<annotation>.*?)\s*-->\s*$")
ADDRESS = re.compile(r"(?P<host>127\.0\.0\.1|localhost):(?P<port>\d{2,5})\b")
BACKGROUND = re.compile(r"(?<!&)&\s*(#.*)?$")
PORT_FLAG = re.compile(r"(?P<flag>--port[ =])(?P<port>\d{2,5})\b")
BLOCK_TIMEOUT = 120.0
SERVER_READY_TIMEOUT = 60.0


class DocsError(Exception):
    """A page whose blocks cannot be run as written (an unknown annotation, a skip without a reason)."""


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str  # the first word of the info string, lower-cased
    mode: str  # run | skip | pytest | server | file | other
    argument: str  # the skip reason or the file name
    code: str

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.line}"


def _mode(lang: str, annotation: str, where: str) -> tuple[str, str]:
    if not lang:
        # An unnamed fence could hide a command the test would never run: no silent skips.
        raise DocsError(f"{where}: a fence without a language; name it (sh, python, yaml, text...)")
    kind, _, argument = annotation.partition(":")
    kind, argument = kind.strip(), argument.strip()
    if kind == "skip":
        if not argument:
            raise DocsError(f"{where}: 'skip' needs a reason ('skip: starts a foreground server')")
        return "skip", argument
    if kind == "file" and argument:
        return "file", argument
    runnable = lang in SHELL or lang in PYTHON
    if not kind:
        return ("run" if runnable else "other"), ""
    if kind == "pytest" and lang in PYTHON and not argument:
        return "pytest", ""
    if kind == "server" and lang in SHELL and not argument:
        return "server", ""
    raise DocsError(f"{where}: unknown docs-test annotation {annotation!r} on a {lang or 'plain'} block")


def parse(page: Path) -> list[Block]:
    """Every fenced block of a page, with its annotation; raises DocsError on a malformed one."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        lang, _, annotation = info.partition(" ")
        comment = COMMENT.match(lines[i - 1]) if i > 0 else None
        if comment is not None:
            if annotation.strip():
                raise DocsError(f"{page.name}:{i + 1}: annotated twice (comment and info string)")
            annotation = comment["annotation"]
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = lines[j].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j].lstrip())
            j += 1
        where = f"{page.name}:{i + 1}"
        mode, argument = _mode(lang.lower(), annotation.strip(), where)
        if mode == "run" and lang.lower() in SHELL and any(BACKGROUND.search(line) for line in body):
            # It would outlive the block and the test: the test starts servers itself ('server'), or the reader does.
            raise DocsError(
                f"{where}: starts a command in the background with '&'; annotate 'server' or 'skip: REASON'"
            )
        blocks.append(Block(page, i + 1, lang.lower(), mode, argument, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def doc_ports(blocks: list[Block]) -> set[int]:
    """The loopback ports a page's run blocks talk to or serve on."""
    ports: set[int] = set()
    for block in blocks:
        if block.mode in ("skip", "other"):
            continue
        ports.update(int(m["port"]) for m in ADDRESS.finditer(block.code))
        ports.update(int(m["port"]) for m in PORT_FLAG.finditer(block.code))
        if block.mode == "server":
            ports.update(served_ports(block))
    return ports


def rewrite(code: str, ports: dict[int, int]) -> str:
    def address(m: re.Match[str]) -> str:
        port = int(m["port"])
        return f"127.0.0.1:{ports[port]}" if port in ports else m[0]

    def flag(m: re.Match[str]) -> str:
        port = int(m["port"])
        return f"{m['flag']}{ports[port]}" if port in ports else m[0]

    return PORT_FLAG.sub(flag, ADDRESS.sub(address, code))


def server_lines(block: Block) -> list[str]:
    lines = (line.strip() for line in block.code.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def reader_env(repo: Path) -> dict[str, str]:
    """The environment of a reader who ran the README's set-up and activated the venv; no way to the internet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDMOCK_") and "PROXY" not in k.upper()}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(Path(sys.executable).parent.parent)
    env["PYTHONPATH"] = str(repo / "src")  # this checkout's code, as `pip install -e .` gives the reader
    # Anything that tries to leave the machine goes to a closed port; loopback stays direct.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[name] = "http://127.0.0.1:9"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def wait_healthy(port: int, process: subprocess.Popen[bytes], command: str, log: Path) -> None:
    # Readiness only: polling until the server answers, never a timing assertion.
    deadline = time.monotonic() + SERVER_READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server {command!r} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"server {command!r} did not listen on {port}:\n{log.read_text()[-3000:]}")


@contextmanager
def servers(commands: list[str], ports: dict[int, int], cwd: Path, env: dict[str, str]) -> Iterator[None]:
    """Start each command in the background (ports rewritten), wait until it listens, stop them all afterwards."""
    running: list[subprocess.Popen[bytes]] = []
    try:
        for n, command in enumerate(commands):
            line = rewrite(command, ports)
            port_match = PORT_FLAG.search(line)
            if port_match is None:
                line = f"{line.split('#', 1)[0].rstrip()} --port {ports[GATEWAY_PORT]}"
                port = ports[GATEWAY_PORT]
            else:
                port = int(port_match["port"])
            log = cwd / f"server-{n}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    ["bash", "-c", f"exec {line}"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            running.append(process)
            wait_healthy(port, process, command, log)
        yield
    finally:
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _file_name(block: Block) -> str:
    if block.mode == "pytest":
        return f"test_block_{block.line}.py"
    return f"block_{block.line}.{'py' if block.lang in PYTHON else 'sh'}"


def run_blocks(group: list[tuple[Block, str]], cwd: Path, env: dict[str, str]) -> None:
    """Run one block, or consecutive pytest blocks in one pytest session (one plugin server for them all)."""
    paths = []
    for block, code in group:
        path = cwd / _file_name(block)
        path.write_text(code, encoding="utf-8")
        paths.append(str(path))
    first = group[0][0]
    if first.mode == "pytest":
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths]
    elif first.lang in PYTHON:
        command = [sys.executable, *paths]
    else:
        command = ["bash", "-e", "-o", "pipefail", *paths]
    where = ", ".join(block.where for block, _ in group)
    shown = "".join(code for _, code in group)
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=BLOCK_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{where}: still running after {BLOCK_TIMEOUT:.0f} s (a foreground server? annotate the fence "
            f"'sh server' to have the test start it, or 'sh skip: REASON'):\n{shown}"
        ) from exc
    if done.returncode != 0:
        raise AssertionError(
            f"{where}: exit code {done.returncode} (fix the block, or annotate a block that cannot run here "
            f"'skip: REASON', see tests/docs_runner.py)\n--- block (as run) ---\n{shown}"
            f"--- stdout ---\n{done.stdout.decode(errors='replace')[-4000:]}"
            f"--- stderr ---\n{done.stderr.decode(errors='replace')[-4000:]}"
        )


def run_page(page: Path, repo: Path, workdir: Path) -> int:
    """Run a page's blocks in order in workdir (a copy of the checkout, as a reader has); returns how many ran."""
    blocks = parse(page)
    copy_checkout(repo, workdir)
    env = reader_env(repo)
    ports = {port: free_port() for port in sorted(doc_ports(blocks))}
    served = {port for block in blocks if block.mode == "server" for port in served_ports(block)}
    ran = 0
    with ExitStack() as stack:
        if GATEWAY_PORT in ports and GATEWAY_PORT not in served:
            stack.enter_context(servers(["vidmock serve --clock virtual"], ports, workdir, env))
        tests: list[tuple[Block, str]] = []
        for block in blocks:
            if block.mode in ("skip", "other"):
                continue
            code = rewrite(block.code, ports)
            ran += 1
            if block.mode == "pytest":
                tests.append((block, code))
                continue
            if tests:
                run_blocks(tests, workdir, env)
                tests = []
            if block.mode == "file":
                (workdir / block.argument).write_text(code, encoding="utf-8")
            elif block.mode == "server":
                stack.enter_context(servers(server_lines(block), ports, workdir, env))
            else:
                run_blocks([(block, code)], workdir, env)
        if tests:
            run_blocks(tests, workdir, env)
    return ran


def copy_checkout(repo: Path, workdir: Path) -> None:
    """A copy, not links: a block that writes (``--out scenarios/x.yaml``) must not change the checkout."""
    caches = shutil.ignore_patterns("__pycache__", ".*_cache")
    for entry in repo.iterdir():
        target = workdir / entry.name
        if entry.name.startswith(".") or target.exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, target, symlinks=True, ignore=caches)
        else:
            shutil.copy2(entry, target)


def served_ports(block: Block) -> set[int]:
    """The ports a server block's commands listen on (vidmock's default when a command has no --port)."""
    ports: set[int] = set()
    for line in server_lines(block):
        match = PORT_FLAG.search(line)
        ports.add(int(match["port"]) if match else GATEWAY_PORT)
    return ports
