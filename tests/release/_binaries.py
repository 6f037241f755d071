"""What a native file is built for, read from its header: ELF (Linux), Mach-O (macOS, also
universal), PE (Windows). Enough to tell a target's CPU and, on Linux, glibc from musl."""

from __future__ import annotations

import struct
from dataclasses import dataclass

ELF_MACHINES = {3: "i386", 40: "arm", 62: "x86_64", 183: "aarch64"}
MACHO_CPUS = {7: "i386", 0x01000007: "x86_64", 12: "arm", 0x0100000C: "arm64"}
PE_MACHINES = {0x14C: "i386", 0x8664: "x86_64", 0xAA64: "arm64", 0x1C4: "arm"}


@dataclass(frozen=True)
class Native:
    format: str  # "elf", "macho" or "pe"
    machines: frozenset[str]  # more than one for a universal Mach-O
    libc: str | None = None  # ELF only: "glibc", "musl", or None when no libc is linked


MAGICS = (
    b"\x7fELF",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\xca\xfe\xba\xbf",
)


def looks_native(head: bytes) -> bool:
    """Whether a file starting with `head` (4+ bytes) is an ELF, Mach-O or PE binary."""
    return head[:4] in MAGICS or head[:2] == b"MZ"


def describe(data: bytes) -> Native | None:
    """The format and CPU of a native file, or None when `data` is not one."""
    if data[:4] == b"\x7fELF":
        return _elf(data)
    if data[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
        (cpu,) = struct.unpack_from("<i", data, 4)
        return Native("macho", frozenset({MACHO_CPUS.get(cpu, hex(cpu))}))
    if data[:4] in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
        (count,) = struct.unpack_from(">I", data, 4)
        size = 20 if data[3] == 0xBE else 32
        cpus = (struct.unpack_from(">i", data, 8 + i * size)[0] for i in range(count))
        return Native("macho", frozenset(MACHO_CPUS.get(c, hex(c)) for c in cpus))
    if data[:2] == b"MZ" and len(data) > 0x40:
        (offset,) = struct.unpack_from("<I", data, 0x3C)
        if data[offset : offset + 4] == b"PE\0\0":
            (machine,) = struct.unpack_from("<H", data, offset + 4)
            return Native("pe", frozenset({PE_MACHINES.get(machine, hex(machine))}))
    return None


def _elf(data: bytes) -> Native:
    is64, little = data[4] == 2, data[5] == 1
    end = "<" if little else ">"
    (machine,) = struct.unpack_from(end + "H", data, 18)
    return Native(
        "elf", frozenset({ELF_MACHINES.get(machine, str(machine))}), _libc(data, is64, end)
    )


def _libc(data: bytes, is64: bool, end: str) -> str | None:
    """glibc or musl, from the DT_NEEDED entries of the dynamic section (None when there are
    none, or the file is cut short)."""
    try:
        needed = _needed(data, is64, end)
    except (struct.error, ValueError, IndexError):
        return None
    if any(n.startswith("libc.musl-") or n == "libc.so" for n in needed):
        return "musl"
    if "libc.so.6" in needed:
        return "glibc"
    return None


def _needed(data: bytes, is64: bool, end: str) -> list[str]:
    if is64:
        shoff, shentsize, shnum = (
            struct.unpack_from(end + "Q", data, 0x28)[0],
            *struct.unpack_from(end + "HH", data, 0x3A),
        )
        sec_fmt, dyn_fmt = end + "IIQQQQIIQQ", end + "qQ"
    else:
        shoff, shentsize, shnum = (
            struct.unpack_from(end + "I", data, 0x20)[0],
            *struct.unpack_from(end + "HH", data, 0x2E),
        )
        sec_fmt, dyn_fmt = end + "IIIIIIIIII", end + "iI"
    sections = [struct.unpack_from(sec_fmt, data, shoff + i * shentsize) for i in range(shnum)]
    needed: list[str] = []
    for sec in sections:
        if sec[1] != 6:  # SHT_DYNAMIC
            continue
        offset, size, link = sec[4], sec[5], sec[6]
        strtab = sections[link][4]
        step = struct.calcsize(dyn_fmt)
        for pos in range(offset, offset + size, step):
            tag, value = struct.unpack_from(dyn_fmt, data, pos)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                name = data[strtab + value : data.index(b"\0", strtab + value)]
                needed.append(name.decode())
    return needed
