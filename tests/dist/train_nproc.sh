#!/usr/bin/env bash
# `nabla train --nproc 2` against one process, and --resume across world sizes (MLP on 400 Fashion-MNIST images,
# global batch 40, 2 epochs of 10 steps, SGD with momentum):
#   1. 2 processes (launched by nabla through mpirun) end with the 1-process run's weights, within 1e-5 relative
#      (the gradients are averaged in another order); test metrics on all 10000 test images;
#   2. --batch-size that 3 processes cannot split is refused in one line naming both numbers, and --nproc
#      without mpirun on PATH in one line saying what to install;
#   3. a run started by mpirun directly and killed at step 7 (checkpoint at 5) resumes in 2 processes to the
#      uninterrupted 2-process weights byte for byte, and in 1 process to them within 1e-5 relative;
#   4. `nabla eval` loads the 2-process run's model.safetensors as a 1-process run's.
# Usage: train_nproc.sh NABLA MPIEXEC COMPARE_WORKER (dist_fault_worker, for its `compare`)
set -u
nabla=$1
mpiexec=$2
worker=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
common=(train --model mlp --epochs 2 --limit-train 400 --validation-split 200 --batch-size 40 --optimizer sgd
        --lr 0.05 --momentum 0.9 --checkpoint-every 5 --seed 3 --no-progress)

"$nabla" "${common[@]}" --out "$work/one" > "$work/one.log" 2>&1 || { cat "$work/one.log"; echo "FAIL: 1 process"; exit 1; }
"$nabla" "${common[@]}" --nproc 2 --out "$work/two" > "$work/two.log" 2>&1 || { cat "$work/two.log"; echo "FAIL: --nproc 2"; exit 1; }
cat "$work/two.log"
grep -q "data-parallel in 2 processes: global batch 40, 20 per process" "$work/two.log" || fail "no data-parallel line"
[ "$(grep -c "^mlp on Fashion-MNIST" "$work/two.log")" = 1 ] || fail "not rank 0 alone printed the run's header"
"$worker" compare "$work/two/model.safetensors" "$work/one/model.safetensors" 1e-5 || fail "2 processes differ from 1"
grep -q '"examples": 10000' "$work/two/metrics.json" || fail "the test set was not measured once over all 10000 images"
grep -q '"examples": 200' "$work/two/metrics.json" || fail "validation did not count its 200 images"
accuracy() { tr -d ' \n' < "$1" | grep -o '"test":{[^}]*}' | grep -o '"accuracy":[0-9.e-]*'; }
[ "$(accuracy "$work/one/metrics.json")" = "$(accuracy "$work/two/metrics.json")" ] || fail "test accuracy differs"

if "$nabla" "${common[@]}" --nproc 3 --out "$work/three" > "$work/three.log" 2>&1; then fail "--nproc 3 with batch 40 ran"; fi
grep -q "global batch --batch-size 40 does not split equally over 3 processes" "$work/three.log" ||
  { cat "$work/three.log"; fail "the refusal does not name 40 and 3"; }
[ "$(wc -l < "$work/three.log")" = 1 ] || { cat "$work/three.log"; fail "the refusal is not one line"; }

# Without mpirun on PATH: one line that says what to install.
if PATH=/nonexistent "$nabla" "${common[@]}" --nproc 2 --out "$work/nompi" > "$work/nompi.log" 2>&1; then fail "ran without mpirun"; fi
grep -q "neither mpirun nor mpiexec is on PATH; install OpenMPI" "$work/nompi.log" && [ "$(wc -l < "$work/nompi.log")" = 1 ] ||
  { cat "$work/nompi.log"; fail "no one-line message without mpirun"; }

NABLA_NUM_THREADS=1 "$mpiexec" -n 2 "$nabla" "${common[@]}" --out "$work/crashed" --crash-after-steps 7 > "$work/crash.log" 2>&1
[ $? -ne 0 ] || fail "the crashing run exited 0"
[ -f "$work/crashed/checkpoint.json" ] || fail "no checkpoint before the crash"
cp -r "$work/crashed" "$work/crashed_one"
"$nabla" train --out "$work/crashed" --resume --nproc 2 --no-progress > "$work/resume2.log" 2>&1 || { cat "$work/resume2.log"; fail "resume in 2"; }
grep -q "resuming at step 5" "$work/resume2.log" || fail "the 2-process resume did not start at step 5"
cmp -s "$work/crashed/model.safetensors" "$work/two/model.safetensors" || fail "resumed in 2: weights differ from the uninterrupted run's"
"$nabla" train --out "$work/crashed_one" --resume --no-progress > "$work/resume1.log" 2>&1 || { cat "$work/resume1.log"; fail "resume in 1"; }
grep -q "resuming at step 5" "$work/resume1.log" || fail "the 1-process resume did not start at step 5"
"$worker" compare "$work/crashed_one/model.safetensors" "$work/two/model.safetensors" 1e-5 || fail "resumed in 1: weights differ"

"$nabla" eval --checkpoint "$work/two" > "$work/eval.log" 2>&1 || { cat "$work/eval.log"; fail "eval of the 2-process run"; }
if [ $failures -eq 0 ]; then echo "train --nproc test passed"; else echo "$failures failed"; exit 1; fi
