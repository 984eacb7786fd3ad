#!/usr/bin/env bash
# `nabla models` lists the registry: one row per model with its input, parameter count and description, the
# same models in --json, and the commands' --help texts name them. Parameter counts are derived here from
# the architectures, not copied from the program.
set -u
nabla=$1
passed=0 failed=0
expect() {  # expect NAME CONDITION-STATUS DETAIL
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else echo "FAIL: $1: $3"; failed=$((failed + 1)); fi
}
linear() { echo $(($1 * $2 + $2)); }                 # in out: weight and bias
conv() { echo $(($2 * $1 * $3 * $3 + $2)); }         # in out kernel
lenet=$(($(conv 1 6 5) + $(conv 6 16 5) + $(linear 400 120) + $(linear 120 84) + $(linear 84 10)))
mlp=$(($(linear 784 256) + $(linear 256 256) + $(linear 256 10)))
with_commas() {  # 61706 → 61,706, as the tables print counts
  awk -v n="$1" 'BEGIN {s = n ""; out = ""; while (length(s) > 3) {out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3)} print s out}'
}

text=$("$nabla" models 2>&1)
expect status $? "$text"
grep -q "^model  *input  *parameters  *description" <<<"$text"; expect header $? "$text"
for row in "lenet $lenet" "mlp $mlp"; do
  set -- $row
  commas=$(with_commas "$2")
  grep -qE "^$1 +\[1, 28, 28\] fashion-mnist +$commas +[A-Za-z]" <<<"$text"
  expect "row_$1" $? "no row '$1 [1, 28, 28] fashion-mnist $commas description' in: $text"
  grep -qE "^$1 +adam, lr 0.003, .*cosine schedule, 20 epochs, batch 128" <<<"$text"
  expect "recipe_$1" $? "no recipe line for $1"
  # The CNN zoo's recipe fields, all off for these two.
  grep -qE "^$1 +adam, .*batch 128, warm-up 0 epochs, label smoothing 0, augmentation: none$" <<<"$text"
  expect "recipe_extras_$1" $? "no warm-up, label smoothing and augmentation on the recipe line of $1"
done
rows=$(awk '/^model +input/ {table = 1; next} table && /^$/ {exit} table {n++} END {print n + 0}' <<<"$text")

json=$("$nabla" models --json 2>&1)
expect json_status $? "$json"
compact=$(tr -d ' \n' <<<"$json")
grep -qF "\"input\":{\"dataset\":\"fashion-mnist\",\"shape\":[1,28,28]},\"name\":\"lenet\",\"options\":[],\"parameters\":$lenet" <<<"$compact"
expect json_lenet $? "$compact"
grep -qF "\"name\":\"mlp\",\"options\":[{\"description\":" <<<"$compact"; expect json_mlp_options $? "$compact"
grep -qF "\"parameters\":$mlp," <<<"$compact"; expect json_mlp_parameters $? "$compact"
recipes=$(grep -oF '"recipe":{"augmentation":{"horizontal_flip":0.0,"random_crop_padding":0,"random_erasing":0.0},"batch_size":128,"epochs":20,"label_smoothing":0.0,"lr":0.003,"momentum":0.9,"nesterov":false,"optimizer":"adam","scheduler":"cosine","warmup_epochs":0,' <<<"$compact" | wc -l)
[ "$recipes" -eq 2 ]; expect json_recipes $? "$recipes of lenet's and mlp's recipes with all their fields in: $compact"
entries=$(grep -o '"name":' <<<"$compact" | wc -l)
[ "$entries" -eq "$rows" ]; expect json_same_models $? "$entries JSON entries, $rows table rows"

# Every command that takes a model names the registry's models in its help.
for command in train summary; do
  help=$("$nabla" $command --help 2>&1)
  grep -q "lenet, mlp" <<<"$help"; expect "help_$command" $? "$help"
done
"$nabla" summary resnet9000 > /dev/null 2>&1
[ $? -eq 2 ]; expect unknown_model_status $? "summary resnet9000 did not exit 2"
# The known models, sorted: lenet and mlp among them, wherever the zoo's other names fall.
"$nabla" summary resnet9000 2>&1 | grep -qE "known models: (.*, )?lenet, (.*, )?mlp(, |$)"
expect unknown_model_message $? "no list of models"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
