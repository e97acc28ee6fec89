#!/usr/bin/python3
"""OpenBLAS sgemm throughput through numpy: the yardstick for the engine's matmul kernels.

    /usr/bin/python3 bench/sgemm_reference.py                       # square 512, 1024, 2048 at 2 threads
    /usr/bin/python3 bench/sgemm_reference.py --shapes 768x384x1152,3072x768x768 --layouts nn,nt --json

A shape MxNxK is C[M,N] = A[M,K] @ B[K,N] in float32, 2*M*N*K FLOPs. The layout says how the operands are
stored, as the engine's matmuls need them: nn is A[M,K] @ B[K,N]; nt is A[M,K] @ B[N,K]^T (a forward pass,
x @ W^T); tn is A[K,M]^T @ B[K,N] (a weight gradient, dy^T @ x). Transposed operands are passed to sgemm as
transposed, never copied. Each shape runs --warmup untimed and --reps timed multiplications; the median
(and the best) GFLOP/s are reported.

Threads are fixed through OPENBLAS_NUM_THREADS and OMP_NUM_THREADS before numpy loads. A forced
OPENBLAS_CORETYPE is dropped (as /work/shared/bench/torch_gpt_bench.py does) so that OpenBLAS uses the
machine's widest vector unit; --keep-coretype keeps it. Refuses to run unless numpy's BLAS is OpenBLAS.
Needs: apt-get install python3-numpy libopenblas0-openmp.
"""
import argparse
import json
import os
import sys


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="OpenBLAS sgemm GFLOP/s through numpy.")
    ap.add_argument("--shapes", default="512x512x512,1024x1024x1024,2048x2048x2048",
                    help="comma-separated MxNxK (default: square 512, 1024, 2048)")
    ap.add_argument("--layouts", default="nn", help="comma-separated of nn, nt, tn (default nn)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=10, help="timed repetitions per shape (default 10)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print one JSON object per line instead of a table")
    ap.add_argument("--keep-coretype", action="store_true", help="keep a forced OPENBLAS_CORETYPE")
    a = ap.parse_args(argv)
    shapes = []
    for s in a.shapes.split(","):
        try:
            m, n, k = (int(x) for x in s.lower().split("x"))
            if min(m, n, k) <= 0:
                raise ValueError
        except ValueError:
            ap.error(f"shape {s!r} is not MxNxK with positive integers, e.g. 768x384x1152")
        shapes.append((m, n, k))
    layouts = a.layouts.split(",")
    for layout in layouts:
        if layout not in ("nn", "nt", "tn"):
            ap.error(f"layout {layout!r} is not one of nn, nt, tn")
    if a.threads < 1 or a.reps < 1 or a.warmup < 0:
        ap.error("--threads and --reps must be at least 1, --warmup at least 0")
    return a, shapes, layouts


def openblas_info(path):
    """OpenBLAS's own description of itself (config, core, threads), via its exported functions."""
    import ctypes
    lib = ctypes.CDLL(path)
    info = {"library": path}
    # Debian's library exports openblas_get_config; pip wheels' bundled copies rename it (scipy_..., ...64_).
    for key, base, restype in (("config", "openblas_get_config", ctypes.c_char_p),
                               ("core", "openblas_get_corename", ctypes.c_char_p),
                               ("threads", "openblas_get_num_threads", ctypes.c_int)):
        for name in (base, base + "64_", "scipy_" + base, "scipy_" + base + "64_"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = restype
                value = fn()
                info[key] = value.decode() if isinstance(value, bytes) else value
                break
    return info


def main(argv=None):
    a, shapes, layouts = parse_args(argv)
    # Before numpy (and so OpenBLAS) loads: OpenBLAS reads these once, at load time.
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    if not a.keep_coretype:
        os.environ.pop("OPENBLAS_CORETYPE", None)
    import time

    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import blas_probe

    served_by = blas_probe.sgemm_library("numpy")
    if not blas_probe.is_openblas(served_by):
        print(f"sgemm_reference: numpy is not linked to OpenBLAS (its sgemm is in {served_by or 'an unknown library'}); "
              f"install it with apt-get install libopenblas0-openmp and run with /usr/bin/python3.", file=sys.stderr)
        return 2
    info = openblas_info(served_by)
    rng = np.random.default_rng(0)
    rows = []
    for (m, n, k) in shapes:
        for layout in layouts:
            A = rng.standard_normal((k, m) if layout == "tn" else (m, k), dtype=np.float32)
            B = rng.standard_normal((n, k) if layout == "nt" else (k, n), dtype=np.float32)
            A_, B_ = (A.T if layout == "tn" else A), (B.T if layout == "nt" else B)
            C = np.empty((m, n), dtype=np.float32)
            for _ in range(a.warmup):
                np.matmul(A_, B_, out=C)
            times = []
            for _ in range(a.reps):
                t0 = time.perf_counter()
                np.matmul(A_, B_, out=C)
                times.append(time.perf_counter() - t0)
            times.sort()
            median = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
            flops = 2.0 * m * n * k
            rows.append({"m": m, "n": n, "k": k, "layout": layout, "threads": a.threads, "reps": a.reps,
                         "ms_median": round(median * 1e3, 4), "gflops_median": round(flops / median / 1e9, 2),
                         "gflops_best": round(flops / times[0] / 1e9, 2), "blas": info.get("config", "OpenBLAS"),
                         "core": info.get("core", "?"), "blas_threads": info.get("threads")})
    if a.json:
        for r in rows:
            print(json.dumps(r))
    else:
        print(f"{info.get('config', 'OpenBLAS')} core {info.get('core', '?')}, {info.get('threads')} BLAS threads "
              f"(asked {a.threads}), {a.reps} reps, numpy {np.__version__}")
        print(f"| {'M x N x K':>18} | layout | median ms | median GFLOP/s | best GFLOP/s |")
        print(f"|{'-' * 20}|--------|-----------|----------------|--------------|")
        for r in rows:
            print(f"| {r['m']:>5} x {r['n']:>5} x {r['k']:>4} | {r['layout']:>6} | {r['ms_median']:>9.3f} | "
                  f"{r['gflops_median']:>14.1f} | {r['gflops_best']:>12.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
