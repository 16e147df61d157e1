#!/usr/bin/env python3
"""Reads `go test -json` on stdin and prints what a person needs: each
package's result, every failure with its output, every skipped test with the
reason it gave, and one closing line "N passed, N failed, N skipped".

Usage: go test -json ./... | scripts/gotest-summary.py [raw-output-file]
Exit status is 1 when any test or package failed.
"""
import json
import sys

raw = open(sys.argv[1], "w") if len(sys.argv) > 1 else None
passed = failed = skipped = 0
output = {}          # (pkg, test) -> [lines]
skips = []           # (pkg, test, reason)
failures = []        # (pkg, test, lines)
pkg_failed = False
build_output = []

for line in sys.stdin:
    if raw:
        raw.write(line)
    try:
        ev = json.loads(line)
    except ValueError:
        build_output.append(line.rstrip("\n"))
        print(line, end="")
        continue
    pkg, test, action = ev.get("Package", ""), ev.get("Test"), ev.get("Action")
    key = (pkg, test)
    if action == "output":
        text = ev.get("Output", "")
        output.setdefault(key, []).append(text)
        # Build output, and the figures table the reliability suite prints.
        if (ev.get("ImportPath") or text.startswith("RELIABILITY")) and not test:
            print(text, end="")
        continue
    if action == "build-output":
        print(ev.get("Output", ""), end="")
        continue
    if test is None:
        if action in ("pass", "fail", "skip"):
            text = "".join(output.get(key, []))
            if action == "fail":
                pkg_failed = True
                print("FAIL\t%s\t%.1fs" % (pkg, ev.get("Elapsed", 0)))
                tail = [l for l in text.splitlines() if l.strip()]
                if tail and not any(f[0] == pkg for f in failures):
                    print("\n".join("    " + l for l in tail[-40:]))
            elif action == "skip":
                print("?\t%s\t[no test files]" % pkg)
            else:
                print("ok\t%s\t%.1fs" % (pkg, ev.get("Elapsed", 0)))
        continue
    if "/" in test:  # subtests are counted through their parents
        if action == "fail":
            failures.append((pkg, test, output.get(key, [])))
        continue
    if action == "pass":
        passed += 1
    elif action == "fail":
        failed += 1
        failures.append((pkg, test, output.get(key, [])))
        print("--- FAIL: %s %s" % (pkg, test))
        print("".join("    " + l for l in output.get(key, [])[-60:]), end="")
    elif action == "skip":
        skipped += 1
        reason = [l.strip() for l in output.get(key, []) if l.strip() and not l.strip().startswith(("=== ", "--- "))]
        skips.append((pkg, test, reason[-1] if reason else "no reason given"))

if skips:
    print("\nSkipped tests (and what would enable them):")
    for pkg, test, reason in skips:
        print("  %s %s: %s" % (pkg.replace("github.com/deploylens/deploylens", "."), test, reason))
print()
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or pkg_failed else 0)
