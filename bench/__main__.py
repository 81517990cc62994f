"""Runs the benchmark: builds a scale-N database, starts gunicorn with the production
configuration, drives each endpoint with wrk from a second process for a fixed time, prints a
table (requests/s, p50/p95 latency, ratio to the baseline measured in the same run) and writes it
as JSON under bench/results/.

    python -m bench [--scale 10] [--seconds 5] [--rounds 3] [--workers 2] [--connections 8]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATA = ROOT / "bench" / "data"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "FLASK_APP": "app",
        "DATABASE_URL": url,
        "VITRINA_ENV": "production",
        "SECRET_KEY": "bench-secret-not-for-real-use",
        "SESSION_COOKIE_SECURE": "0",  # plain HTTP on loopback
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
    }


def prepare_sqlite(scale: int) -> str:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"scale{scale}.db"
    url = f"sqlite:///{path}"
    env = {**env_for(url), "VITRINA_ENV": "development"}
    fresh = not path.exists()
    # Always upgrade: a database generated before a migration must not be measured stale.
    subprocess.run([BIN / "flask", "db", "upgrade"], env=env, check=True, capture_output=True)
    if fresh:
        out = subprocess.run(
            [BIN / "flask", "demo", "generate", "--scale", str(scale)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        print(out.stdout.strip(), file=sys.stderr)
    return url


def prepare_postgres(base_url: str, scale: int) -> str:
    import psycopg

    dbname = f"vitrina_bench_{scale}"
    admin = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    parts = urllib.parse.urlsplit(admin)
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{dbname}"))
    env = {**env_for(url), "VITRINA_ENV": "development"}
    subprocess.run([BIN / "flask", "db", "upgrade"], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [BIN / "flask", "demo", "generate", "--scale", str(scale)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    print(out.stdout.strip(), file=sys.stderr)
    # Freshly bulk-loaded tables would otherwise be vacuumed and analysed by autovacuum in the
    # middle of the measurements (and planned without statistics until then).
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url


class Server:
    def __init__(self, url: str, workers: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                BIN / "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "app:create_app()",
            ],
            env=env_for(url),
            cwd=ROOT,
            start_new_session=True,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.base}/healthz/live", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=20)


def session_cookie(base: str, email: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"email": email, "password": "vitrina-demo", "csrf_token": token}
    ).encode()
    opener.open(f"{base}/login", data=data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def fetch(base: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"{base}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wrk(base: str, path: str, headers: dict[str, str], seconds: int, connections: int) -> dict:
    args = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "-s",
        str(ROOT / "bench" / "report.lua"),
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, f"{base}{path}"], capture_output=True, text=True, check=True)
    line = [line for line in out.stdout.splitlines() if line.startswith("{")][-1]
    return json.loads(line)


def endpoints(base: str) -> list[tuple[str, str, dict[str, str], int]]:
    """(name, path, headers, expected status), checked once before being measured."""
    officer = session_cookie(base, "melipilla@example.com")
    coordinator = session_cookie(base, "coordinador@example.com")
    status, headers, _ = fetch(base, "/calendar/mall.ics", {})
    etag = headers.get("ETag", "")
    slot_id = review_slot(base, coordinator)
    rows = [
        ("baseline /healthz/live", "/healthz/live", {}, 200),
        ("/calendar/mall.ics (200)", "/calendar/mall.ics", {}, 200),
        ("/calendar/mall.ics (304)", "/calendar/mall.ics", {"If-None-Match": etag}, 304),
        ("public showcase /mall", "/mall", {}, 200),
        ("officer home /", "/", {"Cookie": officer}, 200),
        ("review queue (full week)", f"/review/slots/{slot_id}", {"Cookie": coordinator}, 200),
    ]
    return rows


def review_slot(base: str, cookie: str) -> int:
    """The fullest week: the generator gives every past week a complete roster."""
    status, _, body = fetch(base, "/rotation/", {"Cookie": cookie})
    ids = [int(i) for i in re.findall(r"/rotation/slots/(\d+)", body.decode())]
    return ids[len(ids) // 3] if ids else 1


def _median_run(runs: list[dict]) -> dict:
    """The measurement with the median ratio, with every round's ratio and rate kept beside it."""
    ordered = sorted(runs, key=lambda r: r["ratio"])
    middle = dict(ordered[(len(ordered) - 1) // 2])  # the lower one of an even count
    middle["ratio_each"] = [r["ratio"] for r in runs]
    middle["rps_each"] = [r["rps"] for r in runs]
    return middle


def run(url: str, label: str, args) -> dict:
    """Measures each endpoint between two measurements of the baseline, and does the whole
    sequence `rounds` times, reporting each endpoint's median round. The machine's speed drifts
    during a run (2 shared CPUs, a virtual machine): a ratio against the baseline measured right
    before and right after is steadier than one against the start of the run, and the median of
    several rounds steadier than any one of them."""
    server = Server(url, args.workers)
    try:
        rows = endpoints(server.base)
        bodies = {}
        for name, path, headers, expected in rows:
            status, _, body = fetch(server.base, path, headers)
            if status != expected:
                raise RuntimeError(f"{name}: expected {expected}, got {status}")
            bodies[name] = len(body)
            wrk(server.base, path, headers, 2, args.connections)  # warm-up
        _, base_path, base_headers, _ = rows[0]

        def baseline() -> dict:
            return wrk(server.base, base_path, base_headers, args.seconds, args.connections)

        baselines = []
        rounds: dict[str, list[dict]] = {name: [] for name, *_ in rows[1:]}
        for number in range(1, args.rounds + 1):
            baselines.append(baseline())
            for name, path, headers, _ in rows[1:]:
                measured = wrk(server.base, path, headers, args.seconds, args.connections)
                baselines.append(baseline())
                around = (baselines[-2]["rps"] + baselines[-1]["rps"]) / 2 or 1
                measured.update(name=name, path=path, bytes=bodies[name], baseline_rps=around)
                measured["ratio"] = measured["rps"] / around
                rounds[name].append(measured)
                print(
                    f"  {label}, round {number}: {name}: {measured['ratio'] * 100:.0f} %",
                    file=sys.stderr,
                )
    finally:
        server.stop()
    results = [_median_run(runs) for runs in rounds.values()]
    mean = sum(b["rps"] for b in baselines) / len(baselines)
    summary = {
        **baselines[0],
        "name": rows[0][0],
        "path": base_path,
        "bytes": bodies[rows[0][0]],
        "rps": mean,
        "rps_each": [b["rps"] for b in baselines],
        "ratio": 1.0,
    }
    for key in ("p50_ms", "p95_ms", "p99_ms"):
        summary[key] = sorted(b[key] for b in baselines)[len(baselines) // 2]  # the median run
    return {"database": label, "results": [summary, *results]}


def table(run_result: dict) -> str:
    each = run_result["results"][0]["rps_each"]
    lines = [
        f"Database: {run_result['database']} (baseline measured {len(each)} times, "
        f"{min(each):.0f}–{max(each):.0f} req/s; each ratio is the median round's, against the "
        "baseline measured right before and after the endpoint)",
        f"| {'endpoint':<30} | {'req/s':>8} | {'p50 ms':>7} | {'p95 ms':>7} "
        f"| {'vs baseline':>11} |",
        f"|{'-' * 32}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 13}|",
    ]
    for row in run_result["results"]:
        lines.append(
            f"| {row['name']:<30} | {row['rps']:>8.0f} | {row['p50_ms']:>7.2f} | "
            f"{row['p95_ms']:>7.2f} | {row['ratio'] * 100:>10.0f}% |"
        )
    return "\n".join(lines)


TARGETS = {  # issue 10: the ratio to the baseline each endpoint must reach
    "/calendar/mall.ics (200)": 0.25,
    "/calendar/mall.ics (304)": 0.80,
    "review queue (full week)": 0.30,
}


def readme_table(report: dict) -> str:
    """The README's table: every database of the run side by side, with the targets."""
    runs = report["runs"]
    head = "| endpoint |" + "".join(
        f" {r['database'].split(',')[0]} req/s | p50 / p95 ms | vs baseline |" for r in runs
    )
    lines = [
        f"Latest run ({report['when']}, scale {report['scale']}, gunicorn {report['workers']} "
        f"workers, wrk {report['connections']} connections, {report.get('rounds', 1)} rounds "
        f"of {report['seconds_per_endpoint']} s per endpoint, {report['cpus']} CPUs shared by "
        "server and load generator. Each ratio is the median round's, against the baseline "
        "measured right before and right after the endpoint, with the range over the rounds in "
        "brackets; the baseline row shows the mean of its measurements):",
        "",
        head + " target |",
        "|---|" + "---:|---:|---:|" * len(runs) + "---:|",
    ]
    for i, row in enumerate(runs[0]["results"]):
        cells = ""
        for r in runs:
            m = r["results"][i]
            spread = ""
            if len(m.get("ratio_each", ())) > 1:
                each = m["ratio_each"]
                spread = f" ({min(each) * 100:.0f}–{max(each) * 100:.0f})"
            cells += (
                f" {m['rps']:.0f} | {m['p50_ms']:.1f} / {m['p95_ms']:.1f} | "
                f"{m['ratio'] * 100:.0f} %{spread} |"
            )
        target = TARGETS.get(row["name"])
        lines.append(f"| {row['name']} |{cells} {f'≥ {target * 100:.0f} %' if target else ''} |")
    return "\n".join(lines)


def update_readme(report: dict) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        readme.write_text(f"{before}{start}\n{readme_table(report)}\n{end}{after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=5, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian package 'wrk'); `make bench` installs it")
    runs = [run(prepare_sqlite(args.scale), f"SQLite, scale {args.scale}", args)]
    if pg := os.environ.get("VITRINA_BENCH_POSTGRES_URL"):
        runs.append(run(prepare_postgres(pg, args.scale), f"PostgreSQL, scale {args.scale}", args))
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "seconds_per_endpoint": args.seconds,
        "rounds": args.rounds,
        "workers": args.workers,
        "connections": args.connections,
        "cpus": os.cpu_count(),
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    update_readme(report)
    print("\n\n".join(table(r) for r in runs))


if __name__ == "__main__":
    main()
