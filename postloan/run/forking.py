"""Forked helpers of a run: a child that shares the run's data (copy-on-write) and dies with it."""
from __future__ import annotations

import multiprocessing as mp
import signal


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def die_with_parent() -> None:
    """In a forked child: receive SIGTERM when the parent dies (even by kill -9), so that no
    orphan keeps writing into a run folder that the next run cleans (Linux; elsewhere a no-op)."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)        # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
