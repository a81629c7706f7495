#!/usr/bin/env python3
"""The Swift and Kotlin layers must offer the same API ("thin and mirror each other").

Parses the handwritten Swift layer (swift-package/Sources/VideoKitCore/*.swift, not Generated/)
with tree-sitter-swift and the Kotlin layer (android-aar/src/main/kotlin/io/videokit/core/*.kt
and the Android-only android-aar/src/android/kotlin/io/videokit/core/*.kt) with
tree-sitter-kotlin, collects the public members of every shared type, normalises their names
with the small table of deliberate platform differences below, and fails when a member, or a
public type, exists on one side only. Installs tree-sitter, tree-sitter-swift and
tree-sitter-kotlin from PyPI when missing.

What counts as a member: public functions (key: the name; `start`/`awaitStart` also by their
first argument label; a completion/callback form by "(callback)"), public properties (also
Kotlin constructor `val`s and companion-object members), enum cases, protocol/interface
requirements. Initialisers/constructors are not compared (Swift and Kotlin build values
differently). Names compare case-insensitively without underscores, so `httpStatus` ==
`HTTP_STATUS` and `tokenURL` == `tokenUrl`.

    python3 scripts/check-api-parity.py        # exit 1 on any difference; last line `N passed, N failed`
"""
import glob
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SWIFT_GLOB = "swift-package/Sources/VideoKitCore/*.swift"
KOTLIN_GLOBS = ["android-aar/src/main/kotlin/io/videokit/core/*.kt", "android-aar/src/android/kotlin/io/videokit/core/*.kt"]

# Shared types: Swift name -> Kotlin name.
TYPES = {
    "VKSession": "VKSession",
    "VKConfiguration": "VKConfiguration",
    "VKSessionData": "VKSessionData",
    "VKError": "VKException",
    "VKErrorKind": "VKErrorKind",
    "VKSessionState": "VKSessionState",
    "VKSourceKind": "VKSourceKind",
    "VKStateChange": "VKStateChange",
    "VKProvidedToken": "VKProvidedToken",
    "VKLogLevel": "VKLogLevel",
    "VKLogger": "VKLogger",
    "VKTokenProvider": "VKTokenProvider",
    "VKSessionStore": "VKSessionStore",
    "VKListenerToken": "VKListenerHandle",
    "VKKalturaConfiguration": "VKKalturaConfiguration",
    "VKKalturaInfo": "VKKalturaInfo",
    "VKKalturaHashType": "VKKalturaHashType",
    "VKKalturaSessionType": "VKKalturaSessionType",
    "VKVideoSdkClaims": "VKVideoSdkClaims",
    "VKVideoSdkPermission": "VKVideoSdkPermission",
    "VKVideoSdkRole": "VKVideoSdkRole",
    "VKVideoSdk": "VKVideoSdk",
    "VKTokenEvent": "VKTokenEvent",
    "VKSessionProtocol": "VKSessionApi",   # what the rest of an app uses; mockable
}

# Public types that exist on one platform by design, with what stands for them on the other.
PLATFORM_TYPES = {
    "swift": {
        "VKKeychainStore": "Kotlin: VKSharedPreferencesStore (the platform's secret store)",
        "VKOSLogLogger": "Kotlin: VKLogcatLogger (the platform's log)",
    },
    "kotlin": {
        "VKSharedPreferencesStore": "Swift: VKKeychainStore",
        "VKLogcatLogger": "Swift: VKOSLogLogger",
        "VKCompletion": "Swift: the closure type VKSession.Completion",
        "VKTokenCallback": "Swift: the closure of token(completion:)",
        "VKStateListener": "Swift: the closure of addListener(_:)",
        "VKBlockingTokenProvider": "Swift: blocking code runs in an async provider (no JVM-style blocking base class)",
        "VKTokenListener": "Swift: the closure of addTokenListener(_:)",
        "VKRefreshCallback": "Swift: refresh() is async; Java needs a callback form",
        "VKForegroundTracker": "Swift: ForegroundObserver (internal; NotificationCenter does the counting Android's activity callbacks need)",
    },
}

# Deliberate spelling differences, per type: (Swift type, Swift member key) -> Kotlin member key.
NAME_MAP = {
    ("VKConfiguration", "callbackqueue"): "callbackexecutor",   # DispatchQueue / Executor
    ("VKVideoSdk", "check"): "checkat",                        # check(token:at:) / checkAt(token, now)
}
# How the async forms are spelled: Swift overloads `start(...) async throws`, Kotlin cannot
# overload a suspend fun with the callback fun of the same parameters and names it awaitStart.
# (Applied in the key functions: Swift async start -> "awaitstart(label)".)

# Members that exist on one platform by design (protocol conformances / Object methods).
ONLY_SWIFT = {"*": {"description", "debugdescription", "custommirror", "errordescription"}}
ONLY_KOTLIN = {
    "*": {"tostring", "equals", "hashcode"},
    "VKListenerHandle": {"close"},
    # close(): a JVM object has no deterministic deinit; tokenAsync/refreshAsync: Java's
    # CompletableFuture forms of the suspend functions; foreground: the activity-callback
    # counter Android needs (Swift observes NotificationCenter internally).
    "VKSession": {"close", "tokenasync", "refreshasync", "foreground"},
    # builder()/toBuilder(): Java has no named arguments (Swift's memberwise init has them).
    "VKConfiguration": {"builder", "tobuilder"},
}

CALLBACK_TYPES = {"VKCompletion", "VKTokenCallback"}


def ensure(mod, pkg):
    try:
        __import__(mod)
    except ImportError:
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-input", pkg]
        if subprocess.call(cmd) != 0:
            subprocess.check_call(cmd + ["--break-system-packages"])


for _m, _p in (("tree_sitter", "tree-sitter"), ("tree_sitter_swift", "tree-sitter-swift"), ("tree_sitter_kotlin", "tree-sitter-kotlin")):
    ensure(_m, _p)
import tree_sitter  # noqa: E402
import tree_sitter_kotlin  # noqa: E402
import tree_sitter_swift  # noqa: E402

SWIFT = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
KOTLIN = tree_sitter.Parser(tree_sitter.Language(tree_sitter_kotlin.language()))


def norm(name):
    return name.replace("`", "").replace("_", "").lower()


def parse(parser, path):
    src = open(path, "rb").read()
    tree = parser.parse(src)
    errors = []
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            errors.append(f"{os.path.relpath(path, ROOT)}:{n.start_point[0] + 1}: cannot parse")
            continue
        if n.has_error:
            stack.extend(n.children)
    return src, tree, errors


def t(src, n):
    return src[n.start_byte:n.end_byte].decode("utf-8", "replace")


# ---------------------------------------------------------------- Swift

def swift_public(src, n):
    for c in n.named_children:
        if c.type == "modifiers":
            return any(m.type == "visibility_modifier" and t(src, m) in ("public", "open") for m in c.named_children)
    return False


def swift_name(src, n):
    for c in n.named_children:
        if c.type in ("type_identifier", "simple_identifier"):
            return t(src, c)
        if c.type == "user_type":
            return t(src, c)
    return None


def swift_fn_key(src, fn):
    name = swift_name(src, fn)
    params = [c for c in fn.named_children if c.type == "parameter"]
    labels = []
    for p in params:
        ids = [x for x in p.named_children if x.type == "simple_identifier"]
        labels.append(t(src, ids[0]) if ids else "_")
    is_async = any(c.type == "async" for c in fn.children)
    if name == "start":
        first = labels[0] if labels and labels[0] != "_" else ""
        return ("awaitstart" if is_async else "start") + f"({norm(first)})"
    if "completion" in labels:
        return norm(name) + "(callback)"
    if name == "from" and labels and labels[0] != "_":
        # Swift `from(wireName:)` is Kotlin `fromWireName(…)`: the label is part of the name.
        return norm(name + labels[0])
    return norm(name)


def swift_api(files):
    api, types, errors = {}, {}, []
    for f in files:
        src, tree, errs = parse(SWIFT, f)
        errors += errs
        for n in tree.root_node.named_children:
            if n.type not in ("class_declaration", "protocol_declaration"):
                continue
            kind = n.child_by_field_name("declaration_kind")
            kind = t(src, kind) if kind is not None else "protocol"
            name = swift_name(src, n)
            if kind != "extension":
                if not swift_public(src, n):
                    continue
                types[name] = kind
            members = api.setdefault(name, set())
            body = next((c for c in n.named_children if c.type in ("class_body", "enum_class_body", "protocol_body")), None)
            if body is None:
                continue
            for m in body.named_children:
                if m.type == "function_declaration" and swift_public(src, m):
                    members.add(swift_fn_key(src, m))
                elif m.type == "protocol_function_declaration":
                    members.add(swift_fn_key(src, m))
                elif m.type in ("property_declaration", "protocol_property_declaration") and (m.type.startswith("protocol") or swift_public(src, m)):
                    for p in m.named_children:
                        if p.type == "pattern":
                            # a protocol's `var x: T { get }` parses with its `var` inside the pattern
                            members.add(norm(t(src, p)).removeprefix("var ").strip())
                elif m.type == "enum_entry":
                    for c in m.named_children:
                        if c.type == "simple_identifier":
                            members.add(norm(t(src, c)))
    return {k: v for k, v in api.items() if k in types}, types, errors


# ---------------------------------------------------------------- Kotlin

def kt_visible(src, n):
    for c in n.named_children:
        if c.type == "modifiers":
            return not any(m.type == "visibility_modifier" and t(src, m) in ("private", "internal", "protected") for m in c.named_children)
    return True


def kt_ident(src, n):
    for c in n.named_children:
        if c.type in ("identifier", "simple_identifier", "type_identifier"):
            return t(src, c)
    return None


def kt_fn_key(src, fn):
    name = kt_ident(src, fn)
    params = []
    for c in fn.named_children:
        if c.type == "function_value_parameters":
            params = [p for p in c.named_children if p.type == "parameter"]
    first = kt_ident(src, params[0]) if params else ""
    if name in ("start", "awaitStart"):
        return norm(name) + f"({norm(first or '')})"
    for p in params:
        types = {t(src, x) for x in walk(p) if x.type in ("user_type", "identifier", "type_identifier")}
        if types & CALLBACK_TYPES:
            return norm(name) + "(callback)"
    return norm(name)


def walk(n):
    stack = [n]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(x.children)


def kt_body_members(src, body, members):
    for m in body.named_children:
        if m.type == "function_declaration" and kt_visible(src, m):
            members.add(kt_fn_key(src, m))
        elif m.type == "property_declaration" and kt_visible(src, m):
            for v in m.named_children:
                if v.type == "variable_declaration":
                    members.add(norm(kt_ident(src, v)))
        elif m.type == "companion_object" and kt_visible(src, m):
            for b in m.named_children:
                if b.type == "class_body":
                    kt_body_members(src, b, members)
        elif m.type == "enum_entry":
            members.add(norm(kt_ident(src, m)))


def kotlin_api(files):
    api, types, errors = {}, {}, []
    for f in files:
        src, tree, errs = parse(KOTLIN, f)
        errors += errs
        for n in tree.root_node.named_children:
            if n.type not in ("class_declaration", "object_declaration") or not kt_visible(src, n):
                continue
            name = kt_ident(src, n)
            if not name or not name.startswith("VK"):
                continue
            head = t(src, n).split("{")[0]
            types[name] = "interface" if "interface " in head else ("enum" if "enum " in head else "class")
            members = api.setdefault(name, set())
            for c in n.named_children:
                if c.type == "primary_constructor":
                    for cp in walk(c):
                        if cp.type == "class_parameter" and kt_visible(src, cp):
                            words = [x.type for x in cp.children]
                            if "val" in words or "var" in words:
                                members.add(norm(kt_ident(src, cp)))
                elif c.type in ("class_body", "enum_class_body"):
                    kt_body_members(src, c, members)
    return api, types, errors


# ---------------------------------------------------------------- main

def main():
    swift_files = sorted(glob.glob(os.path.join(ROOT, SWIFT_GLOB)))
    kotlin_files = sorted(f for g in KOTLIN_GLOBS for f in glob.glob(os.path.join(ROOT, g)))
    if not swift_files:
        print(f"no Swift layer found ({SWIFT_GLOB})")
        print("0 passed, 1 failed")
        return 1
    if not kotlin_files:
        print(f"no Kotlin layer found ({', '.join(KOTLIN_GLOBS)}): nothing to compare the Swift API with yet")
        print("0 passed, 1 failed")
        return 1
    sw, sw_types, sw_err = swift_api(swift_files)
    kt, kt_types, kt_err = kotlin_api(kotlin_files)
    print(f"Swift:  {len(swift_files)} files, {len(sw_types)} public types (tree-sitter-swift)")
    print(f"Kotlin: {len(kotlin_files)} files, {len(kt_types)} public types (tree-sitter-kotlin)")
    print("name table: Swift async start(...) = Kotlin awaitStart(...); Swift from(wireName:) = Kotlin fromWireName(...); "
          + "; ".join(f"{s}.{m} = {k}" for (s, m), k in NAME_MAP.items()))
    passed = failed = 0
    for e in sw_err + kt_err:
        failed += 1
        print(f"FAIL {e} (tree-sitter), so the comparison may be incomplete")

    for s_name, k_name in TYPES.items():
        label = s_name if s_name == k_name else f"{s_name}/{k_name}"
        in_s, in_k = s_name in sw, k_name in kt
        if not in_s and not in_k:
            print(f"--   {label}: on neither side")
            continue
        if not in_s or not in_k:
            failed += 1
            side = "Swift" if in_s else "Kotlin"
            members = sorted(sw.get(s_name) or kt.get(k_name) or [])
            print(f"FAIL {label}: exists only in {side} ({len(members)} members: {', '.join(members)})")
            continue
        s = {NAME_MAP.get((s_name, m), m) for m in sw[s_name]} - ONLY_SWIFT["*"] - ONLY_SWIFT.get(s_name, set())
        k = set(kt[k_name]) - ONLY_KOTLIN["*"] - ONLY_KOTLIN.get(k_name, set())
        only_s, only_k = sorted(s - k), sorted(k - s)
        if only_s or only_k:
            failed += 1
            print(f"FAIL {label}: only in Swift {only_s}; only in Kotlin {only_k}")
        else:
            passed += 1
            print(f"ok   {label}: {len(s)} members ({', '.join(sorted(s))})")

    shared_s, shared_k = set(TYPES), set(TYPES.values())
    for lang, found, shared in (("swift", sw_types, shared_s), ("kotlin", kt_types, shared_k)):
        for name in sorted(found):
            if name in shared:
                continue
            why = PLATFORM_TYPES[lang].get(name)
            if why:
                print(f"--   {name}: {lang.capitalize()} only by design ({why})")
            else:
                failed += 1
                print(f"FAIL {name}: a public {lang.capitalize()} type with no counterpart (add it to the other layer, "
                      "or to TYPES / PLATFORM_TYPES in this script)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
