#!/bin/sh
# `nabla lab quiz` driven through a pipe, with its progress in a temporary XDG_DATA_HOME: a session of three
# questions (knew it, not yet, knew it) shows each question, our answer and the cached claims, and saves the
# boxes 2, 1, 2; the next session asks the "not yet" one first; a corrupt progress file is set aside with a
# warning; a question with no cached run is run in quick mode. Usage: quiz.sh NABLA WORK_DIR
nabla=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
unset LC_ALL LC_MESSAGES LANG  # English unless a test asks for Korean
export XDG_DATA_HOME="$work/data"
progress="$XDG_DATA_HOME/nabla/quiz.json"
out="$work/lab"
failures=0
fail() {
  echo "FAILED: $*"
  failures=$((failures + 1))
}
expect() {  # expect DESCRIPTION FILE PATTERN: a line of FILE matches PATTERN
  if grep -qE -- "$3" "$2"; then echo "ok: $1"; else fail "$1: no line matches '$3' in:" && cat "$2"; fi
}
boxes() {  # the id:box pairs of the progress file, one a line
  tr -d ' \n' < "$progress" | grep -oE '"Q[0-9]+":\{"box":[0-9]' | sed -E 's/"(Q[0-9]+)":\{"box":/\1:/'
}

# A cached result for every experiment, so the sessions (with --no-run) show claims without running anything.
for id in $("$nabla" lab list --ids); do
  mkdir -p "$out/$id"
  printf '{"id": "%s", "status": "pass", "budget": "quick", "date": "2026-01-01T00:00:00Z",
 "figures": [{"name": "cached figure", "value": 1.5, "unit": "steps"}],
 "claims": [{"name": "cached claim of %s", "pass": true, "evidence": "from the fixture"}]}\n' "$id" "$id" \
    > "$out/$id/result.json"
done

# Session 1: per question a line for the user's answer (empty or typed), then the grade.
printf '\ny\nit steps downhill\nn\n\nyes\n' |
  "$nabla" lab quiz --count 3 --seed 1 --no-run --out "$out" > "$work/first.txt" 2>&1 || fail "session 1 exited $?"
asked=$(grep -oE '^\[[1-3]/3\] Q[0-9]+' "$work/first.txt" | sed 's/.* //')
set -- $asked
if [ $# -ne 3 ]; then fail "session 1 asked '$asked', not three questions"; fi
first=$1 second=$2 third=$3
[ "$(grep -c '^Our answer:' "$work/first.txt")" -eq 3 ] && echo "ok: three answers" || fail "three answers"
for id in $first $second $third; do expect "claims of $id" "$work/first.txt" "^  PASS cached claim of $id: from the fixture"; done
expect "the figure" "$work/first.txt" "^  cached figure  1.5 steps"
expect "typed answers are echoed" "$work/first.txt" "> it steps downhill$"
expect "summary" "$work/first.txt" "^Session: 3 asked, knew 2, not yet 1 \($second\)\.$"
[ "$(boxes | tr '\n' ' ')" = "$(printf '%s\n' "$first:2" "$second:1" "$third:2" | sort | tr '\n' ' ')" ] &&
  echo "ok: boxes 2, 1, 2 saved" || fail "saved boxes are '$(boxes | tr '\n' ' ')' for $first:2 $second:1 $third:2"

# Session 2, without input: the "not yet" question comes first; those known are not due yet; nothing changes.
cp "$progress" "$work/progress-before"
"$nabla" lab quiz --count 3 --seed 2 --no-input --no-run --out "$out" > "$work/second.txt" 2>&1 || fail "session 2 exited $?"
expect "not yet comes first" "$work/second.txt" "^\[1/3\] $second "
grep -qE "^\[[1-3]/3\] ($first|$third) " "$work/second.txt" && fail "a known question came back at once"
expect "--no-input grades nothing" "$work/second.txt" "nothing graded \(--no-input\)"
cmp -s "$progress" "$work/progress-before" && echo "ok: --no-input leaves progress" || fail "--no-input changed progress"

# A corrupt progress file is set aside, with a warning naming both files, and the session starts afresh.
echo 'not json {' > "$progress"
printf '\nn\n' | "$nabla" lab quiz --count 1 --seed 3 --no-run --out "$out" > "$work/corrupt.txt" 2>&1 ||
  fail "corrupt session exited $?"
expect "corrupt: warned" "$work/corrupt.txt" "^nabla: warning: quiz progress .*quiz.json is corrupt .*moved it to .*quiz.json.corrupt-"
aside=$(ls "$progress".corrupt-* 2>/dev/null | head -n 1)
[ -n "$aside" ] && [ "$(cat "$aside")" = "not json {" ] && echo "ok: corrupt file kept" || fail "corrupt file not kept"
[ "$(boxes | wc -l)" -eq 1 ] && boxes | grep -q ':1$' && echo "ok: fresh progress" || fail "progress after corrupt: $(boxes)"

# Korean, from the locale or --lang; a topic by name; bad arguments.
LANG=ko_KR.UTF-8 "$nabla" lab quiz --count 1 --seed 1 --no-input --no-run --out "$out" > "$work/ko.txt" 2>&1
expect "LANG=ko gives Korean" "$work/ko.txt" "^우리의 답:"
LANG=ko_KR.UTF-8 "$nabla" lab quiz --lang en --count 1 --seed 1 --no-input --no-run --out "$out" > "$work/en.txt" 2>&1
expect "--lang en wins" "$work/en.txt" "^Our answer:"
"$nabla" lab quiz --topic train --count 50 --no-input --no-run --out "$out" > "$work/topic.txt" 2>&1
[ "$(grep -cE '^\[[0-9]+/[0-9]+\] ' "$work/topic.txt")" -gt 0 ] &&
  ! grep -E '^\[[0-9]+/[0-9]+\] ' "$work/topic.txt" | grep -qv ' · [a-z, ]*train' &&
  echo "ok: --topic train" || fail "--topic train asked other topics: $(cat "$work/topic.txt")"
"$nabla" lab quiz --topic nonsense --no-input > "$work/bad.txt" 2>&1
[ $? -eq 2 ] && grep -q "no topic 'nonsense'; the topics are A core" "$work/bad.txt" && echo "ok: bad topic" ||
  fail "bad topic: $(cat "$work/bad.txt")"

# No cached run: the experiment runs in quick mode (Q09 takes well under a second) and its real claims show.
"$nabla" lab quiz Q09 --count 1 --no-input --out "$work/fresh" > "$work/fresh.txt" 2>&1 || fail "fresh session exited $?"
expect "runs quick when not cached" "$work/fresh.txt" "running Q09 in quick mode"
expect "real claims" "$work/fresh.txt" "^  PASS converges to A⁻¹b:"
[ "$failures" -eq 0 ] || { echo "$failures checks failed"; exit 1; }
