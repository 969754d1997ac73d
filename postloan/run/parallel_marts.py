"""The marts of a run, built on both cores.

Building the marts is pandas work in one process: one core, while the other idles. The
largest part is the accountability reviews the scorecards read, one per trend period, each
independent of the others. So the run's process forks once. The child takes the tasks the
products declare as independent (`Product.prefetch`: a period's accountability review) from
a shared counter and sends back the entries each added to the extract's memo, pickled.
Meanwhile the parent builds the products that declare none (the meeting pack, the workout
book), then takes the tasks left. The other products' builds then find in the memo what
either process computed: one rule, computed once, the same figures as in one process.

A fork shares the extract (copy-on-write); nothing but results crosses the pipe. Without
fork, or with one worker, everything runs in the parent.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import threading
import time
import traceback

from postloan.products import PRODUCTS
from postloan.run.forking import can_fork, die_with_parent, freeze_for_fork, thaw
from postloan.validation import LOCAL_MEMO

WORKERS = 2


class MartsError(RuntimeError):
    """A task failed in the child process: its error, as text."""


def build_all(names: list[str], extract, period, params, spent: dict, workers: int = WORKERS) -> dict:
    """{product: Marts} for `names`; times go to `spent` (marts_<product>, marts_prefetch).

    The child takes prefetch tasks only (its memo entries come back to the parent). The parent
    first builds the products that declare none (their builds read nothing the tasks make),
    then takes the tasks that are left, waits for the child's, and builds the others."""
    tasks: dict = {}
    for name in names:
        prefetch = PRODUCTS[name].prefetch
        for key, fn in (prefetch(extract, period, params) if prefetch else {}).items():
            tasks.setdefault(key, fn)                       # the same review for two products: once
    tasks = list(tasks.values())
    marts: dict = {}
    first = [n for n in names if not PRODUCTS[n].prefetch]
    then = [n for n in names if PRODUCTS[n].prefetch]

    def build(name: str) -> None:
        t = time.perf_counter()
        marts[name] = PRODUCTS[name].build(extract, period, params)
        spent[f"marts_{name}"] = round(time.perf_counter() - t, 2)

    def prefetch(i: int) -> None:
        t = time.perf_counter()
        tasks[i]()
        spent["marts_prefetch"] = round(spent.get("marts_prefetch", 0.0) + time.perf_counter() - t, 2)
    if workers < 2 or not tasks or not can_fork():
        for i in range(len(tasks)):
            prefetch(i)
        for name in first + then:
            build(name)
        return {name: marts[name] for name in names}
    ctx = mp.get_context("fork")
    counter = ctx.Value("i", 0)
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(tasks, counter, send, extract), daemon=True, name="postloan-marts")
    freeze_for_fork()
    child.start()
    send.close()
    messages: list = []

    def read():                          # drained as they come: a full pipe would stop the child
        while True:
            try:
                msg = pickle.loads(receive.recv_bytes())
            except (EOFError, OSError):
                msg = ("error", "数据集市计算子进程意外退出 (marts_failed)")
            messages.append(msg)
            if msg[0] != "result":
                return
    reader = threading.Thread(target=read, name="marts-results", daemon=True)
    reader.start()
    try:
        for name in first:
            build(name)
        while (i := _next(counter, len(tasks))) is not None:
            prefetch(i)
        t = time.perf_counter()
        reader.join()
        spent["marts_wait"] = round(time.perf_counter() - t, 2)
        for msg in messages:             # the memo entries the child added
            if msg[0] == "error":
                raise MartsError(msg[1])
            if msg[0] == "result":
                extract.memo.update(msg[1])
        for name in then:
            build(name)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        thaw()
        reader.join(timeout=5)
        receive.close()
    return {name: marts[name] for name in names}


def _next(counter, n: int) -> int | None:
    with counter.get_lock():
        i = counter.value
        if i >= n:
            return None
        counter.value = i + 1
        return i


def _child(tasks, counter, send, extract) -> None:
    """Take tasks until none is left; send the memo entries each added."""
    die_with_parent()
    code = 0
    try:
        while (i := _next(counter, len(tasks))) is not None:
            before = set(extract.memo)
            tasks[i]()
            memo = {k: v for k, v in extract.memo.items() if k not in before and k[0] not in LOCAL_MEMO}
            send.send_bytes(pickle.dumps(("result", memo), protocol=pickle.HIGHEST_PROTOCOL))
        send.send_bytes(pickle.dumps(("done",)))
    except BaseException as exc:         # noqa: BLE001 (reported to the parent, which raises it)
        code = 1
        try:
            send.send_bytes(pickle.dumps(("error", f"数据集市计算失败 (marts_failed)：{type(exc).__name__}: {exc}\n"
                                                   + traceback.format_exc(limit=8))))
        except BaseException:            # noqa: BLE001
            pass
    finally:
        send.close()
        os._exit(code)                   # no atexit handlers or finalizers of the parent's objects
