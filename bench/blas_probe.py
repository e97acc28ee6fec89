#!/usr/bin/python3
"""Which library really serves sgemm to numpy or to PyTorch, and is it OpenBLAS?

    /usr/bin/python3 bench/blas_probe.py numpy|torch [--quiet]

Prints the library file that the sgemm symbol resolves to and exits 0 when it is OpenBLAS, 2 (with one
sentence on stderr) when it is not or when the package cannot be imported.

Why not torch.__config__.show() or numpy.show_config(): Debian builds both against the generic libblas.so.3
(they say BLAS_INFO=generic / "blas"), and the alternatives system decides at run time which library that is:
OpenBLAS when libopenblas0-* is installed, else the slow reference BLAS. And why not "is some openblas file
mapped": Debian's libtorch_cpu links libopenblas.so.0 directly as well, so it is mapped even when sgemm goes
to the reference BLAS. So we ask the dynamic linker where the symbol the package calls actually lives.
"""
import ctypes
import os
import sys

# sgemm as each package calls it: Debian's numpy calls cblas_sgemm, PyTorch the Fortran sgemm_; numpy wheels
# from pip bundle a renamed OpenBLAS (scipy_cblas_sgemm64_ and the like).
SYMBOLS = {"numpy": ("cblas_sgemm", "scipy_cblas_sgemm64_", "cblas_sgemm64_", "scipy_cblas_sgemm"),
           "torch": ("sgemm_", "sgemm64_", "cblas_sgemm")}


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _library_of(binary, symbols):
    """The real path of the library that `binary`'s lookup of the first found symbol resolves to, or None."""
    handle = ctypes.CDLL(binary)
    dladdr = ctypes.CDLL(None).dladdr
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    for name in symbols:
        try:
            fn = getattr(handle, name)
        except AttributeError:
            continue
        info = _DlInfo()
        if dladdr(ctypes.cast(fn, ctypes.c_void_p).value, ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(info.dli_fname.decode())
    return None


def _module_binaries(package):
    if package == "numpy":
        import numpy
        try:
            from numpy.core import _multiarray_umath as mod
        except ImportError:  # numpy 2
            from numpy._core import _multiarray_umath as mod
        return [mod.__file__]
    import torch
    lib = os.path.join(os.path.dirname(torch.__file__), "lib")
    return [os.path.join(lib, f) for f in ("libtorch_cpu.so", "libtorch.so") if os.path.exists(os.path.join(lib, f))]


def sgemm_library(package):
    """(path or None) of the library serving sgemm to `package` ("numpy" or "torch"); imports the package."""
    for binary in _module_binaries(package):
        path = _library_of(binary, SYMBOLS[package])
        if path:
            return path
    return None


def is_openblas(path):
    return path is not None and "openblas" in path.lower()


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    quiet = "--quiet" in args
    args = [a for a in args if a != "--quiet"]
    if len(args) != 1 or args[0] not in SYMBOLS:
        print("usage: blas_probe.py numpy|torch [--quiet]", file=sys.stderr)
        return 64
    package = args[0]
    try:
        path = sgemm_library(package)
    except ImportError:
        print(f"blas_probe: {sys.executable} cannot import {package}; install it with "
              f"apt-get install python3-{package} libopenblas0-openmp.", file=sys.stderr)
        return 2
    if not is_openblas(path):
        print(f"blas_probe: {package} under {sys.executable} does its sgemm in {path or 'an unknown library'}, "
              f"not OpenBLAS; install an optimised BLAS with apt-get install libopenblas0-openmp.", file=sys.stderr)
        return 2
    if not quiet:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
