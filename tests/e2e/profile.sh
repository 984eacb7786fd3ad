#!/usr/bin/env bash
# The profiler's report: `nabla train --profile` (and `nabla --profile train`, NABLA_PROFILE=1) prints one
# row per op that ran, the run's optimizer steps, and shares of the profiled time that add up to 100 %
# (kernels plus the "outside kernels" row: no kernel is counted twice). Without it, nothing is printed.
# Rows of ops that ran on a reference kernel are marked `*` (with a legend line) and count those calls.
set -u
nabla=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
expect() {  # expect NAME CONDITION-STATUS DETAIL
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else echo "FAIL: $1: $3"; failed=$((failed + 1)); fi
}
# 512 images at batch 128: 4 optimizer steps.
train=(train --model mlp --limit-train 512 --batch-size 128 --epochs 1 --scheduler none --no-progress)

after=$("$nabla" "${train[@]}" --profile --out "$work/after" 2>&1)
expect status_after $? "$(tail -n 3 <<<"$after")"
grep -q "4 optimizer steps" <<<"$after"; expect step_count $? "$(grep "nabla profile" <<<"$after")"
grep -qE "^matmul +[0-9]+ +0 " <<<"$after"; expect matmul_row_fast $? "no matmul row with 0 reference calls: $(grep -E '^matmul' <<<"$after")"
grep -qE "^\(outside kernels\) " <<<"$after"; expect outside_row $? "no '(outside kernels)' row"
# The share column (the last one) of every row after the header line, summed.
total=$(awk '/^op +calls/ {table = 1; next} table && /%$/ {sub(/%$/, "", $NF); sum += $NF} END {print sum + 0}' <<<"$after")
awk -v total="$total" 'BEGIN {exit !(total > 98.5 && total < 101.5)}'; expect shares_add_up $? "shares add up to $total %"

before=$("$nabla" --profile "${train[@]}" --out "$work/before" 2>&1)
grep -q "4 optimizer steps" <<<"$before"; expect global_flag $? "$(tail -n 3 <<<"$before")"
environment=$(NABLA_PROFILE=1 "$nabla" "${train[@]}" --out "$work/environment" 2>&1)
grep -q "4 optimizer steps" <<<"$environment"; expect environment_variable $? "$(tail -n 3 <<<"$environment")"
# Q15 checks gradients in float64, which the fast kernels do not cover: its sigmoid runs on the reference
# kernel, every call of it, and the row says so.
lab=$("$nabla" --profile lab run Q15 --quick --out "$work/lab" 2>&1)
expect lab_status $? "$(tail -n 3 <<<"$lab")"
grep -q "^\* = some calls ran on the reference kernel" <<<"$lab"; expect reference_legend $? "no legend line for '*'"
sigmoid=$(grep -E "^sigmoid\*? " <<<"$lab")
awk '$1 == "sigmoid*" && $2 > 0 && $3 == $2 {found = 1} END {exit !found}' <<<"$sigmoid"
expect sigmoid_marked_reference $? "sigmoid's row: '$sigmoid'"
! grep -qE "^matmul\* " <<<"$after"; expect fast_rows_unmarked $? "matmul marked as reference in the mlp run"

quiet=$(NABLA_PROFILE=0 "$nabla" "${train[@]}" --out "$work/quiet" 2>&1)
! grep -q "nabla profile" <<<"$quiet"; expect off_by_default $? "printed a profile unasked"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
