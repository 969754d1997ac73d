"""A papermill engine that runs every scope in one warm kernel.

Papermill parameterises and records each notebook as usual; instead of a fresh
kernel (and fresh imports of pandas and matplotlib) per scope, the notebooks of a
run execute one after another in one kernel whose namespace is reset in between.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading

from jupyter_client import KernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

ENGINE_NAME = "postloan_shared_kernel"


class _Current(threading.local):
    kernel: "SharedKernel | None" = None


# Between two notebooks: a fresh namespace; the marts of the product rendered last stay loaded
# (the next notebook is most likely its next scope), those of a product finished before go, and
# their memory is handed back (the large bank: ~150 MB per kernel by the end of the render).
RESET = """get_ipython().run_line_magic('reset', '-f')
import sys as _sys
if 'postloan.present.loading' in _sys.modules:
    _sys.modules['postloan.present.loading'].keep_latest(1)
    from postloan.memory import release_memory as _release
    _release()
    del _release
del _sys
"""

# Once, when a kernel starts: the modules the workbooks import (postloan.present and the products'
# presenters) are imported, and every object alive then (modules, classes, functions: ~150,000)
# is left out of the garbage collections. `%reset` collects twice and `release_memory` once
# between notebooks: 0.2-0.6 s a reset, mostly visiting the same module objects; 0.01 s once they
# are frozen. Only imports are frozen, never a notebook's data (a frozen cycle that became garbage
# would never be freed).
WARM = """import gc as _gc, importlib as _il, pkgutil as _pk
import postloan.present as _present
from postloan.products import PRODUCTS as _products
for _m in [m.name for m in _pk.iter_modules(_present.__path__, "postloan.present.")] + \\
        [p.presenter for p in _products.values() if p.presenter]:
    _il.import_module(_m)
_gc.collect()
_gc.freeze()
del _gc, _il, _pk, _present, _products, _m
"""


class SharedKernel:
    """Context manager owning the kernel that the engine uses in this thread (a run renders in
    two threads, each with its own kernel)."""
    _local = _Current()

    @classmethod
    def current(cls) -> "SharedKernel | None":
        return cls._local.kernel

    def __init__(self, kernel_name: str = "python3", cwd: str | None = None):
        # The kernel is local: its channels are Unix sockets in a private temporary folder (IPC
        # transport), not TCP ports on 127.0.0.1 — so nothing else on the machine can connect
        # and the kernel has no reason to warn about unencrypted TCP.
        self._ipc_dir = tempfile.mkdtemp(prefix="postloan-kernel-")
        os.chmod(self._ipc_dir, 0o700)
        self.km = KernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(self._ipc_dir, "k"))
        self.cwd = cwd

    def __enter__(self):
        self.km.start_kernel(cwd=self.cwd)
        SharedKernel._local.kernel = self
        # One client for all the kernel's notebooks: a new client waits until the kernel has
        # been quiet for 0.2 s before its first request (jupyter_client's wait_for_ready), and a
        # run made two per notebook (the reset's and nbclient's): 0.4 s of idle per notebook.
        # Replies and output are matched to their request, so one client serves them all.
        self.kc = None
        try:
            kc = self.km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            kc.allow_stdin = False
            self.kc = kc
            kc.execute_interactive(WARM, timeout=120, silent=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        SharedKernel._local.kernel = None
        try:
            if self.kc is not None:
                self.kc.stop_channels()
                self.kc = None
            self.km.shutdown_kernel(now=True)
        finally:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)

    def reset(self):
        self.kc.execute_interactive(RESET, timeout=60, silent=True)


class SharedKernelEngine(NBClientEngine):
    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        shared = SharedKernel.current()
        if shared is None:          # used outside a run: behave like the standard engine
            return super().execute_managed_notebook(nb_man, kernel_name, log_output=log_output,
                                                    start_timeout=start_timeout,
                                                    execution_timeout=execution_timeout, **kwargs)
        shared.reset()
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                             kernel_name=kernel_name, log_output=log_output, stdout_file=stdout_file,
                             stderr_file=stderr_file)
        client = PapermillNotebookClient(nb_man, km=shared.km, **final)
        client.kc = shared.kc              # nbclient uses a client it is given, and leaves it open
        # papermill writes the whole notebook at each cell's start and end (a progress file for
        # a long job); a run's notebook is written once, when it completes or fails
        # (notebook_complete saves it, with the failing cell's error, for outputs/.failed/)
        save, nb_man.save = nb_man.save, (lambda **kwargs: None)
        try:
            return client.execute()
        finally:
            nb_man.save = save


papermill_engines.register(ENGINE_NAME, SharedKernelEngine)
