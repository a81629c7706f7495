#!/usr/bin/env python3
"""What compiled JVM classes declare and what they reference, read from the class files.

A small class-file reader (the constant pool and the member tables, nothing else), shared by
scripts/check-api-level.py and scripts/check-android-sources.sh. No dependency beyond Python.

    python3 scripts/classrefs.py refs  JAR_OR_DIR... [--prefix java.]   # referenced classes/members
    python3 scripts/classrefs.py decls JAR_OR_DIR...                    # declared classes/members

Output, one per line: `class a.b.C`, `field a.b.C.name:desc`, `method a.b.C.name(desc)`.
`refs` lists references to classes *not* defined in the inputs (a jar's own classes are not
interesting), with `--prefix` to keep only some packages.
"""
import os
import struct
import sys
import zipfile


def iter_class_files(paths):
    """(name, bytes) of every .class in jars and directories; multi-release and module-info skipped."""
    for p in paths:
        if os.path.isdir(p):
            for d, _, files in os.walk(p):
                for f in sorted(files):
                    if f.endswith(".class") and f != "module-info.class":
                        full = os.path.join(d, f)
                        with open(full, "rb") as fh:
                            yield os.path.relpath(full, p), fh.read()
        else:
            with zipfile.ZipFile(p) as z:
                for n in z.namelist():
                    if n.endswith(".class") and not n.endswith("module-info.class") and not n.startswith("META-INF/"):
                        yield n, z.read(n)


class ClassFile:
    """The parts of a class file this project needs."""

    def __init__(self, data):
        if data[:4] != b"\xca\xfe\xba\xbe":
            raise ValueError("not a class file")
        self.minor, self.major = struct.unpack(">HH", data[4:8])
        count = struct.unpack(">H", data[8:10])[0]
        pool = [None] * count
        pos = 10
        i = 1
        while i < count:
            tag = data[pos]
            if tag == 1:  # Utf8
                n = struct.unpack(">H", data[pos + 1:pos + 3])[0]
                pool[i] = (1, data[pos + 3:pos + 3 + n].decode("utf-8", "replace"))
                pos += 3 + n
            elif tag in (3, 4):  # Integer, Float
                pool[i] = (tag, None); pos += 5
            elif tag in (5, 6):  # Long, Double: two slots
                pool[i] = (tag, None); pos += 9; i += 1
            elif tag in (7, 8, 16, 19, 20):  # Class, String, MethodType, Module, Package
                pool[i] = (tag, struct.unpack(">H", data[pos + 1:pos + 3])[0]); pos += 3
            elif tag in (9, 10, 11, 12, 17, 18):  # refs, NameAndType, Dynamic, InvokeDynamic
                pool[i] = (tag, struct.unpack(">HH", data[pos + 1:pos + 5])); pos += 5
            elif tag == 15:  # MethodHandle
                pool[i] = (tag, (data[pos + 1], struct.unpack(">H", data[pos + 2:pos + 4])[0])); pos += 4
            else:
                raise ValueError(f"unknown constant pool tag {tag}")
            i += 1
        self.pool = pool
        self.access, this_cls, super_cls = struct.unpack(">HHH", data[pos:pos + 6])
        pos += 6
        self.name = self.class_name(this_cls)
        self.super = self.class_name(super_cls) if super_cls else None
        n_if = struct.unpack(">H", data[pos:pos + 2])[0]
        pos += 2
        self.interfaces = [self.class_name(struct.unpack(">H", data[pos + 2 * k:pos + 2 * k + 2])[0]) for k in range(n_if)]
        pos += 2 * n_if
        self.fields, pos = self._members(data, pos)
        self.methods, pos = self._members(data, pos)

    def utf8(self, i):
        return self.pool[i][1]

    def class_name(self, i):
        return self.utf8(self.pool[i][1]).replace("/", ".")

    def _members(self, data, pos):
        out = []
        n = struct.unpack(">H", data[pos:pos + 2])[0]
        pos += 2
        for _ in range(n):
            access, name, desc, n_attr = struct.unpack(">HHHH", data[pos:pos + 8])
            pos += 8
            for _ in range(n_attr):
                length = struct.unpack(">I", data[pos + 2:pos + 6])[0]
                pos += 6 + length
            out.append((access, self.utf8(name), self.utf8(desc)))
        return out, pos

    def references(self):
        """Referenced classes and members: ('class', name) and ('field'|'method', owner, name, desc)."""
        out = set()
        for entry in self.pool:
            if entry is None:
                continue
            tag, val = entry
            if tag == 7:
                name = self.utf8(val)
                while name.startswith("["):
                    name = name[1:]
                if name.startswith("L") and name.endswith(";"):
                    name = name[1:-1]
                if len(name) > 1 or name not in "BCDFIJSZV":
                    out.add(("class", name.replace("/", ".")))
            elif tag in (9, 10, 11):
                owner = self.class_name(val[0])
                if owner.startswith("["):
                    continue  # array clone() etc.
                nt = self.pool[val[1]][1]
                kind = "field" if tag == 9 else "method"
                out.add((kind, owner, self.utf8(nt[0]), self.utf8(nt[1])))
        return out


def load(paths):
    return [ClassFile(data) for _, data in iter_class_files(paths)]


def fmt(ref):
    if ref[0] == "class":
        return f"class {ref[1]}"
    if ref[0] == "field":
        return f"field {ref[1]}.{ref[2]}:{ref[3]}"
    return f"method {ref[1]}.{ref[2]}{ref[3]}"


def references(classes, prefixes=()):
    defined = {c.name for c in classes}
    refs = set()
    for c in classes:
        for r in c.references():
            owner = r[1]
            if owner in defined:
                continue
            if prefixes and not owner.startswith(tuple(prefixes)):
                continue
            refs.add(r)
    return refs


def declarations(classes):
    """Declared classes and their public or protected members (the API others can use)."""
    ACC_PUBLIC, ACC_PROTECTED, ACC_SYNTHETIC = 0x0001, 0x0004, 0x1000
    out = set()
    for c in classes:
        out.add(("class", c.name))
        for kind, members in (("field", c.fields), ("method", c.methods)):
            for access, name, desc in members:
                if (access & ACC_SYNTHETIC) or not (access & (ACC_PUBLIC | ACC_PROTECTED)):
                    continue
                out.add((kind, c.name, name, desc))
    return out


def main(argv):
    if len(argv) < 2 or argv[0] not in ("refs", "decls"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    prefixes = []
    paths = []
    i = 0
    while i < len(rest):
        if rest[i] == "--prefix":
            prefixes.append(rest[i + 1]); i += 2
        else:
            paths.append(rest[i]); i += 1
    classes = load(paths)
    items = references(classes, prefixes) if cmd == "refs" else declarations(classes)
    for line in sorted(fmt(r) for r in items):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
