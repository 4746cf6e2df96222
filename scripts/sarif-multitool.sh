#!/usr/bin/env bash
# Validates leakhound's SARIF with Microsoft's SARIF multitool (npm @microsoft/sarif-multitool,
# installed into a temporary directory) under its SARIF, GitHub and Azure DevOps rule sets, for a
# directory scan and a git history sweep of a repository with a remote, run as on any CI and as
# in Azure Pipelines. Fails on any error or warning; prints the notes.
#
# usage: scripts/sarif-multitool.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
lh=${CARGO_TARGET_DIR:-$PWD/target}/release/leakhound
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent @microsoft/sarif-multitool >/dev/null)
smt=$work/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

repo=$work/repo
git init -q -b main "$repo"
git -C "$repo" remote add origin https://x-access-token:not-a-secret@github.com/acme/app.git
echo 'TOKEN = "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"' > "$repo/app.py"
printf 'X=1\nAWS_KEY=AKIAQYLPMN5HFIQR7XAE\n' > "$repo/.env"
git -C "$repo" add -A
git -C "$repo" -c user.name=a -c user.email=a@example.com commit -q -m init
(cd "$repo" && "$lh" scan . -q -f sarif -o "$work/scan.sarif" --exit-code 0)
(cd "$repo" && "$lh" git . -q -f sarif -o "$work/git.sarif" --exit-code 0)
grep -q not-a-secret "$work/git.sarif" && { echo "FAIL: the remote's credentials are in the report"; exit 1; }
# The same, as an Azure Pipelines build writes them (its predefined variables).
azure=(TF_BUILD=True SYSTEM_COLLECTIONURI=https://dev.azure.com/acme/ SYSTEM_TEAMPROJECT=app
  SYSTEM_DEFINITIONID=7 BUILD_DEFINITIONNAME=ci SYSTEM_PHASEID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
  SYSTEM_PHASENAME=Job BUILD_SOURCEBRANCH=refs/heads/main BUILD_BUILDID=42)
(cd "$repo" && env "${azure[@]}" "$lh" scan . -q -f sarif -o "$work/azure-scan.sarif" --exit-code 0)
(cd "$repo" && env "${azure[@]}" "$lh" git . -q -f sarif -o "$work/azure-git.sarif" --exit-code 0)

# The Azure DevOps rules (GitHub Advanced Security for Azure DevOps) need the pipeline's ids,
# which only a report written inside Azure Pipelines has: the reports written elsewhere are
# checked with the SARIF and GitHub rules, the Azure ones with all three sets.
status=0
for report in scan git azure-scan azure-git; do
  case $report in azure-*) kinds="Sarif;Gh;Ado;GhAzDO" ;; *) kinds="Sarif;Gh" ;; esac
  "$smt" validate "$work/$report.sarif" --rule-kind "$kinds" --level "Error;Warning;Note" \
    -o "$work/$report.validation.sarif" >"$work/$report.log" 2>&1 || true
  problems=$(grep -E ": (error|warning) [A-Z]" "$work/$report.log" || true)
  notes=$(grep -cE ": note [A-Z]" "$work/$report.log" || true)
  if [ -n "$problems" ]; then
    echo "FAIL: $report.sarif:"; echo "$problems" | sed 's/^.*\.sarif/  /'; status=1
  else
    echo "ok: $report.sarif has no errors or warnings ($notes notes)"
  fi
  grep -E ": note [A-Z]" "$work/$report.log" | sed 's/^.*: note /  note /' | cut -c1-160 | sort | uniq -c
done
exit $status
