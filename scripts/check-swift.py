#!/usr/bin/env python3
"""Syntax check of every handwritten Swift file (swift-package/: Package.swift, Sources, Tests;
not the gitignored Generated/) with tree-sitter-swift. Fails, naming file:line, on any ERROR or
MISSING node. Installs tree-sitter and tree-sitter-swift from PyPI when missing. A self-test
first proves that a broken file is caught.
    python3 scripts/check-swift.py [files...]"""
import os, subprocess, sys, tempfile

def ensure(mod, pkg):
    try:
        __import__(mod)
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", pkg])

ensure("tree_sitter", "tree-sitter")
ensure("tree_sitter_swift", "tree-sitter-swift")
import tree_sitter, tree_sitter_swift  # noqa: E402

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))

def problems(path):
    src = open(path, "rb").read()
    tree = PARSER.parse(src)
    out = []
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            kind = "missing " + n.type if n.is_missing else "syntax error"
            snippet = src[n.start_byte:n.end_byte][:60].decode("utf-8", "replace").replace("\n", "⏎")
            out.append(f"{path}:{n.start_point[0] + 1}:{n.start_point[1] + 1}: {kind} near '{snippet}'")
            continue
        if n.has_error:
            stack.extend(n.children)
    return sorted(out)

def self_test():
    with tempfile.NamedTemporaryFile("w", suffix=".swift", delete=False) as f:
        f.write("public final class Broken {\n    func f( -> Int { return 1 }\n")
        bad = f.name
    with tempfile.NamedTemporaryFile("w", suffix=".swift", delete=False) as f:
        f.write("public struct Fine { public let x: Int; public func f() async throws -> Int { x } }\n")
        good = f.name
    try:
        assert problems(bad), "self-test: a broken file was not caught"
        assert not problems(good), "self-test: a valid file was rejected: %s" % problems(good)
    finally:
        os.unlink(bad); os.unlink(good)

def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "swift-package")
    files = sys.argv[1:]
    if not files:
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in ("Generated", ".build", "build")]
            files += [os.path.join(d, n) for n in names if n.endswith(".swift")]
    files = sorted(os.path.normpath(f) for f in files)
    if not files:
        print("no Swift files found under swift-package/")
        print("0 passed, 1 failed")
        return 1
    self_test()
    passed = failed = 0
    for f in files:
        p = problems(f)
        if p:
            failed += 1
            print("\n".join(p))
        else:
            passed += 1
            print(f"ok  {os.path.relpath(f)}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
