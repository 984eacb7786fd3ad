#!/usr/bin/env bash
# `nabla summary lenet`: the model's own input (batch 1), a row per layer, a per-op FLOP table whose shares
# add up to 100 %, and a FLOP total equal to the count derived here by hand from LeNet-5's architecture:
# a multiply-add is two FLOPs, a bias add, a ReLU and each element a max-pool window reads are one.
set -u
nabla=$1
passed=0 failed=0
expect() {  # expect NAME CONDITION-STATUS DETAIL
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else echo "FAIL: $1: $3"; failed=$((failed + 1)); fi
}
# conv IN OUT KERNEL OUTPUT_SIZE: every output element sums IN·KERNEL² products, then adds its bias.
conv() { echo $((2 * $2 * $4 * $4 * $1 * $3 * $3 + $2 * $4 * $4)); }
linear() { echo $((2 * $1 * $2 + $2)); }  # IN OUT
# LeNet-5 on [1, 1, 28, 28]: conv 1→6 5×5 pad 2 [6, 28, 28], ReLU, pool 2 [6, 14, 14], conv 6→16 5×5 [16, 10, 10],
# ReLU, pool 2 [16, 5, 5], flatten, 400→120, ReLU, 120→84, ReLU, 84→10.
convolutions=$(($(conv 1 6 5 28) + $(conv 6 16 5 10)))
relus=$((6 * 28 * 28 + 16 * 10 * 10 + 120 + 84))
pools=$((6 * 14 * 14 * 4 + 16 * 5 * 5 * 4))
linears=$(($(linear 400 120) + $(linear 120 84) + $(linear 84 10)))
expected=$((convolutions + relus + pools + linears))
number() { tr -d ','; }
with_commas() {  # 715504 → 715,504, as the tables print counts
  awk -v n="$1" 'BEGIN {s = n ""; out = ""; while (length(s) > 3) {out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3)} print s out}'
}

out=$("$nabla" summary lenet 2>&1)
expect status $? "$out"
grep -q "^lenet for input \[1, 1, 28, 28\] (fashion-mnist)" <<<"$out"; expect input_shape $? "$(head -n 1 <<<"$out")"
total=$(sed -n 's/^total: .*, \([0-9,]*\) FLOPs per forward pass$/\1/p' <<<"$out" | number)
[ "${total:-0}" -eq "$expected" ]; expect total_is_hand_count $? "total ${total:-none}, by hand $expected"
# The layer rows (last column: FLOPs) add up to the total; there are 12 of them (Sequential's leaves).
layers=$(awk '/^layer +module/ {table = 1; next} table && /^$/ {exit} table {gsub(",", "", $NF); sum += $NF; n++} END {print n + 0, sum + 0}' <<<"$out")
[ "$layers" = "12 $expected" ]; expect layer_rows $? "layers and their FLOP sum: $layers (expected 12 $expected)"
# The op table: conv2d ran twice and holds the convolutions' FLOPs; shares add up to 100 %.
grep -qE "^conv2d +2 +$(with_commas "$convolutions") " <<<"$out"
expect conv2d_row $? "$(grep -E '^conv2d' <<<"$out")"
shares=$(awk '/^op +calls/ {table = 1; next} table && /^$/ {exit} table {sub(/%$/, "", $NF); sum += $NF} END {print sum + 0}' <<<"$out")
awk -v total="$shares" 'BEGIN {exit !(total > 99.5 && total < 100.5)}'; expect shares_add_up $? "shares add up to $shares %"
op_flops=$(awk '/^op +calls/ {table = 1; next} table && /^$/ {exit} table {gsub(",", "", $(NF - 1)); sum += $(NF - 1)} END {print sum + 0}' <<<"$out")
[ "$op_flops" -eq "$expected" ]; expect op_rows $? "op rows add up to $op_flops, by hand $expected"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
