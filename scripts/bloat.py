#!/usr/bin/env python3
"""Where the bytes of a shared library go, per crate: sums symbol sizes from `nm` (demangled)
by the crate that owns each symbol. An equivalent of `cargo bloat --crates` that also works for
crates with several crate types (cargo-bloat refuses cdylib+staticlib+lib).
    python3 scripts/bloat.py target/release-mobile/libvideokit_ffi.so [N]"""
import collections, re, subprocess, sys

lib = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
out = subprocess.run(["nm", "-C", "--size-sort", "-S", lib], capture_output=True, text=True, check=True).stdout
sizes = collections.Counter()
total = 0
for line in out.splitlines():
    parts = line.split(None, 3)
    if len(parts) < 4 or parts[2].lower() not in ("t", "w", "r", "d", "b"):
        continue
    size = int(parts[1], 16)
    name = parts[3]
    total += size
    m = re.match(r"^(?:<)?(?:&|\*const |\*mut |dyn )?([A-Za-z_][A-Za-z0-9_]*)::", name)
    if name.startswith("<") and " as " in name:
        # <impl Type as Trait>::method: attribute to the crate of the implementing type
        inner = name[1:]
        m2 = re.match(r"^(?:&|\*const |\*mut |dyn )?([A-Za-z_][A-Za-z0-9_]*)::", inner)
        crate = m2.group(1) if m2 else "[impl]"
    elif m:
        crate = m.group(1)
    elif name.startswith("uniffi_") or name.startswith("ffi_"):
        crate = "videokit_ffi (scaffolding)"
    else:
        crate = "[C / unmangled]"
    sizes[crate] += size
print(f"{'bytes':>10}  {'share':>6}  crate")
for crate, size in sizes.most_common(top):
    print(f"{size:>10}  {100*size/total:5.1f}%  {crate}")
print(f"{total:>10}  100.0%  total of sized symbols")
