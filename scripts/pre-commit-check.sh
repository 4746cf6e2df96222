#!/usr/bin/env bash
# Checks the hooks of .pre-commit-hooks.yaml with the real pre-commit framework (installed from
# PyPI into a temporary virtualenv): `try-repo` with the system hook must block a commit that
# stages a secret and let a clean one through, and the files hook must find a committed secret
# with `--all-files`. Uses the release binary of this checkout (built if missing).
#
# usage: scripts/pre-commit-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pre-commit
export PATH="${CARGO_TARGET_DIR:-$root/target}/release:$work/venv/bin:$PATH"

repo=$work/repo
git init -q -b main "$repo"
cd "$repo"
git config user.name check && git config user.email check@example.com
echo "print('hello')" > app.py
git add app.py && git commit -q -m init

# A synthetic GitHub token with a valid checksum, never issued.
token=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
echo "TOKEN = \"$token\"" > config.py
git add config.py
if out=$(pre-commit try-repo "$root" leakhound-system 2>&1); then
  echo "FAIL: the system hook let a staged secret through"; echo "$out"; exit 1
fi
grep -q "github.pat-classic" <<<"$out" || { echo "FAIL: no finding shown"; echo "$out"; exit 1; }
grep -q "$token" <<<"$out" && { echo "FAIL: the secret is shown in clear"; exit 1; }
echo "ok: leakhound-system blocks a staged secret"

git rm -q --cached config.py && rm config.py
echo "x = 1" >> app.py && git add app.py
pre-commit try-repo "$root" leakhound-system >/dev/null 2>&1 \
  || { echo "FAIL: the system hook blocked a clean commit"; exit 1; }
echo "ok: leakhound-system lets a clean commit through"

# A secret already committed: the staged hook has nothing to say, the files hook finds it.
git commit -q -m clean
echo "TOKEN = \"$token\"" > old.py && git add old.py && git commit -q --no-verify -m old
if pre-commit try-repo "$root" leakhound-files-system --all-files >/dev/null 2>&1; then
  echo "FAIL: --all-files with the files hook found nothing"; exit 1
fi
echo "ok: leakhound-files-system finds a committed secret with --all-files"
