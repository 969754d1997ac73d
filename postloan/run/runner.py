"""`postloan run`: one month, every product × scope, published all or nothing.

Steps: validate the parameters and the extract (before any kernel starts) → build
the month's marts once and freeze them → execute each workbook per scope with
papermill in one warm kernel → export HTML, PDF, figures JSON → write the manifest
→ move the finished run folder into outputs/<month>/<run_id>/. A failure anywhere
publishes nothing; the failed notebook is kept under outputs/.failed/ for diagnosis.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import papermill

from postloan.marts.build import freeze_marts
from postloan.memory import release_memory
from postloan.present.excel import clear_run_context, set_run_context
from postloan.marts.scope import list_scopes, scope_name
from postloan.periods import parse_period
from postloan.parameter_set import SNAPSHOT, load_parameter_set
from postloan.paths import parameters_dir
from postloan.products import PRODUCTS
from postloan.run import engine as _engine  # noqa: F401  (registers the shared-kernel engine)
from postloan.run import print_fonts
from postloan.run.export import ExportError, find_chromium, to_html
from postloan.run.print_service import PrintService
from postloan.run.manifest import code_version, extract_fingerprint, package_versions, sha256_file, write_manifest
from postloan.run.params import check_parameters, load_workbook_parameters, runtime_placeholders
from postloan.run.parallel_marts import MartsError, build_all
from postloan.run.scope_files import ScopeFiles

ROOT = Path(__file__).resolve().parents[2]
BEIJING = dt.timezone(dt.timedelta(hours=8))


class RunError(RuntimeError):
    """A run failed; nothing was published. The message names the step, scope and error."""


@dataclass
class RunRequest:
    month: str | None
    source: str
    products: list[str] = field(default_factory=lambda: ["default"])
    scopes: list[str] = field(default_factory=lambda: ["default"])
    out: Path = ROOT / "outputs"
    workbooks: Path = ROOT / "workbooks"
    policy: Path | None = None
    calendar: Path | None = None
    parameters_dir: Path | None = None
    source_options: dict = field(default_factory=dict)
    pdf: bool | str = "auto"     # True: required; "auto": when Chromium is installed; False: none
    compute_in_source: bool = False   # loan_month checked, summed and narrowed in the database (DuckDB or SQL)


def _say(msg: str) -> None:
    """A progress line; with a time stamp when written to a log rather than a terminal (cron)."""
    if not sys.stdout.isatty():
        msg = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} {msg}"
    print(msg, flush=True)


OWNER = ".owner"       # in a run's temporary folder: the pid of the process building it


def _reserve(out: Path, month: str) -> tuple[str, Path]:
    """A run id no other run holds and its temporary folder, created atomically: two runs started
    in the same second get run-…-HHMMSS and run-…-HHMMSS-2, and both publish."""
    base = dt.datetime.now(BEIJING).strftime("run-%Y%m%d-%H%M%S")
    for k in range(1, 1000):
        run_id = base if k == 1 else f"{base}-{k}"
        if (out / month / run_id).exists():
            continue
        tmp = out / f".tmp-{month}-{run_id}"
        try:
            tmp.mkdir(parents=True)
        except FileExistsError:
            continue
        (tmp / OWNER).write_text(str(os.getpid()), encoding="utf-8")
        return run_id, tmp
    raise RunError(f"无法为 {month} 分配运行编号 (run_id_exhausted)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_abandoned(out: Path, month: str) -> list[Path]:
    """Remove the temporary folders of this month's runs whose process is gone (killed with -9,
    a power cut); a folder of a run still going is left alone."""
    removed = []
    for tmp in sorted(Path(out).glob(f".tmp-{month}-run-*")):
        try:
            pid = int((tmp / OWNER).read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            pid = 0
        if pid and _alive(pid) and pid != os.getpid():
            continue
        if not pid and time.time() - tmp.stat().st_mtime < 600:
            continue          # just made by a run that has not written its owner file yet
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


class RunInterrupted(BaseException):
    """SIGTERM (systemd, a container stop): unwind so that the temporary folder is removed."""


def _on_sigterm(signum, frame):
    raise RunInterrupted(f"收到终止信号 {signal.Signals(signum).name}")


def run(req: RunRequest) -> Path:
    from data_connectors import load_extract, shown_source

    started = dt.datetime.now(BEIJING)
    t0 = time.perf_counter()
    steps = 5
    timings: dict[str, float] = {}
    lap = [t0]

    @contextlib.contextmanager
    def part_of(step: str):
        """Time spent inside one step, by kind of work (the manifest's `timings_seconds`)."""
        t = time.perf_counter()
        try:
            yield
        finally:
            spent[step] = round(spent.get(step, 0.0) + time.perf_counter() - t, 2)
    spent: dict[str, float] = {}

    def mark(step: str) -> None:
        now = time.perf_counter()
        timings[step] = round(now - lap[0], 2)
        lap[0] = now
    # 1 parameters, before anything else
    _say(f"[1/{steps}] 校验参数 (parameters)")
    if req.products == ["default"]:
        kind = parse_period(req.month).kind if req.month else "month"
        req.products = [name for name, p in PRODUCTS.items() if kind in p.period_kinds]
    unknown = [p for p in req.products if p not in PRODUCTS]
    if unknown:
        raise RunError(f"未知的产品 (unknown_product)：{', '.join(unknown)}；可选 {', '.join(PRODUCTS)}")
    params = load_parameter_set(req.parameters_dir, req.policy, req.calendar)    # every file, validated now
    policy = params.policy
    settings = {}
    for name in req.products:
        product = PRODUCTS[name]
        nb_path = Path(req.workbooks) / product.workbook
        pfile = Path(req.parameters_dir or parameters_dir()) / f"{name}.yaml"
        settings[name] = load_workbook_parameters(product, nb_path, pfile)
        params.add(f"workbook:{name}", pfile)
    pdf_note = None
    if req.pdf == "auto":
        try:
            find_chromium()
            req.pdf = True
        except ExportError as exc:
            req.pdf, pdf_note = False, str(exc)
            _say(f"      注意：{exc}本次只生成 HTML、Excel 与 JSON (pdf_skipped)。")
    elif req.pdf:
        find_chromium()
    print_font = None
    if req.pdf:
        conf, why = print_fonts.status()
        if conf is None:
            _say(f"      注意：{why}；PDF 中的汉字将以 Type 3 字形输出，文件约大一倍 (print_fonts_missing)。")
        else:
            print_font = print_fonts.FAMILY
    # 2 extract
    mark("parameters")
    _say(f"[2/{steps}] 读取并校验数据 (validate)：{shown_source(req.source)}")
    options = dict(req.source_options)
    if req.compute_in_source:
        options["compute_in_source"] = _reads(req, params)
    extract = load_extract(req.source, **options)
    release_memory()                  # what the read and the checks freed (postloan.memory)
    if extract.in_source is not None:
        i = extract.in_source
        _say(f"      在数据库内计算 (compute_in_source)：loan_month 共 {i.rows_in_source:,} 行，读取 {i.rows_fetched:,} 行"
             f"（其中可能违反数据约定的借据 {i.suspect_loans:,} 笔），按机构汇总 {i.aggregate_rows:,} 行")
    months = extract.months()
    if not months:
        raise RunError("数据中没有任何月末快照 (period_not_in_extract)")
    period = parse_period(req.month or months[-1])
    if period.last_month not in months:
        raise RunError(f"数据中没有 {period.label} 最后一个月 {period.last_month} 的月末快照 (period_not_in_extract)；"
                       f"数据覆盖 {months[0]} 至 {months[-1]}")
    for name in req.products:
        if period.kind not in PRODUCTS[name].period_kinds:
            raise RunError(f"产品 {name} 不支持期间 {period.label} (bad_period)；支持：{', '.join(PRODUCTS[name].period_kinds)}")
    params.calendar.check_covers(period.start, period.end)
    month = period.label
    scopes_all = list_scopes(extract["branches"], include_sub_branches=True)
    scopes = list_scopes(extract["branches"]) if req.scopes in (["default"], ["all+branches"]) else req.scopes
    bad = [s for s in scopes if s not in scopes_all]
    if bad:
        raise RunError(f"未知的报告范围 (unknown_scope)：{', '.join(bad)}；可选 {', '.join(scopes_all)}")
    for name in req.products:        # period and scope against each workbook's model
        for s in scopes:
            check_parameters(PRODUCTS[name], {**runtime_placeholders(PRODUCTS[name], month, s), **settings[name]})
    # 3 marts, once per product
    mark("validate")
    _say(f"[3/{steps}] 计算 {month} 数据集市 (marts)")
    try:
        marts = build_all(req.products, extract, period, params, spent)
    except MartsError as exc:
        raise RunError(str(exc)) from None
    out_month = Path(req.out) / month
    for old in clean_abandoned(Path(req.out), month):
        _say(f"      已清理上次中断运行留下的临时目录 (abandoned_tmp_removed)：{old}")
    run_id, tmp = _reserve(Path(req.out), month)
    outputs = []
    printer = side = service = None
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if threading.current_thread() is threading.main_thread() else None
    try:
        for name, m in marts.items():
            freeze_marts(m, tmp / "marts" / name)
        parameter_files = params.snapshot(tmp / SNAPSHOT)     # the pages are drawn from these, never from today's files
        for p in sorted((tmp / "marts").rglob("*")):
            if p.is_file():
                outputs.append({"product": "marts", "scope": "all", "kind": p.suffix.lstrip("."),
                                "path": str(p.relative_to(tmp))})
        mark("marts")
        # the figures, workbooks and case books of each scope, drawn from the marts: written alongside the render
        fingerprint = extract_fingerprint(extract.tables)
        source = {"description": extract.source, "carrier": extract.carrier,
                  "fingerprint": fingerprint, "computed_in_source": None if extract.in_source is None else {
                      "loan_month_rows": extract.in_source.rows_in_source,
                      "rows_fetched": extract.in_source.rows_fetched,
                      "aggregate_rows": extract.in_source.aggregate_rows}}
        branches = extract["branches"]
        # the marts hold all the pages need: the extract (and its memo) goes before the workers fork
        # and the kernels start (postloan.memory)
        extract = None
        release_memory()
        set_run_context(run_id=run_id, started_at=started.isoformat(timespec="seconds"), source=source["description"],
                        fingerprint=fingerprint, code_version=code_version(),
                        parameter_files=parameter_files)     # every workbook's 说明 sheet states the run
        # one Chromium prints the whole run (workbook pages and the writers' book chunks): made before
        # the writers fork (they inherit its pipes), started after (its threads live here only)
        service = PrintService(children=FILE_WORKERS) if req.pdf else None
        side = ScopeFiles(req.products, scopes, marts, lambda name: tmp / name, books=bool(req.pdf), spent=spent,
                          workers=FILE_WORKERS, settings=settings, printer=service)
        side.start()
        if service is not None:
            service.start()
        # 4 render
        jobs = [(name, s) for name in req.products for s in scopes]
        _say(f"[4/{steps}] 渲染工作簿：{len(jobs)} 份（{', '.join(req.products)} × {len(scopes)} 个范围）")
        def render_one(i: int, name: str, s: str) -> Path:
            if side.failed() is not None:    # the scope files failed: the run fails now, not after the render
                raise side.error
            product = PRODUCTS[name]
            nb_out = tmp / name / f"{s}.ipynb"
            nb_out.parent.mkdir(parents=True, exist_ok=True)
            _say(f"      {name} · {s} {scope_name(branches, s)}（{i}/{len(jobs)}）")
            params = {**runtime_placeholders(product, month, s, str(tmp.resolve())), **settings[name]}
            try:
                papermill.execute_notebook(str(Path(req.workbooks) / product.workbook), str(nb_out),
                                           parameters=params, engine_name=_engine.ENGINE_NAME,
                                           progress_bar=False, kernel_name="python3", cwd=str(req.workbooks))
            except papermill.PapermillExecutionError as exc:
                raise RunError(f"范围 {s} 的工作簿 {product.workbook} 执行失败 (workbook_failed)：第 {exc.exec_count} 个单元格 "
                               f"{exc.ename}: {exc.evalue}") from None
            return nb_out
        rendered = _render_all(jobs, render_one, str(req.workbooks))
        done = [(name, s, rendered[i]) for i, (name, s) in enumerate(jobs)]
        mark("render")
        # 5 export
        _say(f"[5/{steps}] 导出 HTML、PDF 与指标 JSON")
        printing = []                        # (html, pdf, product, scope): printed while the rest is written
        if req.pdf:
            printer = service.handle()
        pages = []
        for name, s, nb_out in done:
            nb = nbformat.read(nb_out, as_version=4)
            _strip_run_paths(nb, tmp)
            nbformat.write(nb, nb_out)
            title = f"{scope_name(branches, s)} {PRODUCTS[name].label}（{month}）"
            html_path = nb_out.with_suffix(".html")
            with part_of("export_html"):
                html_path.write_text(to_html(nb, title), encoding="utf-8")
            if req.pdf:
                printing.append((html_path, html_path.with_suffix(".pdf"), name, s))
                printer.submit(html_path, html_path.with_suffix(".pdf"))
            pages.append((name, s, nb_out, html_path))
        with part_of("export_wait_files"):
            side.finish()
        clear_run_context()
        case_pages: set[Path] = set()        # a case file is written and listed once, whatever scopes hold it
        for name, s, nb_out, html_path in pages:
            kinds = [("ipynb", nb_out), ("html", html_path)]
            files = side.results[(name, s)]
            kinds += files.files
            kinds += [("html", p) for p in files.cases if p not in case_pages]
            case_pages.update(files.cases)
            if req.pdf:                      # each extra HTML page is printed too
                for page in [p for kind, p in files.files if kind == "html"]:
                    printing.append((page, page.with_suffix(".pdf"), name, s))
                    printer.submit(page, page.with_suffix(".pdf"))
            for kind, path in kinds:
                outputs.append({"product": name, "scope": s, "kind": kind, "path": str(path.relative_to(tmp))})
        with part_of("export_pdf"):
            if printer is not None:
                printer.finish()
                printer = None
            if service is not None:
                service.close()
                service = None
        for _, pdf_path, name, s in printing:
            outputs.append({"product": name, "scope": s, "kind": "pdf", "path": str(pdf_path.relative_to(tmp))})
        for book, (name, s) in side.book_paths.items():
            outputs.append({"product": name, "scope": s, "kind": "pdf", "path": str(book.relative_to(tmp))})
        for o in outputs:
            o["sha256"] = sha256_file(tmp / o["path"])
        mark("export")
        manifest = {
            "suite": "postloan", "month": month, "period": {"label": period.label, "kind": period.kind,
                                                            "start": str(period.start.date()),
                                                            "end": str(period.end.date())}, "run_id": run_id,
            "source": source,
            "code_version": code_version(), "python": sys.version.split()[0], "packages": package_versions(),
            "parameter_files": parameter_files,
            "parameters": {"products": req.products, "scopes": scopes, "workbooks": settings,
                           "policy": policy.model_dump(by_alias=True)},
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now(BEIJING).isoformat(timespec="seconds"),
            "status": "published", "timings_seconds": {**timings, **spent}, "pdf_skipped": pdf_note,
            "print_font": print_font, "outputs": outputs,
        }
        write_manifest(tmp / "manifest.json", manifest)
        out_month.mkdir(parents=True, exist_ok=True)
        final = out_month / run_id
        (tmp / OWNER).unlink()
        os.replace(tmp, final)           # the publication: one rename
    except BaseException as exc:
        if service is not None:
            service.abandon()
        if side is not None:            # the forked writers are terminated (they print through the service)
            side.stop()
            side.join(timeout=60)
        failed = Path(req.out) / ".failed" / month / run_id
        failed.mkdir(parents=True, exist_ok=True)
        for nb in tmp.rglob("*.ipynb"):
            target = failed / nb.parent.relative_to(tmp)
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(nb, target / nb.name)
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, RunError):
            raise RunError(f"{exc}\n未发布任何输出；失败的工作簿保存在 {failed}") from None
        if isinstance(exc, ExportError):
            raise RunError(f"{exc}\n未发布任何输出。") from None
        if isinstance(exc, RunInterrupted):
            raise RunError(f"{exc}，运行中止 (interrupted)；临时目录已删除，未发布任何输出。") from None
        raise
    finally:
        clear_run_context()                  # a failed export leaves no run facts for the next workbook
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    _say(f"完成：{month} 已发布到 {final}（用时 {time.perf_counter() - t0:.1f}s）")
    return final


RENDER_WORKERS = 2      # kernels rendering at once: both cores of the reference machine
FILE_WORKERS = 2        # forked writers of the scope files (postloan.run.scope_files)


def _render_all(jobs: list, render_one, cwd: str) -> dict[int, Path]:
    """Render every job, `RENDER_WORKERS` at a time, each worker in its own warm kernel; the
    main thread is one of them (so that SIGTERM interrupts it as before). The first failure
    stops both workers (each finishes the notebook it is on) and is raised."""
    queue = list(enumerate(jobs))
    queue.reverse()
    lock, stop = threading.Lock(), threading.Event()
    results: dict[int, Path] = {}
    errors: list[BaseException] = []

    def work():
        with _engine.SharedKernel(cwd=cwd):
            while not stop.is_set():
                with lock:
                    if not queue:
                        return
                    i, (name, s) = queue.pop()
                results[i] = render_one(i + 1, name, s)

    def helper():
        try:
            work()
        except BaseException as exc:          # noqa: BLE001 (handed to the main thread)
            errors.append(exc)
            stop.set()
    others = [threading.Thread(target=helper, name=f"render-{k}", daemon=True)
              for k in range(1, min(RENDER_WORKERS, len(jobs)))]
    for t in others:
        t.start()
    try:
        work()
    except BaseException:
        stop.set()
        raise
    finally:
        for t in others:
            t.join()
    if errors:
        raise errors[0]
    return results


def _reads(req: RunRequest, params):
    """The callable a connector asks, once it knows the source's months, what loan_month rows
    and sums the run's products read (each product declares its own: Product.loan_month_reads)."""
    from data_connectors import connector_for
    from data_connectors.in_source import Needs
    from data_connectors.sql_database import NEEDS_EXTRA
    if connector_for(req.source).name not in ("sql", "duckdb"):
        raise RunError("只有数据库或 DuckDB 文件可以在数据源内计算 (compute_in_source_unsupported)：CSV 与 Excel 请去掉 "
                       "--compute-in-source")
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        raise RunError(NEEDS_EXTRA) from None

    def needs(months: list[str]) -> Needs:
        out = Needs(set(), set())
        if months:
            period = parse_period(req.month or months[-1])
            for name in req.products:
                r = PRODUCTS[name].loan_month_reads(period, params)
                out.months |= r.months
                out.trend_months |= r.trend_months
        return out
    return needs


def _strip_run_paths(nb, tmp: Path) -> None:
    """The injected parameters name the temporary folder; record the published one."""
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = cell.source.replace(str(tmp.resolve()), ".")
