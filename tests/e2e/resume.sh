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
# The same metrics too: training, every epoch's validation (the held-out split is keyed by the seed, so
# the resumed run validates on the same images) and the test measurement; only the timings may differ.
if ! diff <(grep -v -e seconds -e samples_per_second "$work/straight/metrics.json") \
          <(grep -v -e seconds -e samples_per_second "$work/resumed/metrics.json") > "$work/metrics.diff"; then
  echo "FAIL: metrics differ:"; cat "$work/metrics.diff"; failures=$((failures + 1))
fi
# Starting over into a directory that holds a run is refused rather than silently overwritten.
if "$nabla" "${common[@]}" --out "$work/straight" > "$work/again.log" 2>&1; then
  echo "FAIL: training into an existing run was not refused"; failures=$((failures + 1))
fi
# --resume continues the run as configured: an option that differs from its config.json is refused, by
# name, and the config is left as it was; options left out come from the saved config, not the defaults.
cp "$work/resumed/config.json" "$work/config.before"
if "$nabla" train --out "$work/resumed" --resume --lr 0.5 --no-progress > "$work/differ.log" 2>&1 ||
   ! grep -q -- "--lr 0.5 (the run's is" "$work/differ.log"; then
  echo "FAIL: a differing --lr on --resume was not refused by name"; cat "$work/differ.log"; failures=$((failures + 1))
fi
if ! cmp -s "$work/config.before" "$work/resumed/config.json"; then
  echo "FAIL: a refused --resume changed config.json"; failures=$((failures + 1))
fi
"$nabla" "${common[@]}" --out "$work/defaults" --crash-after-steps 17 > /dev/null 2>&1
if ! "$nabla" train --out "$work/defaults" --resume --no-progress > "$work/defaults.log" 2>&1 ||
   ! grep -q "^mlp on Fashion-MNIST: 600 training, 5000 validation" "$work/defaults.log"; then
  echo "FAIL: --resume with only --out did not continue the saved mlp recipe"; cat "$work/defaults.log"
  failures=$((failures + 1))
fi
if ! cmp -s "$work/straight/model.safetensors" "$work/defaults/model.safetensors"; then
  echo "FAIL: resuming with the saved recipe did not end with the uninterrupted run's weights"; failures=$((failures + 1))
fi
# Ctrl-C (SIGINT, raised by the process itself at a known step) checkpoints at that step and exits 130;
# resuming from there ends exactly where the uninterrupted run ends.
"$nabla" "${common[@]}" --out "$work/interrupted" --interrupt-after-steps 7 > "$work/interrupt.log" 2>&1
status=$?
if [ $status -ne 130 ] || ! grep -q "interrupted at epoch 1, step 7; saved a checkpoint in .*--resume" "$work/interrupt.log"; then
  echo "FAIL: SIGINT: exit $status (expected 130) or no checkpoint message"; cat "$work/interrupt.log"; failures=$((failures + 1))
fi
if ! "$nabla" train --out "$work/interrupted" --resume --no-progress > "$work/after-interrupt.log" 2>&1 ||
   ! grep -q "resuming at step 7" "$work/after-interrupt.log" ||
   ! cmp -s "$work/straight/model.safetensors" "$work/interrupted/model.safetensors"; then
  echo "FAIL: resuming after SIGINT did not continue from step 7 to the uninterrupted run's weights"
  cat "$work/after-interrupt.log"; failures=$((failures + 1))
fi
# The same with the CNN zoo's recipe machinery on: warm-up per step into the cosine schedule (the crash
# falls inside the warm-up), label smoothing, Nesterov SGD and all three augmentations, whose draws are keyed
# by (seed, epoch, image) and so repeat on resume. metrics.json records each of them.
recipe=(train --model mlp --epochs 2 --limit-train 600 --batch-size 50 --checkpoint-every 5 --seed 4 --no-progress
        --optimizer sgd --nesterov --warmup-epochs 1 --label-smoothing 0.1 --random-crop-padding 2
        --horizontal-flip 0.5 --random-erasing 0.5)
"$nabla" "${recipe[@]}" --out "$work/recipe-straight" > "$work/recipe-straight.log" 2>&1 || { cat "$work/recipe-straight.log"; exit 1; }
"$nabla" "${recipe[@]}" --out "$work/recipe-resumed" --crash-after-steps 7 > /dev/null 2>&1
"$nabla" train --out "$work/recipe-resumed" --resume --no-progress > "$work/recipe-resume.log" 2>&1
if ! grep -q "resuming at step 5" "$work/recipe-resume.log" ||
   ! cmp -s "$work/recipe-straight/model.safetensors" "$work/recipe-resumed/model.safetensors" ||
   ! diff <(grep -v -e seconds -e samples_per_second "$work/recipe-straight/metrics.json") \
          <(grep -v -e seconds -e samples_per_second "$work/recipe-resumed/metrics.json") > "$work/recipe.diff"; then
  echo "FAIL: with warm-up, smoothing and augmentation, the resumed run differs from the uninterrupted one"
  cat "$work/recipe-resume.log" "$work/recipe.diff"; failures=$((failures + 1))
fi
recorded=$(tr -d ' \n' < "$work/recipe-resumed/metrics.json")
for field in '"horizontal_flip":0.5' '"label_smoothing":0.1' '"nesterov":true' '"random_crop_padding":2' \
             '"random_erasing":0.5' '"warmup_epochs":1' '"optimizer":"sgd"'; do
  grep -qF "$field" <<<"$recorded" || { echo "FAIL: metrics.json lacks $field"; failures=$((failures + 1)); break; }
done
# The recipe really changed the run: without it the same seed ends with other weights.
"$nabla" train --model mlp --epochs 2 --limit-train 600 --batch-size 50 --seed 4 --no-progress --optimizer sgd --nesterov \
  --out "$work/recipe-off" > /dev/null 2>&1
if cmp -s "$work/recipe-off/model.safetensors" "$work/recipe-straight/model.safetensors"; then
  echo "FAIL: warm-up, smoothing and augmentation left the weights as without them"; failures=$((failures + 1))
fi
total=12
if [ $failures -eq 0 ]; then echo "$total passed, 0 failed"; else echo "$((total - failures)) passed, $failures failed"; exit 1; fi
