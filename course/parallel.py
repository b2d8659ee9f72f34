"""``parallel()``: run one engine call per item in threads, since the engine does the waiting."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
# docker-py keeps 10 connections per client; more threads than that only queue for one (and warn).
MAX_WORKERS = 8


def parallel(func: Callable[..., T], items: Iterable, workers: int = MAX_WORKERS) -> list[T]:
    """``[func(x) for x in items]``, run in threads; the engine does the waiting."""
    items = list(items)
    if len(items) <= 1:
        return [func(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(workers, MAX_WORKERS, len(items))) as pool:
        return list(pool.map(func, items))
