#!/usr/bin/env bash
# `nabla train` on text: the bigram baseline trains one short epoch on a small text file and its validation
# loss falls below the untrained one, the run writes its tokenizer beside the weights, an interrupted run
# resumes to the same weights as an uninterrupted one, and bad text options give one-line errors.
set -u
nabla=$1
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# A small corpus of paragraphs (documents), made here so the test needs no package.
for i in $(seq 1 120); do
  printf 'The cat sat on the mat number %d.\nA dog ran to the park and back again.\n\n' "$i"
done > "$work/corpus.txt"
common=(train --model bigram --data "$work/corpus.txt" --epochs 2 --batch-size 16 --context 32 --seed 5 --no-progress)

"$nabla" "${common[@]}" --out "$work/run" > "$work/run.log" 2>&1 || fail "training the bigram failed: $(tail -n 3 "$work/run.log")"
grep -q "unigram entropy of the training text" "$work/run.log" && pass || fail "no unigram entropy printed"
grep -q "tokens/s" "$work/run.log" && pass || fail "no tokens/s printed"
for file in model.safetensors tokenizer.json metrics.json log.csv config.json; do
  [ -s "$work/run/$file" ] && pass || fail "the run did not write $file"
done
# A bigram learns this text: its validation loss ends below the training text's unigram entropy (what a model
# that ignores context scores) and well below ln(vocabulary) (a uniform guess).
python_free_check() {  # read numbers from metrics.json without Python
  local vocab loss entropy
  vocab=$(grep -o '"vocab_size": [0-9]*' "$work/run/metrics.json" | grep -o '[0-9]*$' | sort -n | tail -n 1)  # the config block's is 0 for char
  loss=$(grep -o '"nats_per_char": [0-9.e+-]*' "$work/run/metrics.json" | grep -o '[0-9.e+-]*$')
  entropy=$(grep -o '"unigram_entropy_nats_per_char": [0-9.e+-]*' "$work/run/metrics.json" | grep -o '[0-9.e+-]*$')
  awk -v v="$vocab" -v l="$loss" -v h="$entropy" 'BEGIN { exit !(v > 2 && h > 0 && l > 0 && l < h && l < 0.5 * log(v)) }'
}
python_free_check && pass || fail "validation loss not below the unigram entropy and half of ln(vocabulary): $(grep -A8 '"validation"' "$work/run/metrics.json")"

# `nabla eval` rebuilds the held-out documents and the saved tokenizer and measures the saved weights on them:
# the loss the run reported for its last (here also its best) epoch.
"$nabla" eval --checkpoint "$work/run" > "$work/eval.log" 2>&1 || fail "eval failed: $(tail -n 3 "$work/eval.log")"
reported=$(grep -o '"nats_per_token": [0-9.e+-]*' "$work/run/metrics.json" | grep -o '[0-9.e+-]*$')
measured=$(grep -o 'loss [0-9.]* nats/token' "$work/eval.log" | grep -o '[0-9][0-9.]*')
awk -v a="$reported" -v b="$measured" 'BEGIN { exit !(b != "" && a - b < 1e-3 && b - a < 1e-3) }' && pass ||
  fail "eval measured '$measured' nats/token, the run reported $reported: $(cat "$work/eval.log")"

# Interrupted after 3 steps, then resumed: the same final weights as the uninterrupted run.
"$nabla" "${common[@]}" --out "$work/resumed" --checkpoint-every 1 --crash-after-steps 3 > /dev/null 2>&1
[ -s "$work/resumed/tokenizer.json" ] && pass || fail "no tokenizer saved before the crash"
"$nabla" "${common[@]}" --out "$work/resumed" --resume > "$work/resumed.log" 2>&1 ||
  fail "resume failed: $(tail -n 3 "$work/resumed.log")"
cmp -s "$work/run/model.safetensors" "$work/resumed/model.safetensors" && pass ||
  fail "the resumed run's weights differ from the uninterrupted run's"

check missing_text 1 "no/such/text.txt not found" -- train --model bigram --data "$work/no/such/text.txt" --out "$work/x" --no-progress
[ "$("$nabla" train --model bigram --data "$work/no/such/text.txt" --out "$work/x" --no-progress 2>&1 | wc -l)" -eq 1 ] && pass ||
  fail "a bad --data path printed more than one line"
check bpe_needs_size 1 "needs --vocab-size" -- train --model bigram --data "$work/corpus.txt" --tokenizer bpe --out "$work/y" --no-progress
check text_option_on_images 1 "apply to language models only" -- train --model mlp --tokenizer char --context 8 --out "$work/z" --no-progress
check unknown_tokenizer 2 "tokenizer" -- train --model bigram --tokenizer wordpiece
finish
