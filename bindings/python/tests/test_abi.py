"""The ctypes declarations of clql/_ffi.py against the headers (mpi.h aside,
whose functions are in the separate libclql_mpi): every
declared function exists with as many arguments, pointers where the header
has pointers (to the same struct) and scalars of the C size; every declared
struct has the header's fields in order, and a C compiler gives the same
size and field offsets."""

import ctypes
import os
import pathlib
import re
import subprocess
import tempfile

from conftest import REPO
from clql import _ffi

INCLUDE = REPO / "include"


def headers():
    text = {}
    for p in sorted((INCLUDE / "clql").iterdir()):
        if (p.name.endswith(".h") and p.name != "mpi.h") or p.name == "version.h.in":
            t = re.sub(r"/\*.*?\*/", " ", p.read_text(), flags=re.S)
            text[p.name] = re.sub(r"//[^\n]*", " ", t)
    return text


def c_functions():
    out = {}
    for t in headers().values():
        for m in re.finditer(r"CLQL_API\s+([^;(]*?)\b(\w+)\s*\(([^)]*)\)\s*;", t):
            ret, name, params = m.groups()
            args = [] if params.strip() in ("", "void") else [
                re.sub(r"\s*\b\w+\s*$", "", a.strip()) for a in params.split(",")]
            out[name] = (ret.strip(), args)
    return out


def c_structs():
    out = {}
    for t in headers().values():
        for m in re.finditer(r"typedef struct (\w+) \{(.*?)\} \w+;", t, flags=re.S):
            fields = []
            for decl in m.group(2).split(";"):
                parts = [re.sub(r"\[.*?\]", "", p) for p in decl.split(",")]
                if decl.strip():
                    fields += [re.findall(r"\w+", p)[-1] for p in parts]
            out[m.group(1)] = fields
    return out


def c_answers(lines):
    """Compile and run a C program printing one number per line."""
    src = "#include <stddef.h>\n#include <stdio.h>\n"
    src += "".join("#include <clql/%s>\n" % h for h in headers() if h.endswith(".h"))
    src += "int main(void) {\n"
    src += "".join('  printf("%%zu\\n", (size_t)(%s));\n' % e for e in lines)
    src += "  return 0;\n}\n"
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        (tmp / "abi.c").write_text(src)
        cc = os.environ.get("CC", "cc")
        subprocess.run([cc, "-std=c11", "-I", str(INCLUDE), "-o", str(tmp / "abi"),
                        str(tmp / "abi.c")], check=True)
        out = subprocess.run([str(tmp / "abi")], check=True, capture_output=True, text=True)
    return [int(v) for v in out.stdout.split()]


def is_pointer(t):
    return t in (ctypes.c_char_p, ctypes.c_void_p) or hasattr(t, "contents")


def test_structs_match_the_headers_and_the_c_layout():
    structs = c_structs()
    exprs, expect = [], []
    for s in _ffi.STRUCTS:
        names = [f[0] for f in s._fields_]
        assert names == structs[s.__name__], s.__name__
        exprs.append("sizeof(%s)" % s.__name__)
        expect.append((s.__name__, "size", ctypes.sizeof(s)))
        for f in names:
            exprs.append("offsetof(%s, %s)" % (s.__name__, f))
            expect.append((s.__name__, f, getattr(s, f).offset))
    got = c_answers(exprs)
    wrong = [(e, g) for e, g in zip(expect, got) if e[2] != g]
    assert not wrong, "python (struct, field, value) vs C: %r" % wrong


def test_functions_match_the_headers():
    funcs = c_functions()
    scalars = []
    for name, (restype, argtypes) in _ffi.FUNCTIONS.items():
        assert name in funcs, "%s is not in the headers" % name
        ret, args = funcs[name]
        assert len(args) == len(argtypes), name
        assert (restype is None) == (ret == "void"), name
        for c, py in zip(args + ([ret] if restype is not None else []),
                         argtypes + ([restype] if restype is not None else [])):
            if "*" in c:
                assert is_pointer(py), "%s: %s is a pointer in C" % (name, c)
                base = re.sub(r"\bconst\b|\*", "", c).strip()
                pointee = getattr(py, "_type_", None)
                if isinstance(pointee, type) and issubclass(pointee, ctypes.Structure):
                    assert pointee.__name__ == base, "%s: %s, not %s" % (name, c, pointee)
            else:
                assert not is_pointer(py) or c in ("cl_device_id", "cl_platform_id"), (name, c)
                scalars.append((name, c, py))
    got = c_answers(["sizeof(%s)" % c for _, c, _ in scalars])
    wrong = [(n, c, g) for (n, c, py), g in zip(scalars, got) if ctypes.sizeof(py) != g]
    assert not wrong, "scalar arguments of another size: %r" % wrong


def test_every_declared_function_is_exported():
    for name in _ffi.FUNCTIONS:
        assert getattr(_ffi.lib, name) is not None
