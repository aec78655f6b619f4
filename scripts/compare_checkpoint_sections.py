#!/usr/bin/env python3
"""Compares the sections of two checkpoints byte for byte: networks, targets, optimizer moments, RNG state
and iteration. Reads both the current format (magic MTFCKPT2: JSON metadata naming its sections) and the
BCQ-only format before the learner interface (magic MTFBCQCK: nine unnamed sections in a fixed order), so
a run of today's build can be checked against one of an earlier commit.

usage: scripts/compare_checkpoint_sections.py A.ckpt B.ckpt     (exit status 0 when every section matches)
"""
import json
import struct
import sys

OLD_ORDER = ["vae", "actor", "actor_target", "critic", "critic_target", "vae_adam", "actor_adam", "critic_adam"]


def read(path):
    data = open(path, "rb").read()
    magic, version, length = data[:8], struct.unpack("<I", data[8:12])[0], struct.unpack("<Q", data[12:20])[0]
    payload = data[20:20 + length]
    sections = {}
    if magic == b"MTFBCQCK":
        at, raw = 0, []
        while at < len(payload):
            n = struct.unpack("<Q", payload[at:at + 8])[0]
            raw.append(payload[at + 8:at + 8 + n])
            at += 8 + n
        meta = json.loads(raw[0])
        sections.update(zip(OLD_ORDER, raw[1:]))
    elif magic == b"MTFCKPT2":
        n = struct.unpack("<Q", payload[:8])[0]
        meta = json.loads(payload[8:8 + n])
        at = 8 + n
        for s in meta["sections"]:
            sections[s["name"]] = payload[at:at + s["bytes"]]
            at += s["bytes"]
    else:
        sys.exit(f"{path}: unknown magic {magic!r}")
    sections["rng"] = json.dumps(meta["rng"], sort_keys=True).encode()
    sections["iteration"] = str(meta["iteration"]).encode()
    return magic.decode(), sections


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    (fa, a), (fb, b) = read(sys.argv[1]), read(sys.argv[2])
    print(f"{sys.argv[1]} ({fa}) vs {sys.argv[2]} ({fb})")
    ok = True
    for name in sorted(set(a) | set(b)):
        same = name in a and name in b and a[name] == b[name]
        ok &= same
        size = len(a.get(name, b.get(name, b"")))
        print(f"  {name:14s} {size:10d} bytes  {'identical' if same else 'DIFFERENT'}")
    print("all sections identical" if ok else "sections differ")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
