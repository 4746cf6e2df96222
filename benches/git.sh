#!/usr/bin/env bash
# History-sweep benchmark: leakhound git vs kingfisher, gitleaks and betterleaks on the full
# history of a reproducible repository (benches/make_git_repo.py: commits replayed over the
# Python standard library, with branches, merges, and planted tokens that leakhound must all
# find). Runs alternate between tools; prints median wall time, blobs/s and MB/s (over the blob
# bytes leakhound scanned), peak RSS and each peer's time / leakhound's. `lh-whole-blobs` is
# leakhound scanning every blob whole instead of only what each stored delta changed.
#
# usage: benches/git.sh [COMMITS] [RUNS]      (defaults 20000, 3)
# env:   PEERS=DIR (default /tmp/peers-bin), BENCH_DIR (default /tmp/leakhound-bench),
#        REPO=DIR to race on an existing repository instead (a real history, e.g. a clone of
#        ../shared/corpora/requests.bundle): no planted tokens to count there, but the delta
#        scan must still report exactly what the whole-blob scan reports.
set -euo pipefail
cd "$(dirname "$0")/.."
commits=${1:-20000}
runs=${2:-3}
peers=${PEERS:-/tmp/peers-bin}
if [ ! -x "$peers/kingfisher" ] && [ -x ../shared/bench/install-peers.sh ]; then
  bash ../shared/bench/install-peers.sh "$peers" >/dev/null
fi
cargo build --release --quiet
lh=$PWD/target/release/leakhound
if [ -n "${REPO:-}" ]; then
  repo=$REPO
  expected=
else
  repo=${BENCH_DIR:-/tmp/leakhound-bench}/history-$commits
  [ -d "$repo" ] || python3 benches/make_git_repo.py "$repo" "$commits"
  expected=$(cat "$repo.expected")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Correctness first: a fast wrong answer fails. Every planted token is found, and scanning only
# what each stored delta changed reports exactly what scanning every blob whole reports.
"$lh" git "$repo" -q -f json -o "$work/lh.json" --exit-code 0
"$lh" git "$repo" -q -f json -o "$work/whole.json" --exit-code 0 --whole-blobs
if [ -n "$expected" ]; then
  found=$(python3 -c 'import json,sys; print(sum(f["rule_id"]=="github.pat-classic" for f in json.load(open(sys.argv[1]))["findings"]))' "$work/lh.json")
  [ "$found" = "$expected" ] || { echo "leakhound found $found planted tokens, expected $expected" >&2; exit 1; }
fi
python3 - "$work/lh.json" "$work/whole.json" <<'PY' || exit 1
import json, sys
delta, whole = (json.load(open(p)) for p in sys.argv[1:])
if delta["findings"] != whole["findings"] or delta["stats"] != whole["stats"]:
    sys.exit("the delta scan and the whole-blob scan disagree")
PY

declare -A cmds=(
  [leakhound]="$lh git $repo -q -f json -o $work/leakhound.json --exit-code 0"
  [lh-whole-blobs]="$lh git $repo -q -f json -o $work/lh-whole.json --exit-code 0 --whole-blobs"
  [kingfisher]="$peers/kingfisher scan $repo --no-validate -f json -o $work/kingfisher.json"
  [gitleaks]="$peers/gitleaks git $repo --no-banner -l error -f json -r $work/gitleaks.json --exit-code 0"
  [betterleaks]="$peers/betterleaks git $repo -l error -o $work/betterleaks.json"
)
order=(leakhound lh-whole-blobs kingfisher gitleaks betterleaks)
for t in "${order[@]}"; do eval "${cmds[$t]}" >/dev/null 2>&1 || true; done  # warm caches
for ((i = 0; i < runs; i++)); do
  for ((j = 0; j < ${#order[@]}; j++)); do
    t=${order[$(((i + j) % ${#order[@]}))]}
    /usr/bin/time -f "%e %M" -o "$work/time" bash -c "${cmds[$t]} >/dev/null 2>&1" || true
    echo "$t $(tail -n 1 "$work/time")" >>"$work/samples"
  done
done
read -r blobs bytes < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stats"]; print(s["files_scanned"]+s["skipped_binary"], s["bytes_scanned"])' "$work/lh.json")
pack=$(du -sh "$(git -C "$repo" rev-parse --absolute-git-dir)/objects/pack" | cut -f1)
echo "repo: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $blobs unique blobs, $((bytes / 1048576)) MiB of text blob content, $pack packed); ${expected:+all $expected planted tokens found; }$runs runs, $(nproc) cores"
python3 - "$work/samples" "$bytes" "$blobs" <<'PY'
import sys, statistics, collections
samples = collections.defaultdict(list)
for line in open(sys.argv[1]):
    tool, wall, rss = line.split()
    samples[tool].append((float(wall), int(rss)))
nbytes, nblobs = int(sys.argv[2]), int(sys.argv[3])
lh = statistics.median(w for w, _ in samples["leakhound"])
print(f"{'tool':<12} {'median s':>9} {'blobs/s':>9} {'MB/s':>7} {'peak RSS MiB':>13} {'time / leakhound':>17}")
for tool, rows in samples.items():
    wall = statistics.median(w for w, _ in rows)
    rss = max(r for _, r in rows) / 1024
    print(f"{tool:<12} {wall:>9.2f} {nblobs / wall:>9.0f} {nbytes / 1e6 / wall:>7.0f} {rss:>13.0f} {wall / lh:>17.2f}")
PY
