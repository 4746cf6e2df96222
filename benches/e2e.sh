#!/usr/bin/env bash
# Whole-process benchmark: leakhound vs gitleaks, betterleaks and kingfisher (each with its
# defaults, same tree, same run), plus the ripgrep floor (the keyword set as fixed strings).
# Runs alternate between tools; the table shows median wall time, MB/s over the bytes
# leakhound actually scanned, peak RSS, and each peer's median time / leakhound's.
#
# usage: benches/e2e.sh [TREE] [RUNS]
#   TREE  default: the Python installation's library tree
#   RUNS  default: 5
# env:   PEERS=DIR (default /tmp/peers-bin; installed with ../shared/bench/install-peers.sh when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')}
runs=${2:-5}
peers=${PEERS:-/tmp/peers-bin}
if [ ! -x "$peers/kingfisher" ] && [ -x ../shared/bench/install-peers.sh ]; then
  bash ../shared/bench/install-peers.sh "$peers" >/dev/null
fi
cargo build --release --quiet
lh=target/release/leakhound
# Peers skip whole trees by path (gitleaks and betterleaks scan 0 bytes under ~/.pyenv/...), so
# every tool scans a copy at a neutral path.
corpus=${BENCH_DIR:-/tmp/leakhound-bench}/$(basename "$tree")
if [ ! -d "$corpus" ]; then
  mkdir -p "$(dirname "$corpus")" && cp -a "$tree" "$corpus.tmp" && mv "$corpus.tmp" "$corpus"
fi
src_tree=$tree
tree=$corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The keyword set, for the ripgrep floor.
$lh rules list -f json | python3 -c 'import json,sys; print("\n".join(sorted({k for r in json.load(sys.stdin) for k in r["keywords"]})))' >"$work/keywords"

declare -A cmds=(
  [leakhound]="$lh scan $tree -q -f json -o $work/leakhound.json --exit-code 0"
  # The same without the default path exclusions (lockfiles, vendored trees, compiled files):
  # closer to what the peers read.
  [leakhound-all]="$lh scan $tree -q -f json -o /dev/null --exit-code 0 --no-default-excludes"
  [gitleaks]="$peers/gitleaks dir $tree --no-banner -l error -f json -r $work/gitleaks.json --exit-code 0"
  [betterleaks]="$peers/betterleaks $tree -l error -o $work/betterleaks.json"
  # Validation needs the network (absent here, and never ours to use): off, so kingfisher
  # does not wait on connection timeouts.
  [kingfisher]="$peers/kingfisher scan $tree --no-validate -f json -o $work/kingfisher.json"
  [ripgrep-floor]="rg --hidden -i -F -f $work/keywords -c --no-messages $tree"
)
order=(leakhound leakhound-all gitleaks betterleaks kingfisher ripgrep-floor)
available=()
for t in "${order[@]}"; do
  bin=${cmds[$t]%% *}
  if [ -x "$bin" ] || command -v "$bin" >/dev/null 2>&1; then available+=("$t"); else echo "skipping $t: $bin not found" >&2; fi
done

# Warm the page cache and kingfisher's rule cache once per tool (not measured).
for t in "${available[@]}"; do eval "${cmds[$t]}" >/dev/null 2>&1 || true; done

for ((i = 0; i < runs; i++)); do
  n=${#available[@]}
  for ((j = 0; j < n; j++)); do
    t=${available[$(((i + j) % n))]}
    /usr/bin/time -f "%e %M" -o "$work/time" bash -c "${cmds[$t]} >/dev/null 2>&1" || true
    echo "$t $(tail -n 1 "$work/time")" >>"$work/samples"
  done
done

bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["bytes_scanned"])' "$work/leakhound.json")
findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/leakhound.json")
echo "tree: $src_tree, copied to $tree ($(du -sh "$tree" | cut -f1) on disk; leakhound scanned $((bytes / 1048576)) MiB, $findings findings); $runs runs each, $(nproc) cores"
python3 - "$work/samples" "$bytes" <<'PY'
import sys, statistics, collections
samples = collections.defaultdict(list)
for line in open(sys.argv[1]):
    tool, wall, rss = line.split()
    samples[tool].append((float(wall), int(rss)))
nbytes = int(sys.argv[2])
lh = statistics.median(w for w, _ in samples["leakhound"])
print(f"{'tool':<14} {'median s':>9} {'MB/s':>8} {'peak RSS MiB':>13} {'time / leakhound':>17}")
for tool, rows in samples.items():
    wall = statistics.median(w for w, _ in rows)
    rss = max(r for _, r in rows) / 1024
    print(f"{tool:<14} {wall:>9.2f} {nbytes / 1e6 / wall:>8.0f} {rss:>13.0f} {wall / lh:>17.2f}")
PY
