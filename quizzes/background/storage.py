"""Where job files live under settings.JOBS_ROOT: inputs/, results/ and tmp/ (same file system,
so a finished result is renamed into place in one step)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def folder(name: str) -> Path:
    path = Path(settings.JOBS_ROOT) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def absolute(relative: str) -> Path:
    """The file a job row names; refuses anything outside JOBS_ROOT."""
    root = Path(settings.JOBS_ROOT).resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("job file outside JOBS_ROOT")
    return path


def relative(path: Path) -> str:
    return str(path.resolve().relative_to(Path(settings.JOBS_ROOT).resolve()))


def temp_files(job_id: int) -> list[Path]:
    """Partial outputs of a job's attempts (a killed worker leaves its own behind)."""
    return sorted(folder("tmp").glob(f"{job_id}-*.part"))
