#!/usr/bin/env bash
# `nabla explain` on PNGs of Fashion-MNIST test images (make_test_png): every method writes a captioned PNG
# grid for a LeNet, CAM for a ResNet-20 and rollout for a ViT, each trained for one short epoch; methods that do not fit the
# model, unknown layers and missing images are one-line errors.
set -u
nabla=$1
make_png=$2
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

"$nabla" train --model lenet --epochs 1 --limit-train 1000 --validation-split 0 --no-progress --out "$work/lenet" \
  > "$work/train.log" 2>&1 || { echo "FAIL: training LeNet failed"; cat "$work/train.log"; exit 1; }
"$nabla" train --model vit --epochs 1 --limit-train 256 --validation-split 0 --no-progress --out "$work/vit" \
  --model-option num_layers=2 > "$work/train_vit.log" 2>&1 || { echo "FAIL: training ViT failed"; cat "$work/train_vit.log"; exit 1; }
classes=("T-shirt/top" Trouser Pullover Dress Coat Sandal Shirt Sneaker Bag "Ankle boot")
class_index() { for i in "${!classes[@]}"; do [ "${classes[$i]}" = "$1" ] && echo "$i"; done; }
"$nabla" train --model resnet20 --epochs 1 --limit-train 128 --validation-split 0 --no-progress --out "$work/resnet" \
  > "$work/train_resnet.log" 2>&1 || { echo "FAIL: training ResNet-20 failed"; cat "$work/train_resnet.log"; exit 1; }
files=() truth=()
for index in 0 1 2; do
  truth+=("$(class_index "$("$make_png" "$index" "$work/$index.png")")")
  files+=("$work/$index.png")
done

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
for method in gradcam saliency smoothgrad ig; do
  output=$("$nabla" explain --checkpoint "$work/lenet" --method "$method" --out "$work/out" --true "${truth[@]}" \
           -- "${files[@]}" 2>&1)
  if [ $? -eq 0 ] && is_png "$work/out/$method.png" && grep -q "written to" <<<"$output"; then pass; else
    fail "explain --method $method: $output"
  fi
done
# CAM on a network that ends in global average pooling (ResNet-20), and a clear refusal on LeNet.
output=$("$nabla" explain --checkpoint "$work/resnet" --method cam --out "$work/out_resnet" -- "${files[@]}" 2>&1)
if [ $? -eq 0 ] && is_png "$work/out_resnet/cam.png"; then pass; else fail "explain --method cam on ResNet-20: $output"; fi
check cam_without_global_pooling 1 "needs a network ending in global average pooling" -- \
  explain --checkpoint "$work/lenet" --method cam "${files[0]}"
output=$("$nabla" explain --checkpoint "$work/vit" --method rollout --out "$work/out_vit" -- "${files[@]}" 2>&1)
if [ $? -eq 0 ] && is_png "$work/out_vit/rollout.png"; then pass; else fail "explain --method rollout on a ViT: $output"; fi

check rollout_on_a_cnn 1 "needs a Vision Transformer" -- explain --checkpoint "$work/lenet" --method rollout "${files[0]}"
check unknown_layer 1 "no layer 'nowhere'" -- explain --checkpoint "$work/lenet" --layer nowhere "${files[0]}"
check no_image 2 "no image given" -- explain --checkpoint "$work/lenet"
check wrong_truth_count 1 "--true gives 1 classes for 2 images" -- explain --checkpoint "$work/lenet" --true 3 \
  -- "${files[0]}" "${files[1]}"
finish
