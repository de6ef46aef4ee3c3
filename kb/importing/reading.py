"""Finding article files and reading them as UTF-8 text, or saying in one sentence why not."""

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".txt", ".text"})
MAX_BYTES = 2 * 1024 * 1024

_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_BINARY_MAGIC = (b"\x89PNG", b"%PDF", b"PK\x03\x04", b"GIF8", b"\xff\xd8\xff", b"\x7fELF")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff]")
_CJK = re.compile(r"[\u3400-\u9fff]")


class ArticleError(Exception):
    """The file cannot become a draft; the message is one clear sentence for the report."""


class SourcePathError(Exception):
    """A path given on the command line does not exist or holds no article files."""


@dataclass(frozen=True)
class SourceText:
    text: str
    sha256: str


def collect_files(paths: list[str | Path]) -> list[Path]:
    """The article files named by ``paths``: files as given, folders searched for .md / .txt."""
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            candidates = [path]
        elif path.is_dir():
            candidates = _text_files_in(path)
        else:
            raise SourcePathError(_("%(path)s: no such file or folder.") % {"path": raw})
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    if not found:
        raise SourcePathError(_("No Markdown or text files (.md, .txt) were found."))
    return found


def _text_files_in(folder: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith(".") and Path(name).suffix.lower() in TEXT_SUFFIXES:
                files.append(Path(root) / name)
    return files


def read_article(path: Path) -> SourceText:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ArticleError(
                _("The file is larger than %(limit)s MB; split it into single articles.")
                % {"limit": MAX_BYTES // (1024 * 1024)}
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(
            _("The file cannot be read (%(reason)s).") % {"reason": exc.strerror or exc}
        ) from None
    return decode_article(data)


def decode_article(data: bytes) -> SourceText:
    """UTF-8 text with or without a BOM, newlines made uniform; anything else is an error."""
    if not data.strip():
        raise ArticleError(_("The file is empty."))
    if data.startswith(_UTF16_32_BOMS):
        raise ArticleError(_("The file is UTF-16 or UTF-32 text; save it as UTF-8 and try again."))
    if data.startswith(_BINARY_MAGIC) or b"\x00" in data[:8192]:
        raise ArticleError(_("The file is not text (it contains binary data)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(_not_utf8_message(data, exc)) from None
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise ArticleError(_("The file is empty."))
    return SourceText(text=text, sha256=hashlib.sha256(data).hexdigest())


def _not_utf8_message(data: bytes, exc: UnicodeDecodeError) -> str:
    try:
        looks_chinese = bool(_CJK.search(data.decode("gb18030")))
    except UnicodeDecodeError:
        looks_chinese = False
    if looks_chinese:
        return _("The file is not UTF-8 (it looks like GBK); save it as UTF-8 and try again.")
    line = data[: exc.start].count(b"\n") + 1
    return _("The file is not UTF-8 text (invalid byte on line %(line)s); save it as UTF-8.") % {
        "line": line
    }
