#!/usr/bin/env bash
# Pre-commit latency: `leakhound staged` vs the peers' staged modes on a 20-file commit in a
# 10,000-file repository built from the Python library tree (one staged file carries a token
# that every tool must report). hyperfine alternates nothing, so each tool gets warm-up runs and
# the figures are medians of RUNS; ratios are peer / leakhound from the same run.
#
# usage: benches/staged.sh [RUNS]     (default 30)
# env:   PEERS=DIR (default /tmp/peers-bin), BENCH_DIR (default /tmp/leakhound-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
peers=${PEERS:-/tmp/peers-bin}
if [ ! -x "$peers/kingfisher" ] && [ -x ../shared/bench/install-peers.sh ]; then
  bash ../shared/bench/install-peers.sh "$peers" >/dev/null
fi
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
cargo build --release --quiet
lh=$PWD/target/release/leakhound
repo=${BENCH_DIR:-/tmp/leakhound-bench}/staged-10k
if [ ! -d "$repo" ]; then
  stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  mkdir -p "$repo"
  (cd "$stdlib" && find . -type f \( -name '*.py' -o -name '*.rst' -o -name '*.txt' -o -name '*.cfg' \) | sort | sed -n '1,10000p' |
    tar -cf - -T -) | tar -xf - -C "$repo"
  git -C "$repo" init -q -b main
  git -C "$repo" add -A
  git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -q -m import
  # The commit under test: 20 edited files, one with a synthetic token (valid checksum).
  git -C "$repo" ls-files '*.py' | sed -n '1,20p' >"$repo.files"
  while read -r f; do printf '\n# edited for the benchmark\nVALUE = %s\n' "$RANDOM" >>"$repo/$f"; done <"$repo.files"
  printf 'GITHUB_TOKEN = "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"\n' >>"$repo/$(head -n 1 "$repo.files")"
  git -C "$repo" add -A
fi
echo "repo: $repo ($(git -C "$repo" ls-files | wc -l) files, $(git -C "$repo" diff --cached --name-only | wc -l) staged)"
cd "$repo"
"$lh" staged -q --exit-code 0 -f json | grep -q ghp_ || { echo "leakhound missed the staged token" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" -i \
  -n leakhound "$lh staged -q --exit-code 0" \
  -n betterleaks "$peers/betterleaks git --staged -l error ." \
  -n gitleaks "$peers/gitleaks git --staged --no-banner -l error --exit-code 0 ." \
  -n kingfisher "$peers/kingfisher scan . --staged --no-validate" >/dev/null
for t in "$lh staged -q --exit-code 0" "$peers/betterleaks git --staged -l error ." "$peers/gitleaks git --staged --no-banner -l error --exit-code 0 ." "$peers/kingfisher scan . --staged --no-validate"; do
  /usr/bin/time -f "%M" -o "$work/rss" $t >/dev/null 2>&1 || true
  tail -n 1 "$work/rss" >>"$work/rss.all"
done
python3 - "$work/h.json" "$work/rss.all" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
rss = [int(l) / 1024 for l in open(sys.argv[2])]
lh = res[0]["median"]
print(f"{'tool':<12} {'median ms':>10} {'min ms':>8} {'peak RSS MiB':>13} {'time / leakhound':>17}")
for r, m in zip(res, rss):
    print(f"{r['command']:<12} {r['median']*1000:>10.1f} {r['min']*1000:>8.1f} {m:>13.0f} {r['median']/lh:>17.2f}")
PY
