#!/usr/bin/env python3
"""16 KB page-size check of native libraries: every LOAD segment of every ELF shared library
must be aligned to at least 16384 bytes (what Android 15+ devices with 16 KB pages, and Google
Play, require). Reads the ELF program headers itself: no NDK, readelf or objdump needed.

    python3 scripts/check-elf-alignment.py PATH...   # .so files, directories, .aar/.apk/.jar/.zip
    python3 scripts/check-elf-alignment.py --min 4096 PATH...
    python3 scripts/check-elf-alignment.py --64-bit-only PATH...   # report 32-bit ones, require 64-bit

16 KB-page devices are 64-bit (arm64-v8a, x86_64): Google Play requires the alignment there.
With --64-bit-only a 32-bit library (armeabi-v7a, x86) is reported but does not fail.

A directory is searched for *.so; an archive's *.so entries are read in place (an AAR's
jni/<abi>/, an APK's lib/<abi>/). One line per library:

    jni/arm64-v8a/libvideokit_ffi.so: aarch64, 2 LOAD, min align 16384 (2**14): ok
    lib/libx.so: x86_64, 4 LOAD, min align 4096 (2**12): NOT 16 KB aligned

Exit 0 when every library passes, 1 when one does not or none was found, 2 on bad input.
"""
import os
import struct
import sys
import zipfile

PT_LOAD = 1
MACHINES = {3: "x86", 40: "arm", 62: "x86_64", 183: "aarch64", 243: "riscv"}


def load_alignments(data):
    """(machine, bits, [p_align of each PT_LOAD]) of an ELF image; ValueError if it is not one."""
    if data[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        raise ValueError("unknown ELF class or byte order")
    end = "<" if ei_data == 1 else ">"
    machine = struct.unpack(end + "H", data[18:20])[0]
    if ei_class == 2:  # ELF64
        phoff = struct.unpack(end + "Q", data[32:40])[0]
        phentsize, phnum = struct.unpack(end + "HH", data[54:58])
    else:  # ELF32
        phoff = struct.unpack(end + "I", data[28:32])[0]
        phentsize, phnum = struct.unpack(end + "HH", data[42:46])
    aligns = []
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + phentsize > len(data):
            raise ValueError("truncated program headers")
        p_type = struct.unpack(end + "I", data[off:off + 4])[0]
        if p_type != PT_LOAD:
            continue
        if ei_class == 2:
            p_align = struct.unpack(end + "Q", data[off + 48:off + 56])[0]
        else:
            p_align = struct.unpack(end + "I", data[off + 28:off + 32])[0]
        aligns.append(p_align)
    return MACHINES.get(machine, f"machine {machine}"), 64 if ei_class == 2 else 32, aligns


def libraries(path):
    """(display name, bytes) of every shared library under path."""
    if os.path.isdir(path):
        for d, _, files in sorted(os.walk(path)):
            for f in sorted(files):
                if f.endswith(".so") or ".so." in f:
                    p = os.path.join(d, f)
                    with open(p, "rb") as fh:
                        yield p, fh.read()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for n in sorted(z.namelist()):
                if n.endswith(".so"):
                    yield f"{path}!{n}", z.read(n)
    else:
        with open(path, "rb") as fh:
            yield path, fh.read()


def main(argv):
    minimum = 16384
    only64 = False
    paths = []
    i = 0
    while i < len(argv):
        if argv[i] == "--min":
            minimum = int(argv[i + 1]); i += 2
        elif argv[i] == "--64-bit-only":
            only64 = True; i += 1
        elif argv[i] in ("-h", "--help"):
            print(__doc__); return 0
        else:
            paths.append(argv[i]); i += 1
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    found = bad = 0
    for p in paths:
        if not os.path.exists(p):
            print(f"{p}: no such file or directory", file=sys.stderr)
            return 2
        for name, data in libraries(p):
            found += 1
            try:
                machine, bits, aligns = load_alignments(data)
            except ValueError as e:
                print(f"{name}: {e}: NOT checked")
                bad += 1
                continue
            if not aligns:
                print(f"{name}: {machine}, no LOAD segment: NOT 16 KB aligned")
                bad += 1
                continue
            low = min(aligns)
            ok = low >= minimum and all(a & (a - 1) == 0 for a in aligns)
            power = low.bit_length() - 1
            verdict = "ok" if ok else f"NOT {minimum // 1024} KB aligned"
            if not ok and only64 and bits == 32:
                verdict += " (32-bit: reported, not required)"
                ok = True
            print(f"{name}: {machine}, {len(aligns)} LOAD, min align {low} (2**{power}): {verdict}")
            bad += 0 if ok else 1
    if not found:
        print("check-elf-alignment: no shared library found in " + " ".join(paths))
        return 1
    print(f"check-elf-alignment: {found - bad} of {found} libraries aligned to {minimum} bytes or more")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
