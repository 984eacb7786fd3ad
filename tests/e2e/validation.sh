#!/usr/bin/env bash
# `nabla train` keeps the lab's protocol (Q34/Q35): each epoch is validated on images held out of the
# training set (stratified, fixed by the seed), and the test set is measured once, at the end. metrics.json
# and log.csv record both; --validation-split takes a count, a fraction, or 0 (then --patience is refused).
set -u
nabla=$1
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
common=(train --model mlp --limit-train 600 --batch-size 50 --seed 3 --no-progress)

"$nabla" "${common[@]}" --epochs 3 --validation-split 500 --out "$work/count" > "$work/count.log" 2>&1 ||
  { cat "$work/count.log"; exit 1; }
grep -q "^mlp on Fashion-MNIST: 600 training, 500 validation and 10000 test images" "$work/count.log" && pass ||
  fail "the run did not announce 600 training, 500 validation and 10000 test images: $(head -n 1 "$work/count.log")"
grep -q "on 10000 test images, measured once with the final weights (epoch 3" "$work/count.log" && pass ||
  fail "no single test measurement on the final weights: $(tail -n 2 "$work/count.log")"
metrics="$work/count/metrics.json"
# metrics.json: the test block counts 10000 images, the validation block 500, with one entry per epoch
# plus the best epoch's.
sed -n '/"test": {/,/}/p' "$metrics" | grep -q '"examples": 10000' && pass || fail "metrics.json: no test examples 10000"
sed -n '/"validation": {/,$p' "$metrics" | grep -q '"examples": 500' && pass || fail "metrics.json: no validation examples 500"
[ "$(grep -c '"epoch":' "$metrics")" -eq 4 ] && pass || fail "metrics.json: expected 3 epochs and the best one"
# log.csv: train and validation figures per epoch, all of them numbers.
header=$(head -n 1 "$work/count/log.csv")
[[ $header == epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,* ]] && pass || fail "log.csv header: $header"
[ "$(tail -n +2 "$work/count/log.csv" | wc -l)" -eq 3 ] && pass || fail "log.csv: expected 3 epochs"
if tail -n +2 "$work/count/log.csv" | cut -d, -f4,5 | grep -qi nan; then fail "log.csv: a validation figure is nan"; else pass; fi
[ -e "$work/count/best.safetensors" ] && pass || fail "no best.safetensors"

# A fraction below 1 is a share of the 60000 training images.
"$nabla" "${common[@]}" --epochs 1 --validation-split 0.1 --out "$work/fraction" > "$work/fraction.log" 2>&1 &&
  grep -q "600 training, 6000 validation" "$work/fraction.log" && pass ||
  fail "--validation-split 0.1 did not hold out 6000 images: $(head -n 1 "$work/fraction.log")"

# 0: no validation; said so, and recorded as such.
"$nabla" "${common[@]}" --epochs 1 --validation-split 0 --out "$work/none" > "$work/none.log" 2>&1 &&
  grep -q "no validation images" "$work/none.log" && grep -q '"validation": null' "$work/none/metrics.json" && pass ||
  fail "--validation-split 0 did not run without validation"

# Bad values: early stopping without validation, a fractional count, a split that leaves nothing to train on.
check patience_without_validation 2 "patience.*validation" -- "${common[@]}" --validation-split 0 --patience 2 --out "$work/p"
check fractional_count 2 "validation-split" -- "${common[@]}" --validation-split 1.5 --out "$work/f"
check negative_split 2 "validation-split" -- "${common[@]}" --validation-split -3 --out "$work/n"
check everything_held_out 1 "hold out 1 to 59999" -- "${common[@]}" --validation-split 60000 --out "$work/e"

finish
