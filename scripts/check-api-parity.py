#!/usr/bin/env python3
"""The Swift and Kotlin layers must offer the same API. Extracts the public members of the
shared types from swift-package/Sources/VideoKitCore/*.swift and
android-aar/src/main/kotlin/io/videokit/core/*.kt, normalises names with the small table of
deliberate differences below, and fails when a member exists on one side only.
    python3 scripts/check-api-parity.py"""
import glob, os, re, sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# Types compared: Swift name -> Kotlin name.
TYPES = {
    "VKSession": "VKSession",
    "VKConfiguration": "VKConfiguration",
    "VKSessionData": "VKSessionData",
    "VKError": "VKException",
    "VKErrorKind": "VKErrorKind",
    "VKSessionState": "VKSessionState",
    "VKSourceKind": "VKSourceKind",
    "VKStateChange": "VKStateChange",
    "VKKalturaConfiguration": "VKKalturaConfiguration",
    "VKKalturaInfo": "VKKalturaInfo",
    "VKVideoSdkClaims": "VKVideoSdkClaims",
    "VKVideoSdk": "VKVideoSdk",
    "VKKalturaHashType": "VKKalturaHashType",
    "VKVideoSdkPermission": "VKVideoSdkPermission",
}

# Deliberate spelling differences (platform conventions), applied to both sides' names.
NAME_MAP = {
    "tokenurl": "tokenurl",
    "videosdktokenurl": "videosdktokenurl",
    "gatewayurl": "gatewayurl",
    "serviceurl": "serviceurl",
    "allowinsecurehttp": "allowinsecurehttp",
    "callbackqueue": "callbackexecutor",  # DispatchQueue on iOS, Executor on Android
    "checkat": "check",                   # Swift check(token:at:) / Kotlin checkAt(token, now)
}

# Members that exist on one platform by design.
ONLY_SWIFT = {
    "VKError": {"errordescription", "description"},   # LocalizedError / CustomStringConvertible
    "VKSessionData": {"description", "debugdescription"},
    "VKStateChange": {"description"},
    "VKKalturaConfiguration": {"description"},
    "VKErrorKind": {"from"},                           # Kotlin: fromWireName
}
KOTLIN_OBJECT_METHODS = {"equals", "hashcode", "tostring", "component1", "copy"}
ONLY_KOTLIN = {
    "VKErrorKind": {"fromwirename", "entries", "values", "valueof"},
    "VKException": {"message", "tostring"},
    "VKSessionData": {"tostring"},
    "VKStateChange": {"tostring"},
    "VKKalturaConfiguration": {"tostring"},
}


def norm(name):
    n = name.lower().replace("_", "")
    return NAME_MAP.get(n, n)


def strip_comments(src):
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    return re.sub(r"//[^\n]*", "", src)


def bodies(src, kind_re):
    """Yield (type name, body text) for each top-level type declaration."""
    for m in re.finditer(kind_re, src):
        name = m.group("name")
        i = src.find("{", m.end())
        if i < 0:
            continue
        # A Kotlin primary constructor before the body holds properties too.
        header = src[m.end():i]
        depth, j = 0, i
        while j < len(src):
            if src[j] == "{":
                depth += 1
            elif src[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        yield name, header, src[i + 1:j]


def top_level(body):
    """Only depth-0 text of a body (drop nested function bodies)."""
    out, depth = [], 0
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def swift_api():
    api = {}
    src = "\n".join(strip_comments(open(f).read()) for f in glob.glob(os.path.join(ROOT, "swift-package/Sources/VideoKitCore/*.swift")))
    for name, _header, body in bodies(src, r"public\s+(?:final\s+)?(?:class|struct|enum)\s+(?P<name>VK\w+)"):
        members = set()
        flat = top_level(body)
        for m in re.finditer(r"public\s+(?:static\s+)?func\s+(\w+)\s*\(([^)]*)\)\s*(async)?", flat):
            fname, params, is_async = m.group(1), m.group(2), m.group(3)
            first = params.split(",")[0].strip()
            label = first.split(":")[0].split()[0] if first else ""
            if fname == "start":
                members.add(("awaitstart" if is_async else "start") + f"({norm(label)})")
            elif fname == "token" and "completion" in params:
                members.add("token(callback)")
            else:
                members.add(norm(fname))
        for m in re.finditer(r"public\s+(?:static\s+)?(?:let|var)\s+(\w+)", flat):
            members.add(norm(m.group(1)))
        for m in re.finditer(r"^\s*case\s+([^\n=]+)", flat, flags=re.M):
            for c in m.group(1).split(","):
                c = c.strip().strip("`")
                if re.match(r"^\w+$", c):
                    members.add(norm(c))
        api[name] = members
    return api


def kotlin_types(src):
    """(name, primary-constructor text, body text) of each public top-level Kotlin type."""
    for m in re.finditer(r"(?<![\w.])((?:private|internal)\s+)?(?:data\s+|enum\s+|sealed\s+|open\s+)?(?:class|object)\s+(?P<name>VK\w+)", src):
        if m.group(1):
            continue
        i = m.end()
        header = ""
        k = i
        while k < len(src) and src[k] not in "({\n":
            k += 1
        # skip annotations / `constructor` before a primary constructor on the same line
        if k < len(src) and src[k] == "(":
            depth, j = 0, k
            while j < len(src):
                depth += {"(": 1, ")": -1}.get(src[j], 0)
                if depth == 0:
                    break
                j += 1
            header = src[k + 1:j]
            i = j + 1
        rest = src[i:]
        stripped = rest.lstrip()
        # optional supertypes `: Exception(detail)` before the body
        nxt = re.match(r"\s*(?::[^{\n]*)?\s*\{", rest)
        if not nxt:
            yield m.group("name"), header, ""
            continue
        b = i + nxt.end() - 1
        depth, j = 0, b
        while j < len(src):
            depth += {"{": 1, "}": -1}.get(src[j], 0)
            if depth == 0:
                break
            j += 1
        yield m.group("name"), header, src[b + 1:j]


def kotlin_api():
    api = {}
    files = glob.glob(os.path.join(ROOT, "android-aar/src/main/kotlin/io/videokit/core/*.kt"))
    src = "\n".join(strip_comments(open(f).read()) for f in files)
    for name, header, body in kotlin_types(src):
        members = set()
        flat = top_level(body)
        # The companion object's public members belong to the type (VKSession.current).
        for cm in re.finditer(r"companion\s+object\s*\{", body):
            depth, j = 0, cm.end() - 1
            while j < len(body):
                depth += {"{": 1, "}": -1}.get(body[j], 0)
                if depth == 0:
                    break
                j += 1
            flat += "\n" + top_level(body[cm.end():j])
        # Nested classes' constructor parameters are not members of this type.
        flat = re.sub(r"(?:(?:private|internal|data|inner)\s+)*class\s+\w+\s*\([^)]*\)", "", flat)
        decls = header + "\n" + flat
        for m in re.finditer(r"(?<![\w@])(?:(?:override|open|suspend|inline|operator)\s+)*fun\s+(\w+)\s*\(([^)]*)\)", flat):
            pre = flat[max(0, m.start() - 40):m.start()]
            if re.search(r"\b(private|internal)\s+(?:\w+\s+)*$", pre):
                continue
            fname, params = m.group(1), m.group(2)
            first = params.split(",")[0].strip()
            label = first.split(":")[0].strip() if first else ""
            is_suspend = "suspend" in flat[max(0, m.start() - 12):m.start() + 12]
            if fname in ("start", "awaitStart"):
                members.add(f"{fname.lower()}({norm(label)})")
            elif fname == "token" and not is_suspend and "callback" in params.lower():
                members.add("token(callback)")
            else:
                members.add(norm(fname))
        for m in re.finditer(r"(?<![\w@])(?:(?:override|open|lateinit)\s+)*(?:val|var)\s+(\w+)", decls):
            pre = decls[max(0, m.start() - 40):m.start()]
            if re.search(r"\b(private|internal)\s+(?:\w+\s+)*$", pre):
                continue
            members.add(norm(m.group(1)))
        if re.search(r"enum\s+class\s+" + name + r"\b", src):
            entries = flat.split(";")[0]
            for e in entries.split(","):
                e = e.strip().split("(")[0].strip()
                if re.match(r"^[A-Z][A-Z0-9_]*$", e):
                    members.add(norm(e))
        api[name] = members
    return api


def main():
    sw, kt = swift_api(), kotlin_api()
    if not kt:
        print("no Kotlin layer found under android-aar/src/main/kotlin/io/videokit/core")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for s_name, k_name in TYPES.items():
        if s_name not in sw and k_name not in kt:
            print(f"--  {s_name}: on neither side yet")
            continue
        if s_name not in sw or k_name not in kt:
            failed += 1
            print(f"FAIL {s_name}/{k_name}: exists only in {'Swift' if s_name in sw else 'Kotlin'}")
            continue
        s = {m for m in sw[s_name] if m not in ONLY_SWIFT.get(s_name, set())}
        k = {m for m in kt[k_name] if m not in KOTLIN_OBJECT_METHODS and m not in ONLY_KOTLIN.get(k_name, set()) and m not in ONLY_KOTLIN.get(s_name, set())}
        # Instance helpers that exist on both sides under one name but are computed vs stored.
        only_s, only_k = sorted(s - k), sorted(k - s)
        if only_s or only_k:
            failed += 1
            print(f"FAIL {s_name}/{k_name}: Swift only {only_s}; Kotlin only {only_k}")
        else:
            passed += 1
            print(f"ok   {s_name}/{k_name}: {len(s)} members")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
