#!/usr/bin/env bash
# Segmentation end to end: `nabla data make-segmentation` writes PNG pairs (the same for the same seed),
# `nabla train --model unet|fcn --data DIR` trains on them and reports mean IoU, `nabla segment` writes a mask
# and an overlay for an image; a bad pair and a classifier's checkpoint are one-line errors.
set -u
nabla=$1
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

check make 0 "train: 24 images and masks (11 classes" -- data make-segmentation --out "$work/set" --train 24 --test 8 --seed 5
if [ "$(ls "$work/set/train/images" | wc -l)" -eq 24 ] && [ "$(ls "$work/set/test/masks" | wc -l)" -eq 8 ] \
   && [ "$(head -n 1 "$work/set/train/classes.txt")" = background ]; then pass; else fail "make-segmentation wrote the wrong files"; fi
"$nabla" data make-segmentation --out "$work/again" --train 24 --test 8 --seed 5 > /dev/null 2>&1
if cmp -s "$work/set/train/masks/00017.png" "$work/again/train/masks/00017.png" \
   && cmp -s "$work/set/test/images/00003.png" "$work/again/test/images/00003.png"; then pass; else fail "the same seed wrote other files"; fi

for model in unet fcn; do
  output=$("$nabla" train --model "$model" --data "$work/set" --epochs 1 --batch-size 8 --validation-split 8 \
           --model-option width=4 --no-progress --out "$work/$model" 2>&1)
  if [ $? -eq 0 ] && grep -qE "^test mean IoU 0\.[0-9]{4} \(pixel accuracy" <<<"$output" \
     && grep -q '"mean_iou"' "$work/$model/metrics.json"; then pass; else fail "train $model: $(tail -n 3 <<<"$output")"; fi
done

output=$("$nabla" segment --checkpoint "$work/unet" --out "$work/masks" "$work/set/test/images/00000.png" 2>&1)
if [ $? -eq 0 ] && [ -s "$work/masks/00000_mask.png" ] && [ -s "$work/masks/00000_overlay.png" ] \
   && grep -q "background [0-9.]*%" <<<"$output"; then pass; else fail "segment: $output"; fi

rm "$work/set/train/masks/00004.png"
check bad_pair 1 "images/00004.png has no mask" -- train --model unet --data "$work/set" --epochs 1 --no-progress --out "$work/bad"
"$nabla" train --model mlp --epochs 1 --limit-train 200 --validation-split 100 --no-progress --out "$work/mlp" > /dev/null 2>&1
check not_segmentation 1 "not a segmentation model" -- segment --checkpoint "$work/mlp" "$work/set/test/images/00000.png"
finish
