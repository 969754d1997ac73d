"""The shared-kernel engine (postloan.run.engine): the notebooks of a run execute one after another
in one kernel, through one client, with a fresh namespace each, and a failing notebook leaves the
kernel fit for the next."""
from __future__ import annotations

import nbformat
import papermill
import pytest

from postloan.run import engine


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _run(src, out, **parameters):
    return papermill.execute_notebook(str(src), str(out), parameters=parameters, engine_name=engine.ENGINE_NAME,
                                      progress_bar=False, kernel_name="python3")


def _text(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_each_notebook_gets_a_fresh_namespace_in_the_same_kernel_and_survives_a_failure(tmp_path):
    first = _notebook(tmp_path / "first.ipynb", "tag = 'x'", "import os\nleft_over = tag\nprint('pid', os.getpid())")
    second = _notebook(tmp_path / "second.ipynb", "tag = 'y'",
                       "import os\nprint('pid', os.getpid())\nprint('leftover' if 'left_over' in dir() else 'clean')")
    failing = _notebook(tmp_path / "failing.ipynb", "tag = 'z'", "raise ValueError('boom')")
    with engine.SharedKernel():
        a = _run(first, tmp_path / "a.ipynb", tag="a")
        b = _run(second, tmp_path / "b.ipynb", tag="b")
        with pytest.raises(papermill.PapermillExecutionError, match="boom"):
            _run(failing, tmp_path / "c.ipynb", tag="c")
        d = _run(second, tmp_path / "d.ipynb", tag="d")          # the kernel and its client still serve
    pids = [line for nb in (a, b, d) for line in _text(nb).splitlines() if line.startswith("pid")]
    assert len(pids) == 3 and len(set(pids)) == 1, pids            # one kernel for all of them
    assert "clean" in _text(b) and "leftover" not in _text(b)
    assert "clean" in _text(d)


def test_the_kernel_leaves_its_imports_out_of_garbage_collection_but_not_a_notebooks_data(tmp_path):
    probe = _notebook(tmp_path / "probe.ipynb", "x = 0",
                      "import gc\nimport postloan.present.tables as t\n"
                      "print('frozen', gc.get_freeze_count() > 50_000, not any(o is t for o in gc.get_objects()))\n"
                      "cycle = []\ncycle.append(cycle)\nprint('data', any(o is cycle for o in gc.get_objects()))")
    with engine.SharedKernel():
        nb = _run(probe, tmp_path / "p.ipynb")
    text = _text(nb)
    assert "frozen True True" in text         # the warm-up froze the imported modules' objects
    assert "data True" in text                # a notebook's own objects are still collected
