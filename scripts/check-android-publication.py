#!/usr/bin/env python3
"""The Android publication, checked without Gradle: what an app gets from its one Gradle line.

    python3 scripts/check-android-publication.py                 # here and in CI
    python3 scripts/check-android-publication.py --pom FILE      # also Gradle's generated POM
                                                                 # (scripts/build-aar.sh passes it)

Checks that
  - the dependencies android-aar/build.gradle.kts declares (`api` -> compile, `implementation`
    -> runtime, `@aar` -> type aar, plus the kotlin-stdlib the Kotlin plugin adds as `api`, at
    the plugin's version in settings.gradle.kts) are exactly those of the expected POM,
    android-aar/publishing/expected-pom.xml, and so are its coordinates;
  - JNA is an AAR (it carries libjnidispatch.so) at 5.17.0 or later (16 KB pages);
  - minSdk agrees: build.gradle.kts, the expected POM's android.minSdk, the README;
  - the README's Android install is the publication's coordinates and a repository;
  - with --pom, Gradle's POM has the expected coordinates, minSdk and dependencies.
Closes with "N passed, N failed".
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def gradle_model():
    g = read("android-aar/build.gradle.kts")
    s = read("android-aar/settings.gradle.kts")
    vals = {}
    for m in re.finditer(r'^val (\w+)(?::\s*\w+)?\s*=\s*(?:\(findProperty\("[^"]+"\) as String\?\)\s*\?:\s*)?"?([^"\n]+?)"?\s*$', g, re.M):
        vals[m.group(1)] = m.group(2)
    def subst(text):
        return re.sub(r"\$(\w+)", lambda m: vals[m.group(1)], text)
    # The main dependencies { } block: api/implementation only (not androidTest*, nativeDependencies).
    deps = set()
    for conf, notation in re.findall(r'^\s*(api|implementation)\("([^"]+)"\)', g, re.M):
        notation = subst(notation)
        coords, _, ext = notation.partition("@")
        group, artifact, version = coords.split(":")
        deps.add((group, artifact, version, ext or "jar", "compile" if conf == "api" else "runtime"))
    kotlin = re.search(r'id\("org\.jetbrains\.kotlin\.android"\) version "([^"]+)"', s)
    if kotlin:
        deps.add(("org.jetbrains.kotlin", "kotlin-stdlib", kotlin.group(1), "jar", "compile"))
    coords = (vals.get("videokitGroup"), vals.get("videokitArtifact"), vals.get("videokitVersion"))
    min_sdk = vals.get("videokitMinSdk")
    uses_var = re.search(r"minSdk\s*=\s*videokitMinSdk", g) is not None
    return coords, min_sdk, uses_var, deps


def pom_model(text):
    root = ET.fromstring(text)
    def t(el, name, default=None):
        x = el.find("m:" + name, NS)
        return x.text.strip() if x is not None and x.text else default
    coords = (t(root, "groupId"), t(root, "artifactId"), t(root, "version"))
    props = root.find("m:properties", NS)
    min_sdk = t(props, "android.minSdk") if props is not None else None
    deps = set()
    for d in root.findall("m:dependencies/m:dependency", NS):
        deps.add((t(d, "groupId"), t(d, "artifactId"), t(d, "version"), t(d, "type", "jar"), t(d, "scope", "compile")))
    return coords, t(root, "packaging"), min_sdk, deps


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def main(argv):
    passed = failed = 0

    def check(ok, text, details=()):
        nonlocal passed, failed
        print(("ok   " if ok else "FAIL ") + text)
        for d in details:
            print("       " + d)
        passed, failed = passed + bool(ok), failed + (not ok)

    coords, min_sdk, uses_var, deps = gradle_model()
    e_coords, e_packaging, e_min_sdk, e_deps = pom_model(read("android-aar/publishing/expected-pom.xml"))
    fmt = lambda d: f"{d[0]}:{d[1]}:{d[2]}" + (f"@{d[3]}" if d[3] != "jar" else "") + f" ({d[4]})"

    check(coords == e_coords and None not in coords, f"coordinates {':'.join(map(str, coords))} = the expected POM's")
    check(e_packaging == "aar", "the expected POM's packaging is aar")
    check(deps == e_deps, f"build.gradle.kts's dependencies = the expected POM's ({len(deps)})",
          [f"only in build.gradle.kts: {fmt(d)}" for d in sorted(deps - e_deps)] +
          [f"only in the POM: {fmt(d)}" for d in sorted(e_deps - deps)] + [fmt(d) for d in sorted(deps & e_deps)])
    jna = [d for d in deps if d[:2] == ("net.java.dev.jna", "jna")]
    check(len(jna) == 1 and jna[0][3] == "aar" and jna[0][4] == "runtime" and version_tuple(jna[0][2]) >= (5, 17, 0),
          "JNA is a runtime dependency, @aar, 5.17.0 or later (16 KB-aligned libjnidispatch.so)" + (f": {fmt(jna[0])}" if jna else ""))
    check(any(d[:2] == ("org.jetbrains.kotlinx", "kotlinx-coroutines-android") for d in deps), "kotlinx-coroutines-android is a dependency")

    readme = read("README.md")
    readme_sdk = set(re.findall(r"minSdk (\d+)", readme))
    check(min_sdk is not None and uses_var and e_min_sdk == min_sdk and readme_sdk == {min_sdk},
          f"minSdk agrees: build.gradle.kts {min_sdk}, expected POM {e_min_sdk}, README {sorted(readme_sdk)}")
    line = f'implementation("{coords[0]}:{coords[1]}:{coords[2]}")'
    android = readme.split("## Android (Kotlin)", 1)[-1].split("\n## ", 1)[0]
    blocks = re.findall(r"```kotlin\n(.*?)```", android, re.S)
    install = [b for b in blocks if line in b]
    check(bool(install) and "maven(" in install[0] and len([l for l in install[0].splitlines() if l.strip().startswith("implementation(")]) == 1,
          f"README's Android install: one dependency line ({line}) and the repository")

    if argv[:1] == ["--pom"]:
        g_coords, g_packaging, g_min_sdk, g_deps = pom_model(open(argv[1]).read())
        check(g_coords == e_coords and g_packaging == "aar" and g_min_sdk == e_min_sdk,
              f"Gradle's POM: {':'.join(map(str, g_coords))}, packaging {g_packaging}, minSdk {g_min_sdk}")
        check(g_deps == e_deps, f"Gradle's POM's dependencies = the expected POM's ({len(g_deps)})",
              [f"only in Gradle's: {fmt(d)}" for d in sorted(g_deps - e_deps)] +
              [f"only in expected: {fmt(d)}" for d in sorted(e_deps - g_deps)])
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
