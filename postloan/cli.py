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


from postloan.products import PRODUCTS

EXIT_CODES = """退出码 (exit codes)：
  0  成功 (success)
  1  数据或运行失败：数据不符合约定、工作簿执行失败，未发布任何输出 (contract violations / run failed)
  2  用法或参数错误：参数文件无效、目标已存在、端口被占用等 (usage or parameter error, refused)"""


def _formatter(prog):
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=34, width=100)


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", default=DEFAULT_SOURCE, metavar="来源",
                   help="数据源 (source)：CSV 文件夹、.xlsx、.duckdb 或数据库 URL，如 "
                        "postgresql://user@host/db、mysql+pymysql://user@host/db（默认 %(default)s）；"
                        "URL 中的密码不会出现在任何输出或日志中")
    p.add_argument("--schema", default=None, help="数据库 schema（仅 SQL 数据源；默认为连接的默认 schema）")
    p.add_argument("--table-prefix", default="", metavar="前缀",
                   help="表名前缀（仅 SQL 数据源），如 dh_ 表示读取 dh_loans、dh_loan_month 等")


def _chinese(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p._optionals.title = "选项 (options)"
    p._positionals.title = "参数 (arguments)"
    for action in p._actions:
        if action.dest == "help":
            action.help = "显示本说明并退出 (show this help)"
    return p


def _sub(sub, name: str, help: str, description: str):
    return _chinese(sub.add_parser(name, help=help, description=description, epilog=EXIT_CODES,
                                   formatter_class=_formatter))


def _parser() -> argparse.ArgumentParser:
    products = "\n".join(f"  {n:<15}{p.label}（期间：{'、'.join({'month': '月', 'quarter': '季', 'year': '年'}[k] for k in p.period_kinds)}）"
                         for n, p in PRODUCTS.items())
    parser = argparse.ArgumentParser(
        prog="postloan", formatter_class=_formatter,
        description="贷后管理工作簿套件 (post-loan workbook suite)：按数据约定读取银行数据，"
                    "每月生成例会材料、考核评价、责任追究与不良资产清收处置，并以只读仪表板提供。\n\n"
                    "产品 (products)：\n" + products,
        epilog="每个子命令的说明：postloan <子命令> --help\n\n" + EXIT_CODES)
    _chinese(parser)
    parser._positionals.title = "子命令 (commands)"
    sub = parser.add_subparsers(dest="command", required=True, metavar="子命令")

    s = _sub(sub, "sample", "生成样本银行数据 (generate the sample bank)",
             "生成一家虚构银行的完整数据（符合数据约定的全部表），用于试用、培训和测试。"
             "同一 --size 与 --seed 每次生成相同的数据。目标已存在时不覆盖（除非 --overwrite）。")
    s.add_argument("--size", choices=["small", "medium", "large"], default=DEFAULT_SIZE,
                   help="规模：small 约 2,400 笔借据、medium 约 2.4 万笔、large 约 32 万笔（默认 %(default)s）")
    s.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子；相同种子生成相同数据（默认 %(default)s）")
    s.add_argument("--out", default=DEFAULT_SOURCE, metavar="目标",
                   help="输出路径：.duckdb 文件、.xlsx 文件、CSV 文件夹或数据库 URL（默认 %(default)s）")
    s.add_argument("--format", choices=["duckdb", "csv", "xlsx", "sql"], default=None,
                   help="输出格式（默认按 --out 推断：.duckdb、.xlsx、URL，其余为 CSV 文件夹）")
    s.add_argument("--encoding", choices=["utf-8", "utf-8-sig", "gb18030", "gbk"], default="utf-8",
                   help="CSV 的字符编码（默认 %(default)s；Excel 直接打开可用 utf-8-sig 或 gb18030）")
    s.add_argument("--end-month", default=None, metavar="YYYY-MM", help="历史的最后一个月（默认：当前月的上一个月）")
    s.add_argument("--schema", default=None, help="写入数据库时的 schema（仅 SQL 目标）")
    s.add_argument("--table-prefix", default="", metavar="前缀", help="写入数据库时的表名前缀（仅 SQL 目标）")
    s.add_argument("--overwrite", action="store_true", help="替换已存在的目标")
    s.add_argument("--if-absent", action="store_true", help="目标已存在时什么也不做（make run 用）")

    v = _sub(sub, "validate", "按数据约定校验数据源 (validate an extract)",
             "按数据约定（../shared/spec/DATA_CONTRACT.md）检查数据源的每张表：缺失的表和字段、类型、枚举值、"
             "主键和外键、日期先后等。每项问题以中文说明并附英文代码，如 missing_column。")
    _source_options(v)
    v.add_argument("--all", action="store_true", help="逐条列出全部违规（默认每类列出前几条并给出总数）")

    r = _sub(sub, "run", "月度运行：例会材料等产品 (the monthly run)",
             "校验参数与数据，计算一次当期数据集市，为每个产品、每个范围生成 HTML、PDF、Excel 与指标 JSON，"
             "全部成功后一次发布到 <输出目录>/<期间>/run-<日期>-<时间>/（失败时不发布任何输出）。\n\n"
             "产品 (products)：\n" + products)
    r.add_argument("--month", "--period", dest="month", default=None, metavar="期间",
                   help="报告期间：月 YYYY-MM、季 YYYY-Qn 或年 YYYY（默认：数据中最新月份）")
    _source_options(r)
    r.add_argument("--products", default="default", metavar="产品",
                   help="产品，逗号分隔：" + "、".join(PRODUCTS) + "（默认：该期间适用的全部产品）")
    r.add_argument("--scopes", default="default", metavar="范围",
                   help="范围，逗号分隔：all（全行）、分行或支行机构号；默认 all 加全部分行")
    r.add_argument("--out", default="outputs", metavar="目录", help="输出目录（默认 outputs）")
    r.add_argument("--parameters-dir", default=None, metavar="目录",
                   help="参数目录：制度、日历、考核、责任追究、清收处置与各工作簿的参数文件都从这里读取（默认 parameters/）")
    r.add_argument("--policy", default=None, metavar="文件", help="另用一个制度参数文件（覆盖参数目录中的 policy.yaml）")
    r.add_argument("--calendar", default=None, metavar="文件", help="另用一个工作日历文件（覆盖参数目录中的 calendar.yaml）")
    r.add_argument("--workbooks", default=None, help=argparse.SUPPRESS)
    r.add_argument("--no-pdf", action="store_true", help="不生成 PDF（默认：已安装 Chromium 时生成）")
    r.add_argument("--pdf", action="store_true", help="必须生成 PDF；未安装 Chromium 时报错")
    r.add_argument("--compute-in-source", action="store_true",
                   help="在数据库（或 DuckDB 文件）内校验并汇总 loan_month，只读取本次用到的行与按机构的汇总"
                        "（适合全行数据量大、数据仓库为 MPP 时）")

    d = _sub(sub, "serve", "以只读仪表板方式提供已发布结果 (Voila dashboards)",
             "只读仪表板（Voila），只读取已发布的结果。令牌从 --token-file 或环境变量 POSTLOAN_DASHBOARD_TOKEN "
             "读取，不写在命令行上；都没有时随机生成并打印一次。有 parameters/access.yaml（或 --access）时按用户授权，"
             "每次查看记入 outputs/.audit/。SIGTERM/SIGINT 停止服务并关闭全部内核。")
    d.add_argument("--port", type=int, default=8866, help="端口（默认 %(default)s；被占用时报错退出）")
    d.add_argument("--outputs", default="outputs", metavar="目录", help="已发布结果所在目录（默认 outputs）")
    d.add_argument("--token-file", default=None, metavar="文件", help="共享令牌所在文件（单令牌模式；无 access.yaml 时）")
    d.add_argument("--access", default=None, metavar="文件",
                   help="用户与权限文件（默认 parameters/access.yaml，存在时启用按用户授权）")
    d.add_argument("--ip", default="127.0.0.1", help="监听地址（默认仅本机 %(default)s；对内网开放请放在银行的反向代理之后）")
    d.add_argument("--max-kernels", type=int, default=20, metavar="N",
                   help="同时存在的内核上限（含预热，默认 %(default)s）；超过时返回中文提示页，不再启动内核")
    d.add_argument("--no-preheat", action="store_true", help="不预热内核（首屏较慢，空闲时不占内存）")
    d.add_argument("--cull-idle", type=int, default=900, metavar="秒", help="空闲多少秒的内核被回收（默认 %(default)s）")
    d.add_argument("--cull-interval", type=int, default=300, metavar="秒", help="检查空闲内核的间隔秒数（默认 %(default)s）")

    t = _sub(sub, "token", "生成个人访问令牌及其 sha256 (for parameters/access.yaml)",
             "打印一个新的个人访问令牌（交给该用户）及其 sha256（填入 parameters/access.yaml 的 token_sha256）。"
             "令牌本身不保存在任何地方。")
    t.add_argument("--user", default="user", help="用户 id，仅用于打印的提示")

    f = _sub(sub, "fonts", "生成 PDF 打印字体 (build the print fonts)",
             "把已安装的 Noto Sans CJK SC（fonts-noto-cjk，CFF 轮廓）转换为 TrueType 轮廓，供打印 PDF 的 Chromium "
             "嵌入字体：否则 Chromium 把每个汉字画成 Type 3 字形，PDF 大一倍，装订案卷时内存多用数百 MB。"
             "字形与字宽不变，版面不变。每个 Python 环境生成一次（make run、make test 会运行），约半分钟。")
    f.add_argument("--if-absent", action="store_true", help="已生成且与已安装字体一致时什么也不做（make 用）")
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
    if not args.overwrite and fmt != "sql" and Path(args.out).exists():
        print(f"目标已存在，未生成样本银行 (target_exists)：{args.out}；要替换请加 --overwrite，"
              "保留请加 --if-absent", file=sys.stderr)
        return 2
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
                     pdf=False if args.no_pdf else (True if args.pdf else "auto"),
                     compute_in_source=args.compute_in_source)
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


def cmd_serve(args) -> int:
    try:
        from postloan.dashboards.server import ServeError, ServeOptions, resolve_token, serve
    except ImportError as exc:
        print(f"仪表板需要安装 dashboards 附加组件 (missing_dashboards_extra)：.venv/bin/pip install -e '.[dashboards]'"
              f"（make 已安装）；{exc}", file=sys.stderr)
        return 2
    from postloan.paths import parameters_dir
    from postloan.policy import ParameterError
    outputs = Path(args.outputs).resolve()
    if not outputs.is_dir():
        print(f"输出目录不存在 (outputs_missing)：{outputs}", file=sys.stderr)
        return 2
    access = Path(args.access) if args.access else parameters_dir() / "access.yaml"
    access = access if (args.access or access.exists()) else None
    try:
        token, generated = (None, False) if access else resolve_token(args.token_file)
        options = ServeOptions(port=args.port, ip=args.ip, outputs=outputs, token=token, access_file=access,
                               preheat=not args.no_preheat, max_kernels=args.max_kernels,
                               cull_idle=args.cull_idle, cull_interval=args.cull_interval)
        if access:
            print(f"仪表板（按用户授权：{access}）：http://{args.ip}:{args.port}/voila/render/index.ipynb?token=<个人令牌>",
                  flush=True)
        else:
            shown = token if generated else "<令牌文件或 POSTLOAN_DASHBOARD_TOKEN 中的令牌>"
            print(f"仪表板：http://{args.ip}:{args.port}/voila/render/index.ipynb?token={shown}", flush=True)
        return serve(options)
    except (ServeError, ParameterError) as exc:
        print(f"无法启动仪表板 (serve_failed)：{exc}", file=sys.stderr)
        return 2


def cmd_token(args) -> int:
    import secrets
    from postloan.dashboards.access import token_hash
    token = secrets.token_urlsafe(24)
    print(f"令牌（交给用户 {args.user}，只显示这一次）：{token}")
    print(f"写入 parameters/access.yaml：  token_sha256: \"{token_hash(token)}\"")
    return 0


def cmd_fonts(args) -> int:
    from postloan.run import print_fonts
    conf, why = print_fonts.status()
    if conf is not None and args.if_absent:
        print(f"打印字体已生成：{conf.parent}")
        return 0
    try:
        print_fonts.build()
    except (RuntimeError, OSError) as exc:
        print(f"无法生成打印字体 (print_fonts_failed)：{exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return {"sample": cmd_sample, "validate": cmd_validate, "run": cmd_run, "serve": cmd_serve,
            "token": cmd_token, "fonts": cmd_fonts}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
