"""Reading uploaded zip files (QTI packages, Excel workbooks) without trusting them.

Nothing is ever extracted to disk. Before anything is read, the archive is refused when it has
too many entries, entry names that climb out of it (`../`, absolute paths, drive letters), or
declares more uncompressed bytes than we accept (a zip bomb); each entry is then read with a cap,
so a lying header cannot make us inflate more than the cap either.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from django.utils.translation import gettext as _

MAX_ENTRIES = 2000
MAX_TOTAL_BYTES = 100 * 1024 * 1024  # uncompressed, the whole archive
MAX_ENTRY_BYTES = 20 * 1024 * 1024  # uncompressed, one entry
MAX_RATIO = 200  # uncompressed / compressed, per entry (text compresses ~10x)


class ArchiveError(ValueError):
    """An archive we refuse to read; `message` is translated and names the reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_zip(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def safe_name(name: str) -> str | None:
    """The normalised path of an entry, or None when it points outside the archive."""
    if "\\" in name or "\x00" in name or name.startswith("/") or ":" in name.split("/")[0]:
        return None
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../"):
        return None
    return normal


def check_zip(content: bytes) -> zipfile.ZipFile:
    """An open ZipFile of `content`, after refusing bombs and unsafe entry names."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(_("This zip file is damaged or not a zip file.")) from exc
    if len(entries) > MAX_ENTRIES:
        raise ArchiveError(_("The zip file holds more than %(max)s files.") % {"max": MAX_ENTRIES})
    total = 0
    for entry in entries:
        if safe_name(entry.filename) is None:
            raise ArchiveError(
                _("The zip file holds an unsafe path: %(name)s") % {"name": entry.filename[:100]}
            )
        total += entry.file_size
        too_dense = entry.file_size > MAX_RATIO * max(entry.compress_size, 1) + 1024 * 1024
        if entry.file_size > MAX_ENTRY_BYTES or too_dense or total > MAX_TOTAL_BYTES:
            raise ArchiveError(
                _("The zip file unpacks to far more data than it holds (a zip bomb?): refused.")
            )
    return archive


def read_entry(archive: zipfile.ZipFile, name: str) -> bytes:
    """The bytes of one entry, never more than MAX_ENTRY_BYTES whatever its header says."""
    try:
        with archive.open(name) as handle:
            data = handle.read(MAX_ENTRY_BYTES + 1)
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
        raise ArchiveError(
            _("The file %(name)s in the zip could not be read.") % {"name": name[:100]}
        ) from exc
    if len(data) > MAX_ENTRY_BYTES:
        raise ArchiveError(
            _("The zip file unpacks to far more data than it holds (a zip bomb?): refused.")
        )
    return data
