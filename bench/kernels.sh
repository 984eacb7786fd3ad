#!/usr/bin/env bash
# Runs the kernel benchmarks on 2 threads (5 repetitions, interleaved in random order) and prints the
# acceptance ratios as a markdown table, all measured in this one run:
#   matmul/sgemm   nabla::matmul against a direct dnnl_sgemm call, per shape     (target ≥ 0.95)
#   matmul/peak    nabla::matmul against the FP32 FMA peak (bench_peak)          (target ≥ 0.80 at 1024³, 2048³, 128×784×256)
#   add/memcpy     nabla::add's bandwidth against a 2-thread memcpy's            (target ≥ 0.70)
#   conv           each BM_Conv…/nabla against its …/onednn twin, as speed (1/time)
# Each ratio is given twice: of the medians (the verdict) and of the best repetitions, which a busy machine
# disturbs much less.
#
# usage: bench/kernels.sh [path/to/bench_kernels] [extra Google Benchmark flags, e.g. --benchmark_filter=Matmul]
#   THREADS=n overrides the thread count, REPETITIONS=n the repetitions; KEEP_JSON=file keeps the raw results;
#   ROWS_JSON=file also writes the table's rows as a JSON list (bench/run reads it).
#   CLOCK=cpu takes the conv ratios from CPU time instead of wall time: with THREADS=1 it barely moves when
#   other work shares the cores (wall time does); with more threads it would count OpenMP's spin-waiting.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="${1:-$here/../build/bench/bench_kernels}"
shift $(( $# > 0 ? 1 : 0 ))
[[ -x "$binary" ]] || { echo "kernels.sh: no benchmark binary at $binary (build the bench_kernels target first)" >&2; exit 1; }

threads="${THREADS:-2}"
export OMP_NUM_THREADS="$threads" NABLA_NUM_THREADS="$threads"
json="${KEEP_JSON:-$(mktemp --suffix=.json)}"
[[ -n "${KEEP_JSON:-}" ]] || trap 'rm -f "$json"' EXIT

# Other work on the machine moves these numbers by far more than the targets' margins: say so up front.
# (Share of CPU time not idle over one second, from /proc/stat; Linux only.)
busy_percent() {
  local -a before after
  read -r -a before < <(head -1 /proc/stat); sleep 1; read -r -a after < <(head -1 /proc/stat)
  local total=0 idle=$(( after[4] - before[4] + after[5] - before[5] ))
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + after[i] - before[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
if [[ -r /proc/stat ]]; then
  busy="$(busy_percent)"
  (( busy < 10 )) || echo "kernels.sh: warning: the machine was ${busy}% busy before the run; ratios will be noisy" >&2
fi

# The console table goes to stderr so that stdout holds only the markdown.
"$binary" --benchmark_repetitions="${REPETITIONS:-5}" --benchmark_enable_random_interleaving=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@" >&2

python3 - "$json" "$threads" "${ROWS_JSON:-}" "${CLOCK:-wall}" <<'PYTHON'
import json, re, sys
from collections import defaultdict
from statistics import median

path, threads, rows_path, clock = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = []  # what ROWS_JSON receives: one object per printed ratio
time_key = "cpu_time" if clock == "cpu" else "real_time"
with open(path) as handle:
    report = json.load(handle)

# Every repetition by benchmark name, with Google Benchmark's "/real_time"-style suffixes removed.
runs = defaultdict(list)
for run in report["benchmarks"]:
    if run.get("run_type") == "iteration":
        runs[re.sub(r"(/(real_time|manual_time|process_time|threads:\d+))+$", "", run["run_name"])].append(run)

def values(name, key):
    """One value per repetition, higher is better: a rate counter, or 1/time for key None."""
    return [1.0 / run[time_key] if key is None else float(run[key]) for run in runs.get(name, []) if key is None or key in run]

def row(label, nabla, reference, unit="", scale=1.0, target=None, shown=None):
    """Medians of each side, their ratio, and the ratio of the best repetitions (robust to a busy machine)."""
    if not nabla or not reference:
        print(f"| {label} | missing | | | | | |")
        return
    middle, best = median(nabla) / median(reference), max(nabla) / max(reference)
    met = "" if target is None else ("yes" if middle >= target else "**no**")
    rows.append({"name": label, "unit": unit or "1/time", "nabla": median(nabla) * scale,
                 "peer": median(reference) * scale, "ratio": middle, "ratio_of_bests": best, "target": target})
    shown = shown or (lambda side: f"{median(side) * scale:.1f} {unit}")
    print(f"| {label} | {shown(nabla)} | {shown(reference)} | {middle:.2f} | {best:.2f} | "
          f"{'' if target is None else f'≥ {target:.2f}'} | {met} |")

context = report.get("context", {})
repetitions = max((len(group) for group in runs.values()), default=0)
print(f"kernel ratios, {threads} threads, {repetitions} interleaved repetitions, conv on {clock} time "
      f"({context.get('date', '?')}, {context.get('num_cpus', '?')} CPUs at {context.get('mhz_per_cpu', '?')} MHz)")
print()
print("| ratio | nabla (median) | reference (median) | ratio of medians | ratio of bests | target | met |")
print("|---|---|---|---|---|---|---|")

peak = values("BM_Peak/fma", "GFLOP/s")
if peak:
    isa = runs["BM_Peak/fma"][0].get("label", "")
    print(f"| FP32 FMA peak ({isa}), GFLOP/s | | {median(peak):.1f} (best {max(peak):.1f}) | | | | |")
    rows.append({"name": f"FP32 FMA peak ({isa})", "unit": "GFLOP/s", "nabla": None, "peer": median(peak),
                 "ratio": None})

shapes = sorted({name.split("/")[1] for name in runs if name.startswith("BM_Matmul/")},
                key=lambda shape: [int(part) for part in re.findall(r"\d+", shape)])
for shape in shapes:
    nabla = values(f"BM_Matmul/{shape}/nabla", "GFLOP/s")
    row(f"matmul/sgemm {shape}", nabla, values(f"BM_Matmul/{shape}/sgemm", "GFLOP/s"), "GFLOP/s", target=0.95)
    if not shape.endswith("_At"):
        row(f"matmul/peak {shape}", nabla, peak, "GFLOP/s", target=0.80)

if "BM_Memory/add" in runs or "BM_Memory/memcpy" in runs:
    row("add/memcpy bandwidth", values("BM_Memory/add", "bytes_per_second"),
        values("BM_Memory/memcpy", "bytes_per_second"), "GB/s", 1e-9, target=0.70)

# Convolutions: BM_Conv…/nabla against the same name ending in /onednn, as speed (1/time) ratios.
for name in sorted(runs):
    if name.startswith("BM_Conv") and name.endswith("/nabla"):
        twin = name[: -len("/nabla")] + "/onednn"
        if twin in runs:
            unit = runs[name][0].get("time_unit", "")
            as_time = lambda speeds: f"{1.0 / median(speeds):.3g} {unit}"
            row(f"{name[len('BM_'): -len('/nabla')]} nabla/onednn speed", values(name, None), values(twin, None),
                unit=f"1/{unit}", shown=as_time)

if rows_path:
    with open(rows_path, "w") as handle:
        json.dump(rows, handle, indent=1)
PYTHON
