#!/usr/bin/env bash
# The fault test of data-parallel training, in 2 ranks under mpirun:
#   1. a rank killed mid-step ends the job: mpirun exits non-zero within 30 s, naming the rank;
#   2. a rank that never joins a collective makes its partner fail with a message naming the op and rank;
#   3. resuming the killed run from its last checkpoint gives the uninterrupted run's weights (bit for bit in
#      2 ranks; within 1e-6 relative when resumed in 1 rank, another world size that divides the batch).
# Usage: fault.sh MPIEXEC FAULT_WORKER
set -uo pipefail
mpiexec=$1
worker=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$mpiexec" -n 2 "$worker" train "$work/whole" 40 > "$work/whole.log" 2>&1 || { cat "$work/whole.log"; fail "the uninterrupted run failed"; }

# 1. rank 1 dies in step 25 (after the checkpoint of step 20)
mkdir -p "$work/killed"
timeout 30 "$mpiexec" -n 2 "$worker" train "$work/killed" 40 1 25 > "$work/killed.log" 2>&1
status=$?
cat "$work/killed.log"
[ "$status" -ne 124 ] || fail "the job did not end within 30 s after rank 1 died"
[ "$status" -ne 0 ] || fail "the job exited 0 although rank 1 died"
grep -q "rank 1" "$work/killed.log" || fail "no message names rank 1"
[ -f "$work/killed/checkpoint.safetensors" ] || fail "no checkpoint was written before the kill"
[ ! -f "$work/killed/final.safetensors" ] || fail "the killed run wrote final weights"

# 2. a rank that hangs: its partner times out
NABLA_DIST_TIMEOUT=3 timeout 30 "$mpiexec" -n 2 "$worker" hang > "$work/hang.log" 2>&1
status=$?
cat "$work/hang.log"
[ "$status" -ne 124 ] || fail "the hang was not detected within 30 s"
[ "$status" -ne 0 ] || fail "the job exited 0 although rank 1 never joined the all-reduce"
grep -q "rank 0 of 2: all_reduce #1 (float32\[10\], sum) did not finish within 3 s" "$work/hang.log" || fail "the timeout message does not name the rank and the op"

# 3. resume: in 2 ranks (equal bit for bit) and in 1 rank (equal within 1e-6 relative)
cp -r "$work/killed" "$work/killed_one"
"$mpiexec" -n 2 "$worker" train "$work/killed" 40 > "$work/resume.log" 2>&1 || { cat "$work/resume.log"; fail "the resumed run failed"; }
grep -q "resuming at step 20 in a world of 2" "$work/resume.log" || { cat "$work/resume.log"; fail "did not resume at step 20"; }
cmp "$work/whole/final.safetensors" "$work/killed/final.safetensors" || fail "resumed weights differ from the uninterrupted run's"
"$mpiexec" -n 1 "$worker" train "$work/killed_one" 40 > "$work/resume_one.log" 2>&1 || { cat "$work/resume_one.log"; fail "the resumed run in 1 rank failed"; }
grep -q "resuming at step 20 in a world of 1" "$work/resume_one.log" || fail "did not resume at step 20 in 1 rank"
"$worker" compare "$work/killed_one/final.safetensors" "$work/whole/final.safetensors" 1e-6 || fail "resumed in 1 rank: weights differ"
echo "fault test passed"
