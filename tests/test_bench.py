"""The benchmark scripts still run: bench/rules_bench.py with tiny sizes prints each of its
figures with a number. Only that it runs and reports is checked; the speeds themselves are
measured by running the script, never asserted here."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMBER = r"[\d,.]+"


def _mtime(path):
    return os.stat(path).st_mtime_ns if os.path.exists(path) else None


def test_rules_bench_prints_its_figures():
    # The bench keeps its task queue in a temporary instance, not in the repository's.
    queue = os.path.join(ROOT, "platform", "instance", "huey.db")
    before = _mtime(queue)
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "rules_bench.py"), "--events", "200",
         "--path-events", "20", "--samples", "2", "--count-records", "40",
         "--count-groups", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for pattern in (
            rf"^durable_rules alone: +{NUMBER} events/s \(200 events\)$",
            rf"^our matcher \(engine.match\): +{NUMBER} events/s +ratio {NUMBER}$",
            rf"^whole rule path .*: {NUMBER} events/s +ratio to durable_rules alone {NUMBER}$",
            rf"^record arrival -> inbox alert .*: median {NUMBER} ms, p95 {NUMBER} ms, "
            rf"max {NUMBER} ms over 2 records$",
            # 40 communications on 4 opportunities: each reaches ten once.
            rf"^count rule by field \(seed rule 2: 40 communications on 4 opportunities, "
            rf"worker\): {NUMBER} events/s, 4 firings$"):
        assert re.search(pattern, out, re.M), (pattern, out)
    assert _mtime(queue) == before
