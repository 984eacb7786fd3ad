#!/usr/bin/env bash
# `nabla predict` on "your own" images: PNGs of Fashion-MNIST test images written by make_test_png, some
# enlarged to RGB or inverted as photos would be, classified by a model trained for one short epoch.
# Bad input gives a one-line error naming the file (exit 1), or the usage (exit 2).
set -u
nabla=$1
make_png=$2
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

"$nabla" train --model mlp --epochs 1 --limit-train 1000 --no-progress --out "$work/run" > "$work/train.log" 2>&1 \
  || { echo "FAIL: training failed"; cat "$work/train.log"; exit 1; }
"$make_png" 0 "$work/boot.png" > /dev/null || exit 1

# One image: its name, then three "  CLASS  PROBABILITY" lines in decreasing order summing to at most 1
# (each is printed rounded to 4 decimals, hence the 0.0002 of slack).
output=$("$nabla" predict --checkpoint "$work/run" "$work/boot.png" 2>&1)
status=$?
classes='T-shirt/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot'
if [ $status -eq 0 ] && [ "$(head -n 1 <<<"$output")" = "$work/boot.png" ] && [ "$(wc -l <<<"$output")" -eq 4 ] \
   && [ "$(tail -n 3 <<<"$output" | grep -cE "^  ($classes) +[01]\.[0-9]{4}$")" -eq 3 ] \
   && tail -n 3 <<<"$output" | awk '{ p = $NF; if (NR > 1 && p > last) bad = 1; last = p; sum += p }
                                    END { exit !(sum <= 1.0002 && !bad) }'; then
  pass
else
  fail "predict on one image exited $status with: $output"
fi

# The same picture as a 300×300 RGB file, and inverted (dark on light) with --invert: the same answer.
"$make_png" 0 "$work/big.png" --size 300 --rgb > /dev/null || exit 1
"$make_png" 0 "$work/negative.png" --invert > /dev/null || exit 1
top() { "$nabla" predict --checkpoint "$work/run" "$@" 2>&1 | sed -n 2p | sed -E 's/ +[0-9.]+$//'; }
expected=$(top "$work/boot.png")
if [ "$(top "$work/big.png")" = "$expected" ]; then pass; else fail "the 300×300 RGB copy is not a$expected"; fi
if [ "$(top --invert "$work/negative.png")" = "$expected" ]; then pass; else fail "--invert does not undo inversion"; fi

# Thirty images in one call: far better than chance (3 of 30); the model gets about 17 right.
files=() labels=""
for index in $(seq 0 29); do
  labels+="$("$make_png" "$index" "$work/$index.png")"$'\n'
  files+=("$work/$index.png")
done
predicted=$("$nabla" predict --checkpoint "$work/run" --top 1 "${files[@]}" | awk 'NR % 3 == 2' \
  | sed -E 's/^  //; s/ +[0-9.]+$//')
correct=$(paste -d '|' <(printf '%s' "$labels") <(printf '%s\n' "$predicted") | awk -F '|' '$1 == $2' | wc -l)
if [ "$correct" -ge 10 ]; then pass; else fail "only $correct of 30 images classified correctly"; fi

printf 'not a picture' > "$work/text.png"
head -c 100 "$work/boot.png" > "$work/cut.png"
check missing_image 1 "$work/missing.png" -- predict --checkpoint "$work/run" "$work/boot.png" "$work/missing.png"
check not_an_image 1 "text.png is not a PNG or JPEG" -- predict --checkpoint "$work/run" "$work/text.png"
check truncated_image 1 "cut.png is a corrupt or truncated PNG" -- predict --checkpoint "$work/run" "$work/cut.png"
check missing_checkpoint 1 "config.json" -- predict --checkpoint "$work/none" "$work/boot.png"
check no_image 2 "Usage" -- predict --checkpoint "$work/run"
finish
