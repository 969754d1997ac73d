"""Forked helpers of a run: a child that shares the run's data (copy-on-write) and dies with it."""
from __future__ import annotations

import gc
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


def freeze_for_fork() -> None:
    """Before forking children that share the parent's data: the objects alive now are left out of
    the garbage collections of parent and children alike (gc.freeze), until `thaw`. A collection
    writes to the header of every object it visits, and each write copies a shared page: without
    this, a child's first collection copies every page of Python objects it shares with the parent
    (Python's documentation recommends exactly this for a fork without exec)."""
    gc.collect()
    gc.freeze()


def thaw() -> None:
    """The children are gone: the frozen objects are collected again (a cycle among them that has
    become garbage, such as a dropped extract's, is freed)."""
    gc.unfreeze()
