#!/usr/bin/env bash
# `nabla train` with the CNN zoo's recipe options: warm-up, label smoothing, Nesterov momentum, augmentation
# and --model-option run and are recorded; augmentation and smoothing touch only training (the one test
# measurement equals what `nabla eval` measures on the saved weights); bad values are refused in one line
# with a non-zero exit, before anything is written.
set -u
nabla=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }

# LeNet with the whole recipe machinery on, for one short epoch.
run=(train --model lenet --epochs 1 --limit-train 512 --validation-split 256 --batch-size 64 --no-progress --seed 2
     --warmup-epochs 1 --label-smoothing 0.1 --random-erasing 0.5 --random-crop-padding 2 --horizontal-flip 0.5
     --optimizer sgd --momentum 0.9 --nesterov)
if "$nabla" "${run[@]}" --out "$work/lenet" > "$work/lenet.log" 2>&1; then pass; else fail "the recipe run failed: $(tail -n 3 "$work/lenet.log")"; fi
recorded=$(tr -d ' \n' < "$work/lenet/config.json" 2>/dev/null)
missing=""
for field in '"warmup_epochs":1' '"label_smoothing":0.1' '"random_erasing":0.5' '"random_crop_padding":2' \
             '"horizontal_flip":0.5' '"nesterov":true' '"model_options":{}'; do
  grep -qF "$field" <<<"$recorded" || missing="$missing $field"
done
[ -z "$missing" ] && pass || fail "config.json lacks$missing: $recorded"
# Test images are neither augmented nor measured with smoothing: train's one test measurement is eval's.
train_line=$(grep -o "test accuracy [0-9.]*%, test loss [0-9.]*" "$work/lenet.log")
eval_line=$("$nabla" eval --checkpoint "$work/lenet" 2>&1 | grep -o "accuracy [0-9.]*%, loss [0-9.]*")
[ -n "$eval_line" ] && [ "test ${eval_line/, loss/, test loss}" = "$train_line" ] && pass ||
  fail "train measured '$train_line' on the test set, eval '$eval_line'"

# Without warm-up, smoothing or augmentation the recipe's defaults for lenet add nothing: config.json says so.
"$nabla" train --model lenet --epochs 1 --limit-train 128 --validation-split 64 --no-progress --out "$work/plain" > /dev/null 2>&1
plain=$(tr -d ' \n' < "$work/plain/config.json" 2>/dev/null)
grep -qF '"label_smoothing":0.0' <<<"$plain" && grep -qF '"warmup_epochs":0' <<<"$plain" &&
  grep -qF '"random_erasing":0.0' <<<"$plain" && grep -qF '"nesterov":false' <<<"$plain" && pass ||
  fail "lenet's default recipe is not the plain one: $plain"

# --model-option feeds the model's overrides: mlp with one hidden layer of 32 has 784·32 + 32 + 32·10 + 10
# parameters, and `nabla eval` rebuilds it from config.json.
if "$nabla" train --model mlp --model-option 'hidden=[32]' --epochs 1 --limit-train 128 --validation-split 64 --no-progress \
     --out "$work/narrow" > "$work/narrow.log" 2>&1 &&
   grep -q "$((784 * 32 + 32 + 32 * 10 + 10)) parameters" "$work/narrow.log" &&
   "$nabla" eval --checkpoint "$work/narrow" > /dev/null 2>&1; then
  pass
else
  fail "--model-option hidden=[32]: $(tail -n 3 "$work/narrow.log")"
fi

# --help says where the defaults come from.
help=$("$nabla" train --help 2>&1)
for flag in --warmup-epochs --label-smoothing --random-crop-padding --horizontal-flip --random-erasing --nesterov --model-option; do
  grep -q -- "$flag" <<<"$help" || fail "--help lacks $flag"
done
grep -A1 -- "--label-smoothing" <<<"$help" | grep -q "the model's recipe" && pass || fail "--help: no recipe default for --label-smoothing"

# Bad values: one line, a non-zero exit (2 for a malformed argument, 1 for one the model or recipe refuses),
# and no run directory left behind.
check() {  # check NAME STATUS PATTERN -- ARGS...
  local name=$1 status=$2 pattern=$3
  shift 4
  local output actual
  output=$("$nabla" "$@" --out "$work/bad-$name" --no-progress 2>&1)
  actual=$?
  if [ "$actual" -eq "$status" ] && [ "$(wc -l <<<"$output")" -le 2 ] && grep -q -- "$pattern" <<<"$output" &&
     [ ! -e "$work/bad-$name" ]; then
    pass
  else
    fail "$name: exited $actual (expected $status); output: $(tail -n 3 <<<"$output")"
  fi
}
check negative_warmup 2 "warmup-epochs" -- train --warmup-epochs -1
check fractional_warmup 2 "warmup-epochs" -- train --warmup-epochs 0.5
check negative_smoothing 2 "label-smoothing: must be a probability" -- train --label-smoothing -0.1
check smoothing_above_one 2 "label-smoothing: must be a probability" -- train --label-smoothing 1.5
check erasing_above_one 2 "random-erasing: must be a probability" -- train --random-erasing 2
check negative_flip 2 "horizontal-flip: must be a probability" -- train --horizontal-flip -1
check negative_padding 2 "random-crop-padding" -- train --random-crop-padding -4
check malformed_option 2 "must be KEY=VALUE" -- train --model mlp --model-option hidden
check empty_key 2 "must be KEY=VALUE" -- train --model mlp --model-option '=3'
check repeated_key 2 "hidden is given twice" -- train --model mlp --model-option 'hidden=[8]' --model-option 'hidden=[9]'
check unknown_option 1 "model 'mlp': unknown option 'depth'; it takes hidden" -- train --model mlp --model-option depth=3
check lenet_takes_none 1 "model 'lenet': unknown option 'width'; it takes none" -- train --model lenet --model-option width=2
check nesterov_not_sgd 1 "nesterov applies to sgd only" -- train --optimizer adam --nesterov
check nesterov_no_momentum 1 "nesterov needs --momentum above 0" -- train --optimizer sgd --momentum 0 --nesterov
check warmup_too_long 1 "warmup-epochs 3 is more than the run's 2 epochs" -- train --epochs 2 --warmup-epochs 3
check warmup_onecycle 1 "does not combine with --scheduler onecycle" -- train --scheduler onecycle --warmup-epochs 1

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
