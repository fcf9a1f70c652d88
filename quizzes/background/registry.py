"""The job kinds: one function each, registered by name. Apps declare theirs in `<app>/jobs.py`
(found by Django's autodiscovery), so a new kind (certificate batches...) is one decorated
function and nothing else changes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.utils.module_loading import autodiscover_modules

_KINDS: dict[str, JobKind] = {}
_discovered = False
_lock = threading.Lock()


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[..., None]  # run(job, ctx): reads job.params, reports through ctx
    label: Any  # a lazy translated name shown on the job page


def job_kind(name: str, *, label: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register `run(job, ctx)` as the function of the job kind `name`."""

    def register(run: Callable[..., None]) -> Callable[..., None]:
        existing = _KINDS.get(name)
        if existing is not None and existing.run.__qualname__ != run.__qualname__:
            raise ValueError(f"job kind {name!r} is registered twice")
        _KINDS[name] = JobKind(name=name, run=run, label=label)
        return run

    return register


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    with _lock:
        if not _discovered:
            autodiscover_modules("jobs")
            _discovered = True


def kind_import(module: str) -> None:
    """Register the kinds of a module outside the apps' jobs.py (a worker's --import)."""
    import_module(module)


def kind_get(name: str) -> JobKind | None:
    _discover()
    return _KINDS.get(name)


def kind_names() -> list[str]:
    _discover()
    return sorted(_KINDS)
