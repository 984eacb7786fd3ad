#!/usr/bin/env bash
# An interrupted run resumed from its last checkpoint ends exactly where an uninterrupted run ends: the
# same final weights (byte for byte) and the same metrics. The interruption is --crash-after-steps, which
# ends the process with _Exit(137) mid-epoch, between checkpoints — what kill -9 does, at a known step.
set -u
nabla=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train --model mlp --epochs 2 --limit-train 600 --batch-size 50 --checkpoint-every 5 --seed 3 --no-progress)

"$nabla" "${common[@]}" --out "$work/straight" > "$work/straight.log" 2>&1 || { cat "$work/straight.log"; exit 1; }
"$nabla" "${common[@]}" --out "$work/resumed" --crash-after-steps 17 > "$work/crash.log" 2>&1
status=$?
if [ $status -ne 137 ]; then echo "FAIL: the crashing run exited $status, expected 137"; cat "$work/crash.log"; exit 1; fi
if [ -e "$work/resumed/model.safetensors" ]; then echo "FAIL: the crashed run wrote final weights"; exit 1; fi
"$nabla" "${common[@]}" --out "$work/resumed" --resume > "$work/resume.log" 2>&1 || { cat "$work/resume.log"; exit 1; }
grep -q "resuming at step 15" "$work/resume.log" || { echo "FAIL: did not resume from step 15"; cat "$work/resume.log"; exit 1; }

failures=0
if ! cmp -s "$work/straight/model.safetensors" "$work/resumed/model.safetensors"; then
  echo "FAIL: final weights differ"; failures=$((failures + 1))
fi
for key in test_accuracy test_loss train_accuracy train_loss epochs; do
  a=$(grep "\"$key\"" "$work/straight/metrics.json"); b=$(grep "\"$key\"" "$work/resumed/metrics.json")
  if [ "$a" != "$b" ]; then echo "FAIL: $key differs: $a vs $b"; failures=$((failures + 1)); fi
done
# Starting over into a directory that holds a run is refused rather than silently overwritten.
if "$nabla" "${common[@]}" --out "$work/straight" > "$work/again.log" 2>&1; then
  echo "FAIL: training into an existing run was not refused"; failures=$((failures + 1))
fi
if [ $failures -eq 0 ]; then echo "7 passed, 0 failed"; else echo "$((7 - failures)) passed, $failures failed"; exit 1; fi
