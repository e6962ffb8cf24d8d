"""Legacy binary Office files (.doc, .ppt): converted by an installed converter, else refused with advice.

No Python library reads these formats well, so the work is handed to a program when one is installed:
LibreOffice (`soffice --headless --convert-to docx|pptx`, for both) or, for .doc only, `antiword` (plain
text). Each runs in a temporary folder of its own (LibreOffice with its own profile there, so two
conversions never share a lock), within the file's parse-time limit. The converted file is then read like
any .docx/.pptx; the document keeps the legacy format (its stored copy is the original file).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import LoadError

_NAMES = {"doc": ("Word", "docx"), "ppt": ("PowerPoint", "pptx")}


@dataclass(frozen=True)
class Converted:
    data: bytes
    format: str  # "docx", "pptx", or "text" (antiword's output)
    converter: str  # the program, as a person would name it


def advice(kind: str) -> str:
    program, modern = _NAMES[kind]
    converters = "LibreOffice (soffice) or antiword" if kind == "doc" else "LibreOffice (soffice)"
    return (f"legacy binary {program} file (.{kind}): save it as .{modern} or PDF first, or install "
            f"{converters} on the server to have it converted")


def find_converter(kind: str) -> tuple[str, str] | None:
    """(program name, executable path) of the converter that will be used for `kind`, or None."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        return "LibreOffice", soffice
    antiword = shutil.which("antiword") if kind == "doc" else None
    return ("antiword", antiword) if antiword else None


def convert(kind: str, data: bytes, timeout: float) -> Converted:
    """Convert a .doc/.ppt to what our loaders read; LoadError with advice when no converter is installed,
    and with the converter's own words when it fails or takes longer than `timeout` seconds."""
    found = find_converter(kind)
    if found is None:
        raise LoadError(advice(kind))
    name, program = found
    with tempfile.TemporaryDirectory(prefix="cwg-convert-") as tmp:
        source = Path(tmp) / f"input.{kind}"
        source.write_bytes(data)
        if name == "antiword":
            command = [program, "-w", "0", "-m", "UTF-8.txt", str(source)]
        else:
            target = _NAMES[kind][1]
            command = [program, f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}", "--headless",
                       "--norestore", "--convert-to", target, "--outdir", str(Path(tmp) / "out"), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, cwd=tmp, check=False)
        except subprocess.TimeoutExpired as exc:
            raise LoadError(f"converting the .{kind} file with {name} took longer than {timeout:g} s "
                            "(setting CWG_MAX_PARSE_SECONDS)") from exc
        except OSError as exc:
            raise LoadError(f"{name} could not be run to convert the .{kind} file: {exc}") from exc
        if name == "antiword":
            if done.returncode != 0 or not done.stdout.strip():
                raise LoadError(_failure(kind, name, done))
            return Converted(done.stdout, "text", name)
        out = Path(tmp) / "out" / f"input.{_NAMES[kind][1]}"
        if done.returncode != 0 or not out.is_file():
            raise LoadError(_failure(kind, name, done))
        return Converted(out.read_bytes(), _NAMES[kind][1], name)


def _failure(kind: str, name: str, done: subprocess.CompletedProcess[bytes]) -> str:
    said = (done.stderr or done.stdout or b"").decode("utf-8", "replace").strip().splitlines()
    detail = f": {said[-1][:200]}" if said else ""
    return f"{name} could not convert the .{kind} file (exit status {done.returncode}){detail}"
