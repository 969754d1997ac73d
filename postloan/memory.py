"""Memory handed back to the machine once a step is done with it.

Arrow's default allocator (mimalloc) keeps what it has freed for reuse: after the large sample
bank is read and checked, the process held 2.1 GB although the extract itself was 0.8 GB, and
it kept that through the render. Arrow's buffers therefore come from the C library's allocator,
which returns large blocks when they are freed (the same read: 1.5 GB held, and faster), and a
step that drops a large object calls `release_memory`.
"""
from __future__ import annotations

import ctypes
import gc

import pyarrow as pa


def use_system_allocator() -> None:
    """Arrow's buffers from malloc (before any is allocated: the tables a process reads)."""
    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())


def release_memory() -> None:
    """Collect what is unreachable and give freed memory back to the system."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):         # not glibc: its allocator keeps its own counsel
        pass
