#!/usr/bin/env python3
"""The API-level check: nothing the SDK's compiled classes refer to is missing on the oldest
Android the module declares (minSdk in android-aar/build.gradle.kts).

    python3 scripts/check-api-level.py [CLASSES...]
        default CLASSES: build/jvm/videokit.jar (Kotlin layer + generated bindings, from
        scripts/build-jvm.sh) and build/android-check/classes (src/android, from
        scripts/check-android-sources.sh)

Every JDK class (java.*, javax.*) referred to must be in scripts/android-api-levels.tsv with
its API level, and so must the members known to be newer than their class; a reference above
minSdk fails unless the table says D8 desugars or backports it, or the code guards it.
android.* members are checked by check-android-sources.sh (the stubs carry their levels).

Then the test of the check: the same classes against minSdk 25 must fail, and name java.time
(the reason minSdk is 26). Closes with "N passed, N failed".

What it cannot see: the Android build compiles against android.jar, whose member signatures
(covariant returns, say) can differ from the JDK's; Android Lint's NewApi, fatal in
build.gradle.kts, is the complete check where the Android SDK exists.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import classrefs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_table(path):
    classes, members = {}, {}
    for n, line in enumerate(open(path), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2:
            raise SystemExit(f"{path}:{n}: want 'what<TAB>level[<TAB>note]'")
        what, level = parts[0], parts[1]
        note = parts[2] if len(parts) > 2 else ""
        level = None if level == "-" else int(level)
        kind, name = what.split(" ", 1)
        (classes if kind == "class" else members)[name] = (level, note)
    return classes, members


def safe(note):
    return note.split(":")[0].strip() in ("desugared", "backported", "guarded")


def violations(refs, classes, members, min_sdk):
    """(problems, unknown classes) for a minSdk."""
    problems, unknown = [], []
    for r in sorted(refs, key=classrefs.fmt):
        if r[0] == "class":
            if r[1] not in classes:
                unknown.append(r[1])
                continue
            level, note = classes[r[1]]
        else:
            owner, name, desc = r[1], r[2], r[3]
            key = f"{owner}.{name}{desc}" if r[0] == "method" else f"{owner}.{name}"
            entry = members.get(key) or members.get(f"{owner}.{name}")
            if entry is None:
                continue  # the class's level covers it (see the table's member rows)
            level, note = entry
        if level is not None and level > min_sdk and not safe(note):
            problems.append(f"{classrefs.fmt(r)} needs API {level}")
    return problems, unknown


def main(argv):
    gradle = open(os.path.join(ROOT, "android-aar/build.gradle.kts")).read()
    m = re.search(r"val videokitMinSdk\s*=\s*(\d+)", gradle)
    if not m:
        print("FAIL no `val videokitMinSdk = N` in android-aar/build.gradle.kts")
        print("0 passed, 1 failed")
        return 1
    min_sdk = int(m.group(1))
    paths = argv or [os.path.join(ROOT, "build/jvm/videokit.jar"), os.path.join(ROOT, "build/android-check/classes")]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        print("FAIL missing " + ", ".join(missing) + " (run scripts/build-jvm.sh and scripts/check-android-sources.sh first)")
        print("0 passed, 1 failed")
        return 1
    classes, members = load_table(os.path.join(ROOT, "scripts/android-api-levels.tsv"))
    refs = classrefs.references(classrefs.load(paths), ["java.", "javax."])
    passed = failed = 0

    def report(ok, text, details=()):
        nonlocal passed, failed
        print(("ok   " if ok else "FAIL ") + text)
        for d in details:
            print("       " + d)
        passed, failed = passed + ok, failed + (not ok)

    n_classes = len({r[1] for r in refs})
    problems, unknown = violations(refs, classes, members, min_sdk)
    report(not unknown, f"every JDK class referred to ({n_classes}) has its API level in scripts/android-api-levels.tsv",
           [f"unknown: {c} (add it with its level from the Android API reference)" for c in unknown])
    report(not problems, f"nothing referred to needs more than minSdk {min_sdk} (build.gradle.kts)", problems)
    time_refs = sorted({r[1] for r in refs if r[1].startswith("java.time.")})
    if time_refs:
        report(min_sdk >= 26, f"java.time is used ({', '.join(time_refs)}) and minSdk {min_sdk} >= 26")
    # The test of the check: one level below java.time must fail, naming it.
    below, _ = violations(refs, classes, members, 25)
    report(any("java.time." in p for p in below),
           f"test of the check: against minSdk 25 it fails ({len(below)} references, java.time among them)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
