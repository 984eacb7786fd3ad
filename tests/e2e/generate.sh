#!/usr/bin/env bash
# `nabla generate` on language models trained here for a few steps on a small text: a GPT with the character
# tokenizer, an LSTM with the byte tokenizer and the bigram table with BPE. The same --seed gives the same text
# twice (another seed another text); --greedy prints exactly the greedy continuation that greedy_continuation
# computes the plain way (full forward per token, no cache, the text decoded at once), which also shows that
# --max-tokens N gave N tokens; the byte model's sampled stream is valid UTF-8; --stop-at-end stops at the first
# end-of-text; bad input gives one-line errors.
set -u
nabla=$1
greedy=$2
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# Paragraphs (documents) with some characters of two and three bytes, so the byte model can split them.
for i in $(seq 1 60); do
  printf 'The cat sat on the mat %d times.\nA café in Seoul: 서울의 카페, naïve and über.\n\n' "$i"
done > "$work/corpus.txt"
train() {  # train NAME ARGS...: a short run into $work/NAME
  local name=$1
  shift
  "$nabla" train --data "$work/corpus.txt" --epochs 1 --batch-size 8 --context 32 --seed 3 --no-progress \
    --out "$work/$name" "$@" > "$work/$name.log" 2>&1 || { echo "FAIL: training $name failed"; tail -n 5 "$work/$name.log"; exit 1; }
}
train gpt --model gpt --model-option layers=1 --model-option heads=2 --model-option d_model=32 --tokenizer char
train lstm --model lstm --model-option layers=1 --model-option hidden=32 --model-option embedding=16 --tokenizer byte
train bigram --model bigram --tokenizer bpe --vocab-size 80

for run in gpt lstm bigram; do
  # The same seed twice: the same text; another seed: another text.
  "$nabla" generate --checkpoint "$work/$run" --prompt "The " --max-tokens 60 --seed 11 > "$work/a.txt" 2> "$work/a.err"
  status=$?
  "$nabla" generate --checkpoint "$work/$run" --prompt "The " --max-tokens 60 --seed 11 > "$work/b.txt" 2> /dev/null
  "$nabla" generate --checkpoint "$work/$run" --prompt "The " --max-tokens 60 --seed 12 > "$work/c.txt" 2> /dev/null
  [ $status -eq 0 ] && grep -q "^nabla: 60 tokens in .*seed 11" "$work/a.err" && pass ||
    fail "$run: generate exited $status or did not report 60 tokens and seed 11: $(cat "$work/a.err")"
  [ -s "$work/a.txt" ] && cmp -s "$work/a.txt" "$work/b.txt" && pass || fail "$run: --seed 11 gave two different texts"
  cmp -s "$work/a.txt" "$work/c.txt" && fail "$run: --seed 11 and --seed 12 gave the same text" || pass
  head -c 4 "$work/a.txt" | grep -q "^The " && pass || fail "$run: the output does not start with the prompt"
  iconv -f UTF-8 -t UTF-8 "$work/a.txt" > /dev/null 2>&1 && pass || fail "$run: the sampled text is not valid UTF-8"

  # --greedy: what the plain greedy loop computes, token for token (so also 40 tokens).
  for prompt in "A caf" ""; do
    "$nabla" generate --checkpoint "$work/$run" --prompt "$prompt" --max-tokens 40 --greedy > "$work/greedy.txt" 2> "$work/greedy.err"
    "$greedy" "$work/$run" "$prompt" 40 > "$work/expected.txt" || fail "$run: greedy_continuation failed"
    cmp -s "$work/greedy.txt" "$work/expected.txt" && grep -q "^nabla: 40 tokens in .*greedy" "$work/greedy.err" && pass ||
      fail "$run: --greedy with prompt '$prompt' printed '$(cat "$work/greedy.txt")' ($(cat "$work/greedy.err")), the greedy continuation is '$(cat "$work/expected.txt")'"
  done
done

# A hot byte model makes invalid byte sequences: still valid UTF-8 on stdout (held back or U+FFFD).
"$nabla" generate --checkpoint "$work/lstm" --prompt "서울" --max-tokens 300 --temperature 3 --seed 5 > "$work/hot.txt" 2> /dev/null
iconv -f UTF-8 -t UTF-8 "$work/hot.txt" > /dev/null 2>&1 && pass || fail "the hot byte model's output is not valid UTF-8"

# --stop-at-end: the text up to the first end-of-text (an empty line) of the same seed's full run, and fewer tokens.
"$nabla" generate --checkpoint "$work/bigram" --prompt "The" --max-tokens 400 --seed 4 > "$work/full.txt" 2> /dev/null
"$nabla" generate --checkpoint "$work/bigram" --prompt "The" --max-tokens 400 --seed 4 --stop-at-end > "$work/stopped.txt" 2> "$work/stopped.err"
count=$(grep -o '^nabla: [0-9]* tokens' "$work/stopped.err" | grep -o '[0-9]*')
lines=$(wc -l < "$work/stopped.txt")
if grep -q '^$' "$work/full.txt"; then
  [ -n "$count" ] && [ "$count" -lt 400 ] && head -n "$lines" "$work/full.txt" | cmp -s - "$work/stopped.txt" && pass ||
    fail "--stop-at-end gave $count tokens: '$(cat "$work/stopped.txt")'; the full run: '$(head -n "$((lines + 1))" "$work/full.txt")'"
else
  fail "400 bigram tokens never ended a text; the --stop-at-end check needs one"
fi

# A prompt longer than the context (32) is cut from the left, with a note.
long=$(printf 'The cat sat on the mat. %.0s' $(seq 1 5))
"$nabla" generate --checkpoint "$work/gpt" --prompt "$long" --max-tokens 5 --greedy > "$work/long.txt" 2> "$work/long.err" && pass ||
  fail "a long prompt failed: $(cat "$work/long.err")"
grep -q "note: the prompt has 120 tokens, more than the model's context of 32; it keeps the last 32" "$work/long.err" && pass ||
  fail "no note on the cut prompt: $(cat "$work/long.err")"

# Bad input: one line, exit 1 for a bad run, 2 for a bad option.
check no_run 1 "config.json not found" -- generate --checkpoint "$work/no/such/run" --prompt "x"
[ "$("$nabla" generate --checkpoint "$work/no/such/run" --prompt x 2>&1 | wc -l)" -eq 1 ] && pass ||
  fail "a missing run printed more than one line"
"$nabla" train --model mlp --epochs 1 --limit-train 64 --batch-size 32 --validation-split 0 --no-progress --out "$work/mlp" \
  > "$work/mlp.log" 2>&1 || fail "training the mlp failed: $(tail -n 3 "$work/mlp.log")"
check image_model 1 "trained 'mlp', which is not a language model" -- generate --checkpoint "$work/mlp" --prompt "x"
check negative_temperature 2 "temperature" -- generate --checkpoint "$work/gpt" --temperature -1
check top_p_zero 2 "top-p" -- generate --checkpoint "$work/gpt" --top-p 0
check top_k_fraction 2 "top-k" -- generate --checkpoint "$work/gpt" --top-k 2.5
check zero_tokens 2 "max-tokens" -- generate --checkpoint "$work/gpt" --max-tokens 0
check greedy_and_temperature 2 "excludes" -- generate --checkpoint "$work/gpt" --greedy --temperature 0.5
check no_checkpoint 2 "checkpoint" -- generate --prompt "x"
"$nabla" generate --help | grep -q -- "--top-p" && pass || fail "generate --help does not list --top-p"
finish
