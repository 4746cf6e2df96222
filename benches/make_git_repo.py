#!/usr/bin/env python3
"""Builds a reproducible benchmark repository for history scans from real files on this machine:
the .py files of the Python standard library, replayed as COMMITS commits on a main branch and
feature branches that merge back, each commit editing a few files (inserting, replacing and
deleting chunks of real code). SECRETS synthetic GitHub tokens (valid checksums, never issued)
are added at known commits, some removed later and some added only by merge commits, so a scanner
must find exactly SECRETS of them.

usage: make_git_repo.py DEST [COMMITS] [SECRETS]     (defaults 20000, 60)
Writes DEST (a git repository, packed with `git repack -adf`) and DEST.expected (the token count).
"""
import os, random, subprocess, sys, sysconfig, zlib

dest = sys.argv[1]
commits = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
n_secrets = int(sys.argv[3]) if len(sys.argv) > 3 else 60
rng = random.Random(20261126)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

def token():
    body = "".join(rng.choice(B62) for _ in range(30))
    n, check = zlib.crc32(body.encode()), ""
    for _ in range(6):
        n, r = divmod(n, 62)
        check = B62[r] + check
    return "ghp_" + body + check

stdlib = sysconfig.get_paths()["stdlib"]
sources = []
for root, dirs, files in os.walk(stdlib):
    dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__"))
    for f in sorted(files):
        if f.endswith(".py"):
            p = os.path.join(root, f)
            sources.append((os.path.relpath(p, stdlib), open(p, "rb").read()))
corpus_lines = [l for _, data in sources[:400] for l in data.splitlines(keepends=True)]

subprocess.run(["git", "init", "-q", "--bare" if False else "-q", "-b", "main", dest], check=True)
fi = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=dest, stdin=subprocess.PIPE)
out = fi.stdin
mark = 0

def blob(data):
    global mark
    mark += 1
    out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
    return mark

files = {}  # path -> bytes (current content on the branch being written)
t0 = 1_600_000_000
secret_plan = {}  # commit number -> token to add
for i in range(n_secrets):
    secret_plan[rng.randrange(1, commits)] = token()

def commit(ref, number, changes, parents, msg):
    global mark
    mark += 1
    ts = t0 + number * 600
    who = b"Dev %d <dev%d@example.com> %d +0000\n" % (number % 17, number % 17, ts)
    out.write(b"commit %s\nmark :%d\nauthor %scommitter %s" % (ref, mark, who, who))
    out.write(b"data %d\n%s\n" % (len(msg), msg))
    if parents:
        out.write(b"from :%d\n" % parents[0])
        for p in parents[1:]:
            out.write(b"merge :%d\n" % p)
    for path, m in changes:
        if m is None:
            out.write(b"D %s\n" % path.encode())
        else:
            out.write(b"M 100644 :%d %s\n" % (m, path.encode()))
    return mark

def edit(data):
    lines = data.splitlines(keepends=True) or [b"\n"]
    at = rng.randrange(len(lines))
    kind = rng.random()
    chunk = corpus_lines[rng.randrange(len(corpus_lines) - 40):][: rng.randrange(1, 30)]
    if kind < 0.5:
        lines[at:at] = chunk
    elif kind < 0.8:
        lines[at:at + len(chunk)] = chunk
    else:
        del lines[at:at + rng.randrange(1, 10)]
    return b"".join(lines)

initial = sources[: min(len(sources), 4000)]
changes = []
for path, data in initial:
    files[path] = data
    changes.append((path, blob(data)))
main_tip = commit(b"refs/heads/main", 0, changes, [], b"import")
paths = [p for p, _ in initial]
branch_tip, branch_files, branch_no = None, None, 0
expected = 0
for number in range(1, commits):
    on_branch = branch_tip is not None
    state = branch_files if on_branch else files
    changes = []
    for _ in range(rng.randrange(1, 4)):
        path = rng.choice(paths)
        state[path] = edit(state[path])
        changes.append((path, blob(state[path])))
    if number in secret_plan:
        path = f"config/settings_{number}.py"
        state[path] = b"GITHUB_TOKEN = \"%s\"\n" % secret_plan[number].encode()
        changes.append((path, blob(state[path])))
        expected += 1
    if on_branch:
        branch_tip = commit(b"refs/heads/feature-%d" % branch_no, number, changes, [branch_tip], b"feature work")
        if rng.random() < 0.1:  # merge back to main
            merged = dict(files)
            merged.update(branch_files)
            mchanges = [(p, blob(d)) for p, d in branch_files.items() if files.get(p) != d]
            if rng.random() < 0.2:  # content that only the merge commit introduces
                path = f"config/merge_{number}.py"
                merged[path] = b"TOKEN = \"%s\"\n" % token().encode()
                mchanges.append((path, blob(merged[path])))
                expected += 1
            main_tip = commit(b"refs/heads/main", number, mchanges, [main_tip, branch_tip], b"merge feature")
            files, branch_tip, branch_files = merged, None, None
    else:
        just_added = {p for p, _ in changes}
        settings = sorted(p for p in files if p.startswith("config/") and p not in just_added)
        if settings and rng.random() < 0.05:  # a leaked file removed later: still in history
            gone = rng.choice(settings)
            del files[gone]
            changes.append((gone, None))
        main_tip = commit(b"refs/heads/main", number, changes, [main_tip], b"work")
        if rng.random() < 0.05:  # start a feature branch
            branch_no += 1
            branch_tip, branch_files = main_tip, dict(files)
out.write(b"done\n")
out.close()
if fi.wait() != 0:
    sys.exit("git fast-import failed")
subprocess.run(["git", "repack", "-adf", "-q", "--window=10", "--depth=50"], cwd=dest, check=True)
open(dest + ".expected", "w").write(f"{expected}\n")
print(f"{dest}: {commits} commits, {expected} planted tokens")
