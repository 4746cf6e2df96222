#!/usr/bin/env bash
# Builds the Python wheel with maturin (pyproject.toml, `bindings = "bin"`), installs it into a
# fresh virtualenv, and runs the installed `leakhound` on a secret: what `pip install leakhound`
# will give a user. maturin comes from PyPI into a temporary virtualenv.
#
# usage: scripts/wheel-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/build"
"$work/build/bin/pip" install --quiet "maturin>=1.5,<2"
"$work/build/bin/maturin" build --release --quiet --out "$work/dist"
wheel=$(ls "$work"/dist/leakhound-*.whl)
echo "built $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"

python3 -m venv "$work/user"
"$work/user/bin/pip" install --quiet "$wheel"
lh="$work/user/bin/leakhound"
"$lh" --version
mkdir "$work/tree"
# A synthetic GitHub token with a valid checksum, never issued.
echo 'TOKEN = "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"' > "$work/tree/config.py"
set +e
out=$("$lh" scan "$work/tree" -q -f json)
code=$?
set -e
[ "$code" = 1 ] || { echo "FAIL: exit $code, expected 1 (findings)"; exit 1; }
grep -q '"rule_id": "github.pat-classic"' <<<"$out" || { echo "FAIL: no finding"; exit 1; }
echo "ok: the wheel's leakhound finds the secret"
