"""The `postloan` command line.

    postloan sample   --size small --seed 42 --out data/sample_bank.duckdb
    postloan validate --source data/sample_bank.duckdb
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_SOURCE = "data/sample_bank.duckdb"
DEFAULT_SIZE, DEFAULT_SEED = "small", 42


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", default=DEFAULT_SOURCE,
                   help="数据源：CSV 文件夹、.xlsx、.duckdb 或数据库 URL（默认 %(default)s）")
    p.add_argument("--schema", default=None, help="数据库 schema（仅 SQL 数据源）")
    p.add_argument("--table-prefix", default="", help="表名前缀（仅 SQL 数据源）")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="postloan", description="贷后管理工作簿套件 (post-loan workbook suite)")
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="生成样本银行数据 (generate the sample bank)")
    s.add_argument("--size", choices=["small", "medium", "large"], default=DEFAULT_SIZE)
    s.add_argument("--seed", type=int, default=DEFAULT_SEED)
    s.add_argument("--out", default=DEFAULT_SOURCE, help="输出路径（文件、文件夹或数据库 URL）")
    s.add_argument("--format", choices=["duckdb", "csv", "xlsx", "sql"], default=None,
                   help="输出格式；缺省时按 --out 推断")
    s.add_argument("--encoding", choices=["utf-8", "utf-8-sig", "gb18030", "gbk"], default="utf-8",
                   help="CSV 编码")
    s.add_argument("--end-month", default=None, help="历史的最后一个月 YYYY-MM")
    s.add_argument("--schema", default=None)
    s.add_argument("--table-prefix", default="")
    s.add_argument("--overwrite", action="store_true", help="替换已存在的目标")
    s.add_argument("--if-absent", action="store_true", help="目标已存在时什么也不做")

    v = sub.add_parser("validate", help="按数据约定校验数据源 (validate an extract)")
    _source_options(v)
    v.add_argument("--all", action="store_true", help="逐条列出全部违规")

    r = sub.add_parser("run", help="月度运行：例会材料等产品 (the monthly run)")
    r.add_argument("--month", "--period", dest="month", default=None,
                   help="报告期间：月 YYYY-MM、季 YYYY-Qn 或年 YYYY（默认：数据中最新月份）")
    _source_options(r)
    r.add_argument("--products", default="default",
                   help="产品，逗号分隔：meeting_pack、scorecards（默认：该期间适用的全部产品）")
    r.add_argument("--scopes", default="default",
                   help="范围，逗号分隔：all、分行或支行机构号；默认 all 加全部分行")
    r.add_argument("--out", default="outputs", help="输出目录（默认 outputs）")
    r.add_argument("--policy", default=None, help="制度参数文件（默认 parameters/policy.yaml）")
    r.add_argument("--calendar", default=None, help="工作日历文件（默认 parameters/calendar.yaml）")
    r.add_argument("--parameters-dir", default=None, help="工作簿参数文件目录（默认 parameters/）")
    r.add_argument("--workbooks", default=None, help=argparse.SUPPRESS)
    r.add_argument("--no-pdf", action="store_true", help="不生成 PDF（默认：已安装 Chromium 时生成）")
    r.add_argument("--pdf", action="store_true", help="必须生成 PDF；未安装 Chromium 时报错")

    d = sub.add_parser("serve", help="以只读仪表板方式提供已发布结果 (Voila dashboards)")
    d.add_argument("--port", type=int, default=8866)
    d.add_argument("--outputs", default="outputs", help="已发布结果所在目录（默认 outputs）")
    d.add_argument("--token", default=None, help="访问令牌（默认随机生成并打印一次）")
    d.add_argument("--ip", default="127.0.0.1", help="监听地址（默认仅本机 127.0.0.1）")
    d.add_argument("--no-preheat", action="store_true", help="不预热内核")
    return parser


def _infer_format(out: str) -> str:
    if "://" in out:
        return "sql"
    suffix = Path(out).suffix.lower()
    return {".duckdb": "duckdb", ".ddb": "duckdb", ".xlsx": "xlsx"}.get(suffix, "csv")


def cmd_sample(args) -> int:
    from postloan.sample.generate import generate_sample_bank
    from postloan.sample import writers

    fmt = args.format or _infer_format(args.out)
    if args.if_absent and fmt != "sql" and Path(args.out).exists():
        print(f"样本银行已存在，跳过生成：{args.out}")
        return 0
    t0 = time.perf_counter()
    print(f"生成样本银行 (size={args.size}, seed={args.seed}) …", flush=True)
    tables = generate_sample_bank(args.size, args.seed, args.end_month)
    t1 = time.perf_counter()
    try:
        if fmt == "duckdb":
            writers.write_duckdb(tables, args.out, overwrite=args.overwrite)
        elif fmt == "csv":
            writers.write_csv(tables, args.out, encoding=args.encoding, overwrite=args.overwrite)
        elif fmt == "xlsx":
            writers.write_xlsx(tables, args.out, overwrite=args.overwrite)
        else:
            writers.write_sql(tables, args.out, schema=args.schema, table_prefix=args.table_prefix,
                              overwrite=args.overwrite)
    except writers.TargetExists as exc:
        print(str(exc), file=sys.stderr)
        return 2
    t2 = time.perf_counter()
    n_loans, n_rows = len(tables["loans"]), len(tables["loan_month"])
    shown = args.out
    if fmt == "sql":
        from data_connectors.sql_database import redact_url
        shown = redact_url(args.out)
    print(f"完成：{n_loans:,} 笔借据，{n_rows:,} 条月末快照 → {shown}（{fmt}；生成 {t1 - t0:.1f}s，写出 {t2 - t1:.1f}s）")
    return 0


def cmd_validate(args) -> int:
    from data_connectors import SourceError, read_extract
    from postloan.validation import check_extract
    from postloan.violations import format_report

    t0 = time.perf_counter()
    try:
        raw = read_extract(args.source, schema=args.schema, table_prefix=args.table_prefix)
    except SourceError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    tables, violations = check_extract(raw)
    elapsed = time.perf_counter() - t0
    if violations:
        print(format_report(violations, max_per_group=None if args.all else 20))
        print(f"\n数据源 {raw.source}（{raw.carrier}）校验未通过，用时 {elapsed:.1f}s。未生成任何输出。", file=sys.stderr)
        return 1
    from postloan.glossary import table_label
    print(f"数据校验通过：{raw.source}（{raw.carrier}），用时 {elapsed:.1f}s")
    for name, frame in tables.items():
        print(f"  {name:<20} {table_label(name):<8} {len(frame):>10,} 行")
    return 0


def cmd_run(args) -> int:
    from data_connectors import SourceError
    from postloan.policy import ParameterError
    from postloan.run.export import ExportError
    from postloan.run.runner import ROOT, RunError, RunRequest, run
    from postloan.violations import ExtractInvalid, format_report

    req = RunRequest(month=args.month, source=args.source, products=args.products.split(","),
                     scopes=args.scopes.split(","), out=Path(args.out),
                     workbooks=Path(args.workbooks) if args.workbooks else ROOT / "workbooks",
                     policy=args.policy, calendar=args.calendar, parameters_dir=args.parameters_dir,
                     source_options={"schema": args.schema, "table_prefix": args.table_prefix},
                     pdf=False if args.no_pdf else (True if args.pdf else "auto"))
    try:
        final = run(req)
    except ExtractInvalid as exc:
        print(format_report(exc.violations), file=sys.stderr)
        print("数据校验未通过，未生成任何输出。", file=sys.stderr)
        return 1
    except (RunError, ParameterError, SourceError, ExportError, ValueError) as exc:
        print(f"运行失败 (run_failed)：{exc}", file=sys.stderr)
        return 1
    except Exception as exc:       # a defect: still one clear line and nothing published, never a half run
        print(f"运行失败 (internal_error)：{type(exc).__name__}: {exc}\n未发布任何输出。", file=sys.stderr)
        return 1
    print(f"例会材料等输出位于：{final}")
    return 0


def voila_command(port: int, token: str, ip: str = "127.0.0.1", preheat: bool = True,
                  cull_idle: int = 900, cull_interval: int = 300) -> list[str]:
    """Voila over the dedicated dashboards folder only: no sources, no tracebacks, a token,
    idle kernels culled (well above page-load time, so a preheated kernel is never culled early)."""
    from postloan.run.runner import ROOT
    return [sys.executable, "-m", "voila", str(ROOT / "workbooks" / "dashboards"), "--no-browser",
            f"--port={port}", f"--Voila.ip={ip}", f"--token={token}", f"--preheat_kernel={preheat}",
            "--show_tracebacks=False", "--strip_sources=True",
            f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
            f"--MappingKernelManager.cull_interval={cull_interval}"]


def cmd_serve(args) -> int:
    import os
    import secrets
    import subprocess
    outputs = Path(args.outputs).resolve()
    if not outputs.is_dir():
        print(f"输出目录不存在 (outputs_missing)：{outputs}", file=sys.stderr)
        return 2
    token = args.token or secrets.token_urlsafe(24)
    env = {**os.environ, "POSTLOAN_OUTPUTS": str(outputs)}
    print(f"仪表板：http://{args.ip}:{args.port}/voila/render/index.ipynb?token={token}", flush=True)
    return subprocess.call(voila_command(args.port, token, args.ip, not args.no_preheat), env=env)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return {"sample": cmd_sample, "validate": cmd_validate, "run": cmd_run, "serve": cmd_serve}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
