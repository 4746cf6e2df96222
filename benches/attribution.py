#!/usr/bin/env python3
"""Checks the history sweep's unit of report on a real repository, as issue 10 asks:

- no (rule, secret) is reported twice;
- the number of findings equals the number of distinct (rule, secret) pairs;
- each finding in a blob is attributed to the first commit (oldest first) that
  `git log -S<secret>` lists, that is the first commit whose change adds the secret.

usage: benches/attribution.py REPO [LEAKHOUND]   (LEAKHOUND defaults to target/release/leakhound)

Findings in commit and tag messages are checked for uniqueness only: `git log -S` does not
search messages. Prints one line per disagreement and a summary; exits 1 on any.
"""

import collections
import json
import subprocess
import sys


def main() -> int:
    repo = sys.argv[1]
    leakhound = sys.argv[2] if len(sys.argv) > 2 else "target/release/leakhound"
    run = subprocess.run(
        [leakhound, "git", repo, "-q", "-f", "json", "--show-secrets", "--exit-code", "0"],
        capture_output=True,
        check=True,
    )
    findings = json.loads(run.stdout)["findings"]
    pairs = collections.Counter((f["rule_id"], f["secret"]) for f in findings)
    bad = 0
    for (rule, _), n in pairs.items():
        if n > 1:
            print(f"reported {n} times: {rule}")
            bad += 1
    checked = 0
    first_by_secret = {}
    for f in findings:
        if f["path"].startswith("("):
            continue  # a commit or tag message, or a note
        secret = f["secret"]
        if secret not in first_by_secret:
            log = subprocess.run(
                ["git", "-C", repo, "log", "--all", "--reverse", "--format=%H", "-S" + secret],
                capture_output=True,
                check=True,
                text=True,
            ).stdout.split()
            first_by_secret[secret] = log[0] if log else None
        first = first_by_secret[secret]
        checked += 1
        if f.get("commit") != first:
            print(f"{f['rule_id']} at {f['path']}:{f['line']}: reported in {f.get('commit')}, "
                  f"git log -S lists {first} first")
            bad += 1
    print(f"{len(findings)} findings, {len(pairs)} distinct (rule, secret) pairs, "
          f"{checked} attributions checked against git log -S, {bad} disagreements")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
