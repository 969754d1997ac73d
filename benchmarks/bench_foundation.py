"""Benchmark of the foundation: sample generation per size, and load-and-validate of
`medium` from each carrier. Prints its figures; each measurement runs in a fresh
child process so that peak memory (max RSS) is that step's own.

    python benchmarks/bench_foundation.py [--sizes small,medium,large] [--no-servers]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG = os.environ.get("POSTLOAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB = os.environ.get("POSTLOAN_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def child(code: str) -> tuple[float, float, str]:
    """Run code in a fresh interpreter; return (wall seconds, peak RSS MiB, stdout)."""
    code += "\nimport resource as _r; print(_r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    *lines, peak_kib = out.stdout.strip().splitlines()
    return wall, int(peak_kib) / 1024, "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="small,medium,large")
    ap.add_argument("--no-servers", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="postloan-bench-"))
    print(f"# postloan foundation benchmark ({os.cpu_count()} cores)\n")
    print("## sample generation (in memory, then DuckDB)")
    print(f"{'size':<8}{'loans':>10}{'loan-months':>14}{'generate s':>12}{'peak MiB':>10}{'+write s':>10}")
    for size in args.sizes.split(","):
        code = (f"import time; from postloan.sample.generate import generate_sample_bank as g; "
                f"from postloan.sample.writers import write_duckdb as w; t=time.perf_counter(); "
                f"b=g('{size}', 42); t1=time.perf_counter(); w(b, r'{work}/{size}.duckdb'); "
                f"print(len(b['loans']), len(b['loan_month']), round(t1-t, 1), round(time.perf_counter()-t1, 1))")
        wall, peak, out = child(code)
        loans, rows, gen, write = out.splitlines()[-1].split()
        print(f"{size:<8}{int(loans):>10,}{int(rows):>14,}{float(gen):>12.1f}{peak:>10.0f}{float(write):>10.1f}")
    if "medium" not in args.sizes:
        return
    print("\n## load and validate `medium` from each carrier")
    prep = (f"from data_connectors import load_extract; from postloan.sample import writers as w; "
            f"e = load_extract(r'{work}/medium.duckdb'); t = dict(e.tables); ")
    carriers = {"duckdb": f"{work}/medium.duckdb", "csv utf-8": f"{work}/csv_utf8",
                "csv gb18030": f"{work}/csv_gb", "excel": f"{work}/medium.xlsx"}
    child(prep + f"w.write_csv(t, r'{work}/csv_utf8'); w.write_csv(t, r'{work}/csv_gb', encoding='gb18030'); "
          f"w.write_xlsx(t, r'{work}/medium.xlsx')")
    if not args.no_servers:
        for name, url in (("postgresql", PG), ("mariadb", MARIADB)):
            try:
                child(prep + f"w.write_sql(t, r'{url}', table_prefix='bench_', overwrite=True)")
                carriers[name] = url
            except SystemExit as exc:
                print(f"  ({name} skipped: {str(exc).splitlines()[-1] if str(exc) else 'no server'})")
    print(f"{'carrier':<14}{'seconds':>10}{'peak MiB':>10}")
    for name, src in carriers.items():
        opt = ", table_prefix='bench_'" if "://" in src else ""
        wall, peak, _ = child(f"from data_connectors import load_extract; load_extract(r'{src}'{opt})")
        print(f"{name:<14}{wall:>10.1f}{peak:>10.0f}")


if __name__ == "__main__":
    main()
