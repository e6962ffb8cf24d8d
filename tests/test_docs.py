"""The documentation: the site builds with `mkdocs build --strict`, and every example of the README and of the
pages under docs/ runs, so a moved module or a renamed option can never again break a quickstart.

Each page runs in order on its own copy of the tagged sample index (`./cwg-index` in a scratch folder where
`examples/` is the sample corpus): ```python blocks are executed, the `cwg …` lines of ```bash / ```sh /
```console blocks are run, `curl …` lines are sent to the same app through FastAPI's test client, and
`postgresql://` addresses become new databases on the session's PostgreSQL. A block that cannot run in a test
is marked `<!-- not run: reason -->` right before it and counted here (`NOT_RUN_BLOCKS`); any other line this
test does not know how to run fails it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, new_database

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RUN = {"python", "bash", "sh", "console"}  # the languages whose blocks are run
SHOWN = {"text"}  # diagrams and output: never run, nothing to count
# Blocks marked `<!-- not run: reason -->`: change this number only with the marker and its reason in the page.
NOT_RUN_BLOCKS = 9
API_KEY, CURATOR_KEY = "s3cret", "curator-s3cret"  # the keys the examples send
COMMAND_SECONDS = 600
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})(?P<lang>[\w-]*)\s*$")
MARKER = re.compile(r"^<!--\s*not run:\s*(?P<reason>.*?)\s*-->$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    text: str
    not_run: str | None  # the reason, when marked

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of `page`, each with the not-run reason written right before it, if any."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        before = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = MARKER.match(before)
        found.append(Block(page, i + 1, opening["lang"].lower(), "\n".join(body), marker["reason"] if marker else None))
        i = j + 1
    return found


def all_blocks() -> list[Block]:
    return [b for page in PAGES for b in blocks(page)]


# --- the site ---------------------------------------------------------------------------------------------


def test_the_site_builds_with_strict_checks(tmp_path: Path) -> None:
    """Broken links, anchors and pages missing from the nav are warnings, and --strict turns them into failures."""
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(site)], capture_output=True, text=True, timeout=COMMAND_SECONDS,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    assert (site / "index.html").exists() and (site / "measurements.html").exists()
    assert (site / "screenshot.png").exists() and (site / "trends-sample-risk.png").exists()


def test_every_block_is_run_or_marked_with_its_reason() -> None:
    """Nothing is skipped silently: a block is of a language that is run, shown text, or marked with a reason."""
    found = all_blocks()
    unclear = [b.where for b in found if b.not_run is None and b.language not in RUN | SHOWN]
    assert not unclear, f"blocks neither run nor marked `<!-- not run: reason -->`: {unclear}"
    marked = [b for b in found if b.not_run is not None]
    assert all(b.not_run for b in marked), [b.where for b in marked if not b.not_run]
    listed = "\n".join(f"  {b.where}: {b.not_run}" for b in marked)
    assert len(marked) == NOT_RUN_BLOCKS, f"{len(marked)} blocks marked not run (NOT_RUN_BLOCKS says " \
                                          f"{NOT_RUN_BLOCKS}):\n{listed}"
    run = [b for b in found if b.not_run is None and b.language in RUN]
    assert sum(b.language == "python" for b in run) >= 1 and len(run) >= 10, [b.where for b in run]
    readme = [b for b in run if b.page.name == "README.md"]
    assert {b.language for b in readme} == {"bash", "python"}, "the README's quickstarts must be run"


# --- running the examples ---------------------------------------------------------------------------------


def _copy_index(source: Path, target: Path) -> None:
    """A copy of an index folder that may be open elsewhere: SQLite files through SQLite's backup."""
    target.mkdir(parents=True)
    for item in source.iterdir():
        if item.is_dir():
            shutil.copytree(item, target / item.name)
        elif item.suffix == ".sqlite":
            src, dst = sqlite3.connect(str(item)), sqlite3.connect(str(target / item.name))
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
        elif not item.name.endswith(("-wal", "-shm")):
            shutil.copy2(item, target / item.name)


@pytest.fixture(scope="module")
def docs_index(real_sample_index, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample index, tagged with the shipped taxonomy (as after `make demo`), closed: each page copies it."""
    from index.folder import IndexFolder
    from search.characterization.tagging import Tagger
    from search.characterization.taxonomy import load_taxonomy

    path = tmp_path_factory.mktemp("docs") / "cwg-index"
    _copy_index(real_sample_index.path, path)
    folder = IndexFolder.open(path, embedders=_embedders(real_sample_index))
    try:
        Tagger(folder, load_taxonomy()).tag()
        folder.refresh_vectors()
    finally:
        folder.close()
    return path


def _embedders(folder) -> dict:  # type: ignore[no-untyped-def]
    return {space: folder.embedder(space) for space in folder.spaces}


def _example_files(work: Path) -> None:
    """The files the examples name (a report and a note to upload, a draft to check, a taxonomy to edit)."""
    from docx import Document
    from fpdf import FPDF

    text = ("Kenya's national programme trains 2,000 teachers to recognise grooming and to report abuse through "
            "the national helpline. An evaluation in 2024 found that reports from schools doubled. Next, the "
            "programme will reach parents and caregivers with the Ministry of ICT and civil society partners.")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Child online protection in Kenya\n\n" + text)
    pdf.output(str(work / "report.pdf"))
    pdf.output(str(work / "my-draft.pdf"))
    for name, title in (("note.docx", "A note on age assurance"), ("my-draft.docx", "Draft contribution")):
        doc = Document()
        doc.add_heading(title, level=1)
        doc.add_paragraph(text)
        doc.save(str(work / name))
    shutil.copy(ROOT / "search" / "characterization" / "taxonomy.yaml", work / "my-taxonomy.yaml")


def _strip_comment(line: str) -> str:
    """`line` without its shell comment: a `#` at the start of a word, outside quotes (`file#page=2` stays)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def commands(block: Block) -> Iterator[tuple[int, str]]:
    """The commands of a shell block with their line numbers: continuations joined, comments dropped, and in a
    console block only the lines after a `$ ` prompt."""
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        start, line = i, lines[i]
        while line.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line.rstrip()[:-1] + " " + lines[i].strip()
        i += 1
        if block.language == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        line = _strip_comment(line).strip()
        if line:
            yield block.line + 1 + start, line


@dataclass
class Page:
    """One page's examples running in `work`, with the app its curl lines reach (opened at the first)."""

    work: Path
    env: dict[str, str]
    embedders: dict
    request: pytest.FixtureRequest
    databases: dict[str, str] = field(default_factory=dict)
    _client: object = None
    _folder: object = None

    def run(self, block: Block) -> None:
        if block.language == "python":
            script = self.work / f"example_{block.line}.py"
            script.write_text(self._databases(block.text), encoding="utf-8")
            self._check(block.where, [sys.executable, str(script)])
            return
        for line_no, line in commands(block):
            self.command(f"{block.page.relative_to(ROOT)}:{line_no}", self._databases(line))

    def command(self, where: str, line: str) -> None:
        line = re.sub(r"\$([A-Z_][A-Z0-9_]*)", lambda m: self.env.get(m[1], m[0]), line)
        words = shlex.split(line)
        env = dict(self.env)
        while words and ASSIGNMENT.match(words[0]):  # NAME=value cwg …
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        head = words[0] if words else ""
        if head in (".", "source") and words[1:] == [".venv/bin/activate"]:
            return  # the test runs this checkout's `cwg` already
        if head == "export":
            self.env.update(w.split("=", 1) for w in words[1:] if "=" in w)  # type: ignore[arg-type]
            return
        if head == "cwg":
            self._check(where, [str(Path(sys.executable).parent / "cwg"), *words[1:]], env)
        elif head == "curl":
            self.curl(where, words[1:])
        else:
            pytest.fail(f"{where}: `{line}` is not a command this test runs (cwg, curl, export, activating the "
                        f"venv): mark its block `<!-- not run: reason -->` and count it in NOT_RUN_BLOCKS")

    def _check(self, where: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        done = subprocess.run(argv, cwd=self.work, env=env or self.env, capture_output=True, text=True,
                              timeout=COMMAND_SECONDS)
        assert done.returncode == 0, (f"{where}: `{shlex.join(argv[1:]) if argv[0] != sys.executable else argv[1]}` "
                                      f"exited {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")

    def _databases(self, text: str) -> str:
        """Each `postgresql://…` address of the examples as a new database on the session's PostgreSQL."""
        def database(match: re.Match[str]) -> str:
            if match[0] not in self.databases:
                self.databases[match[0]] = new_database(self.request.getfixturevalue("postgres_uri"))
            return self.databases[match[0]]

        return re.sub(r"postgresql://[^\s'\"]+", database, text)

    def curl(self, where: str, args: list[str]) -> None:
        method, url, headers, body = "", "", {}, None
        fields: dict[str, list[str]] = {}
        files: list[tuple[str, tuple[str, bytes]]] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in ("-X", "-H", "-F", "-d", "--data"):
                value = args[i + 1]
                i += 2
                if arg == "-X":
                    method = value
                elif arg == "-H":
                    name, _, text = value.partition(":")
                    headers[name.strip()] = text.strip()
                elif arg == "-F":
                    name, _, text = value.partition("=")
                    if text.startswith("@"):
                        files.append((name, (text[1:], (self.work / text[1:]).read_bytes())))
                    else:
                        fields.setdefault(name, []).append(text)
                else:
                    body = value
                continue
            if arg.startswith("-"):
                assert re.fullmatch(r"-[sSOfLi]+", arg), f"{where}: curl option {arg} is not one this test knows"
            else:
                url = arg
            i += 1
        parts = urlsplit(url if "://" in url else f"http://{url}")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        method = method or ("POST" if files or fields or body is not None else "GET")
        answer = self.client().request(method, target, headers=headers, content=body,
                                       data=fields or None, files=files or None)  # type: ignore[attr-defined]
        assert 200 <= answer.status_code < 300, f"{where}: {method} {target} answered {answer.status_code}: " \
                                                f"{answer.text[:1000]}"

    def client(self) -> object:
        if self._client is None:
            from fastapi.testclient import TestClient

            from api.app import create_app
            from api.settings import Settings
            from index.folder import IndexFolder

            index = self.work / "cwg-index"
            self._folder = IndexFolder.open(index, embedders=self.embedders)
            settings = Settings(index=index, api_keys=(API_KEY,), curator_keys=(CURATOR_KEY,))
            self._client = TestClient(create_app(settings, self._folder))  # type: ignore[arg-type]
            self._client.__enter__()  # type: ignore[attr-defined]
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.__exit__(None, None, None)  # type: ignore[attr-defined]
            self._folder.close()  # type: ignore[attr-defined]


RUN_PAGES = [p for p in PAGES if any(b.not_run is None and b.language in RUN for b in blocks(p))]


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(p.relative_to(ROOT)) for p in RUN_PAGES])
def test_the_examples_of_each_page_run(page: Path, docs_index: Path, real_sample_index, tmp_path: Path,
                                       request: pytest.FixtureRequest) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(docs_index, work / "cwg-index")
    (work / "examples").symlink_to(ROOT / "examples")
    _example_files(work)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "CURATOR_KEY": CURATOR_KEY,
           "CWG_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    for name in ("CWG_INDEX", "CWG_API_KEYS", "CWG_CURATOR_KEYS", "CWG_READ_REQUIRES_KEY"):
        env.pop(name, None)
    runner = Page(work, env, _embedders(real_sample_index), request)
    try:
        for block in blocks(page):
            if block.not_run is None and block.language in RUN:
                runner.run(block)
    finally:
        runner.close()


def test_a_postgresql_index_without_the_extra_names_what_to_install(tmp_path: Path) -> None:
    """The README's install line: without `cwg-search[postgres]`, a `postgresql://` index is refused with the
    command that installs it (one line, exit 1), never a traceback."""
    program = ("import sys; sys.modules['psycopg'] = None; sys.modules['pgvector'] = None\n"
               "from api.cli import main\n"
               "sys.exit(main(['documents', '--index', 'postgresql://nobody@127.0.0.1:9/none']))")
    done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True,
                          timeout=COMMAND_SECONDS, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pip install cwg-search[postgres]" in done.stderr and "Traceback" not in done.stderr, done.stderr
