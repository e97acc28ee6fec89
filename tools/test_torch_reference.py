#!/usr/bin/python3
"""Checks of the PyTorch cross-check itself (a developer tool: CI has no PyTorch).

    /usr/bin/python3 tools/test_torch_reference.py [-k SUBSTRING] [-v]

- safetensors_io round-trips F32/F64/I32/I64 and rejects malformed files;
- autograd gradients of torch_reference match central finite differences in float64, for every tensor of
  several configs covering every switch of docs/model.md;
- the same weights in gpt2 vs flywheel layout, and in llama vs flywheel layout, give the same loss and
  gradients that map onto each other (Conv1D transposition, q/k/v split);
- an independent formulation of the model on torch's built-ins (F.layer_norm, F.gelu, F.softmax,
  F.cross_entropy, complex-number RoPE) gives the same loss, objective and gradients;
- the command line writes expected.safetensors as the README says, and refuses bad inputs in one sentence.

Ends with "N passed, M failed" and exits non-zero on a failure.
"""
import argparse
import io
import math
import os
import struct
import sys
import tempfile
import traceback
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import make_random_checkpoint as mk  # noqa: E402
import safetensors_io as st  # noqa: E402
import torch_reference as ref  # noqa: E402

torch.set_num_threads(2)

# Configs that between them turn on every switch of docs/model.md.
CONFIGS = {
    "gpt2": dict(layout="gpt2", **mk.PRESETS["gpt2"]),
    "llama": dict(layout="llama", z_loss=1e-2, **mk.PRESETS["llama"]),
    "rms-learned-relu2-tied-bias-qknorm-zloss-cap": dict(
        layout="flywheel", norm="rmsnorm", position="learned", activation="relu2", tied_head=True, bias=True,
        qk_norm=True, z_loss=1e-2, attn_soft_cap=1.5),
    "ln-nobias-rope-gelu-untied-qknorm": dict(
        layout="flywheel", norm="layernorm", position="rope", activation="gelu", tied_head=False, bias=False,
        qk_norm=True),
    "ln-bias-rope-swiglu-untied-zloss-cap-theta": dict(
        layout="flywheel", norm="layernorm", position="rope", activation="swiglu", tied_head=False, bias=True,
        z_loss=1e-3, attn_soft_cap=2.0, rope_theta=100.0, norm_eps=1e-6),
    "rms-learned-gelu-tied-nobias-4heads": dict(
        layout="flywheel", norm="rmsnorm", position="learned", activation="gelu", tied_head=True, bias=False,
        heads=4, mlp_hidden=24),
}


def build(name, seed=7, batch=2, seq=None, **overrides):
    kw = dict(CONFIGS[name])
    kw.update(overrides)
    cfg = mk.make_config(**kw)
    rng = np.random.default_rng(seed)
    weights = mk.random_canonical(cfg, rng)
    b = mk.random_batch(cfg, batch, seq or cfg["seq_len"], rng)
    return cfg, weights, b


def objective_only(stored, cfg, inputs, targets):
    with torch.no_grad():
        leaves = {n: torch.tensor(np.asarray(a, dtype=np.float64)) for n, a in stored.items()}
        logits = ref.forward(ref.to_canonical(leaves, cfg), cfg, torch.as_tensor(inputs, dtype=torch.int64))
        return ref.loss_and_objective(logits, torch.as_tensor(targets, dtype=torch.int64), cfg["z_loss"])[1].item()


def assert_close(a, b, rtol, atol, what):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} vs {b.shape}"
    err = np.abs(a - b)
    bad = err > atol + rtol * np.abs(b)
    assert not bad.any(), (f"{what}: {bad.sum()} of {a.size} entries differ, worst {err.max():.3e} "
                           f"at {np.unravel_index(err.argmax(), a.shape)} ({a.flat[err.argmax()]!r} vs "
                           f"{b.flat[err.argmax()]!r})")


# ------------------------------------------------------------------------------------------ safetensors


def test_safetensors_roundtrip():
    rng = np.random.default_rng(0)
    tensors = {
        "b.f32": rng.normal(size=(3, 5)).astype(np.float32), "a.f64": rng.normal(size=(7,)),
        "i32": rng.integers(-9, 9, (2, 3, 4)).astype(np.int32), "i64": np.array([1 << 40, -3], dtype=np.int64),
        "scalar": np.array(2.5, dtype=np.float64), "empty": np.zeros((0, 4), dtype=np.float32),
        "big_endian_in": np.arange(6, dtype=">f4").reshape(2, 3),
    }
    blob = st.serialize(tensors, {"k": "v"})
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, "header is padded to a multiple of 8"
    back, meta = st.parse(blob)
    assert meta == {"k": "v"}
    assert set(back) == set(tensors)
    for k, v in tensors.items():
        assert back[k].shape == v.shape and np.array_equal(back[k], v), k
        assert back[k].dtype.kind == v.dtype.kind and back[k].dtype.itemsize == v.dtype.itemsize, k
    assert back["big_endian_in"].dtype == np.dtype("<f4")


def test_safetensors_reads_foreign_order_and_layout():
    # Data in reverse order of the header, no padding, no metadata: a file another writer could produce.
    a = np.arange(4, dtype="<f4").tobytes()
    b = np.array([7, 8], dtype="<i8").tobytes()
    header = ('{"x":{"dtype":"F32","shape":[2,2],"data_offsets":[16,32]},'
              '"y":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}').encode()
    t, meta = st.parse(struct.pack("<Q", len(header)) + header + b + a)
    assert meta == {}
    assert t["x"].tolist() == [[0.0, 1.0], [2.0, 3.0]] and t["y"].tolist() == [7, 8]


def test_safetensors_rejects_malformed():
    good = st.serialize({"x": np.zeros(4, dtype=np.float32)})
    cases = {
        "short": good[:5],
        "header past end": struct.pack("<Q", 10 ** 6) + good[8:],
        "truncated data": good[:-1],
    }
    for dtype, shape, offsets in (("BF16", [4], [0, 8]), ("F32", [5], [0, 16]), ("F32", [4], [0, 99])):
        h = f'{{"x":{{"dtype":"{dtype}","shape":{shape},"data_offsets":{offsets}}}}}'.encode()
        cases[f"{dtype}{shape}{offsets}"] = struct.pack("<Q", len(h)) + h + bytes(16)
    h = b'{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}'
    cases["overlap"] = struct.pack("<Q", len(h)) + h + bytes(12)
    h = b'not json'
    cases["bad json"] = struct.pack("<Q", len(h)) + h
    for what, blob in cases.items():
        try:
            st.parse(blob)
        except st.SafetensorsError:
            continue
        raise AssertionError(f"accepted a malformed file: {what}")


# ------------------------------------------------------------------------------------ finite differences


def check_finite_differences(name, entries_per_tensor=3, h=1e-5):
    cfg, weights, b = build(name, batch=2, seq=mk.make_config(**CONFIGS[name])["seq_len"] - 1)
    stored = {k: v.astype(np.float64) for k, v in mk.to_layout(weights, cfg).items()}
    result = ref.compute(stored, cfg, b["inputs"], b["targets"])
    assert set(result) == {"loss", "objective"} | {"grad/" + k for k in stored}
    rng = np.random.default_rng(3)
    checked = 0
    for tname, value in stored.items():
        grad = result["grad/" + tname]
        assert grad.shape == value.shape, tname
        picks = {int(np.abs(grad).argmax())} | {int(i) for i in rng.integers(0, value.size, entries_per_tensor)}
        for flat in picks:
            idx = np.unravel_index(flat, value.shape)
            plus, minus = dict(stored), dict(stored)
            plus[tname] = value.copy()
            plus[tname][idx] += h
            minus[tname] = value.copy()
            minus[tname][idx] -= h
            fd = (objective_only(plus, cfg, b["inputs"], b["targets"])
                  - objective_only(minus, cfg, b["inputs"], b["targets"])) / (2 * h)
            ad = grad[idx]
            assert abs(fd - ad) <= 1e-7 + 1e-5 * abs(ad), f"{name}: {tname}{list(idx)}: autograd {ad!r} vs FD {fd!r}"
            checked += 1
        if cfg["position"] == "learned" and tname in ("wpe", "transformer.wpe.weight"):
            assert not grad[-1].any(), "a position past the batch's T gets no gradient"
    assert np.isfinite(result["loss"]).all() and result["loss"][0] > 0
    return checked


def make_fd_test(name):
    def test():
        check_finite_differences(name)
    test.__name__ = f"test_finite_differences[{name}]"
    return test


# ------------------------------------------------------------------------------------- layout mappings


def check_layout_equivalence(hf_layout):
    kw = dict(CONFIGS[hf_layout])
    kw["z_loss"] = 3e-3
    cfg_hf = mk.make_config(**kw)
    cfg_fly = dict(cfg_hf, layout="flywheel")
    rng = np.random.default_rng(11)
    weights = mk.random_canonical(cfg_hf, rng)
    b = mk.random_batch(cfg_hf, 3, cfg_hf["seq_len"], rng)
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for cfg in (cfg_hf, cfg_fly):
            d = os.path.join(tmp, cfg["layout"])
            mk.write_checkpoint(d, cfg, weights, b)
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                assert ref.main([d]) == 0
            results[cfg["layout"]], _ = st.read(os.path.join(d, "expected.safetensors"))
            stored, _ = st.read(os.path.join(d, "model.safetensors"))
            assert set(results[cfg["layout"]]) == {"loss", "objective"} | {"grad/" + k for k in stored}
            for k, v in stored.items():
                assert results[cfg["layout"]]["grad/" + k].shape == v.shape, k
                assert results[cfg["layout"]]["grad/" + k].dtype == np.float64, k
    hf, fly = results[hf_layout], results["flywheel"]
    for key in ("loss", "objective"):
        assert hf[key].shape == (1,) and hf[key].dtype == np.float64
        assert_close(hf[key], fly[key], 1e-12, 0, key)
    assert fly["objective"][0] > fly["loss"][0], "z-loss is on"
    fly_grads = {k[5:]: v for k, v in fly.items() if k.startswith("grad/")}
    mapped = mk.to_layout(fly_grads, cfg_hf)
    hf_grads = {k[5:]: v for k, v in hf.items() if k.startswith("grad/")}
    assert set(mapped) == set(hf_grads)
    for k in hf_grads:
        assert_close(hf_grads[k], mapped[k], 1e-10, 1e-13, k)
    C = cfg_hf["dim"]
    # The same facts written out by hand for one layer, independently of to_layout.
    if hf_layout == "gpt2":
        g = hf_grads["transformer.h.1.attn.c_attn.weight"]
        assert g.shape == (C, 3 * C)
        assert_close(g, fly_grads["h.1.attn.qkv.weight"].T, 1e-10, 1e-13, "c_attn = qkv^T")
        assert_close(hf_grads["transformer.h.0.mlp.c_fc.weight"], fly_grads["h.0.mlp.fc.weight"].T, 1e-10, 1e-13, "c_fc")
        assert_close(hf_grads["transformer.h.0.mlp.c_proj.weight"], fly_grads["h.0.mlp.proj.weight"].T, 1e-10, 1e-13,
                     "mlp.c_proj")
        assert_close(hf_grads["transformer.wte.weight"], fly_grads["wte"], 1e-10, 1e-13, "tied wte")
        assert "lm_head.weight" not in hf_grads
    else:
        qkv = fly_grads["h.1.attn.qkv.weight"]
        for i, part in enumerate(("q_proj", "k_proj", "v_proj")):
            assert_close(hf_grads[f"model.layers.1.self_attn.{part}.weight"], qkv[i * C:(i + 1) * C], 1e-10, 1e-13,
                         part)
        assert_close(hf_grads["model.layers.0.mlp.down_proj.weight"], fly_grads["h.0.mlp.proj.weight"], 1e-10, 1e-13,
                     "down_proj")
        assert_close(hf_grads["lm_head.weight"], fly_grads["lm_head.weight"], 1e-10, 1e-13, "lm_head")


def test_layout_gpt2_equals_flywheel():
    check_layout_equivalence("gpt2")


def test_layout_llama_equals_flywheel():
    check_layout_equivalence("llama")


# ------------------------------------------------------------------------ an independent formulation


def builtin_objective(P, cfg, inputs, targets):
    """The model again, written the way one would with torch's own functions; shares no code with ref."""
    inputs, targets = torch.as_tensor(inputs).long(), torch.as_tensor(targets).long()
    B, T = inputs.shape
    C, NH, eps, cap = cfg["dim"], cfg["heads"], cfg["norm_eps"], cfg["attn_soft_cap"]
    hs = C // NH

    def norm(x, w, b=None):
        if cfg["norm"] == "layernorm":
            return F.layer_norm(x, (x.shape[-1],), w, b, eps)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def rot(x):  # as complex numbers: z = x[i] + i x[i+hs/2], turned by e^{i t inv_freq}
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hs, 2, dtype=torch.float64) / hs))
        turn = torch.polar(torch.ones(T, hs // 2, dtype=torch.float64), torch.outer(torch.arange(T).double(), inv))
        z = torch.complex(x[..., :hs // 2], x[..., hs // 2:]) * turn
        return torch.cat([z.real, z.imag], dim=-1)

    x = F.embedding(inputs, P["wte"])
    if cfg["position"] == "learned":
        x = x + F.embedding(torch.arange(T), P["wpe"])
    for l in range(cfg["layers"]):
        g = lambda n: P.get(f"h.{l}.{n}")  # noqa: E731
        q, k, v = F.linear(norm(x, g("norm1.weight"), g("norm1.bias")), g("attn.qkv.weight"), g("attn.qkv.bias")) \
            .split(C, dim=2)
        q, k, v = (t.view(B, T, NH, hs).transpose(1, 2) for t in (q, k, v))
        if cfg["qk_norm"]:
            q, k = norm_rms(q, g("attn.q_norm.weight"), eps), norm_rms(k, g("attn.k_norm.weight"), eps)
        if cfg["position"] == "rope":
            q, k = rot(q), rot(k)
        att = torch.einsum("bhtd,bhsd->bhts", q, k) * hs ** -0.5
        if cap > 0:
            att = torch.tanh(att / cap) * cap
        att = att.masked_fill(torch.tril(torch.ones(T, T)) == 0, float("-inf"))
        y = torch.einsum("bhts,bhsd->bhtd", F.softmax(att, dim=-1), v).transpose(1, 2).reshape(B, T, C)
        x = x + F.linear(y, g("attn.proj.weight"), g("attn.proj.bias"))
        h = norm(x, g("norm2.weight"), g("norm2.bias"))
        if cfg["activation"] == "gelu":
            m = F.gelu(F.linear(h, g("mlp.fc.weight"), g("mlp.fc.bias")), approximate="tanh")
        elif cfg["activation"] == "relu2":
            m = F.relu(F.linear(h, g("mlp.fc.weight"), g("mlp.fc.bias"))).square()
        else:
            m = F.silu(F.linear(h, g("mlp.gate.weight"), g("mlp.gate.bias"))) * \
                F.linear(h, g("mlp.up.weight"), g("mlp.up.bias"))
        x = x + F.linear(m, g("mlp.proj.weight"), g("mlp.proj.bias"))
    x = norm(x, P["norm_f.weight"], P.get("norm_f.bias"))
    logits = F.linear(x, P["wte"] if cfg["tied_head"] else P["lm_head.weight"])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    return loss, loss + cfg["z_loss"] * torch.logsumexp(logits, dim=-1).square().mean()


def norm_rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def test_matches_builtin_formulation():
    for name in CONFIGS:
        cfg, weights, b = build(name, seed=5, batch=3)
        cfg = dict(cfg, layout="flywheel")
        result = ref.compute(weights, cfg, b["inputs"], b["targets"])
        P = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in weights.items()}
        loss, objective = builtin_objective(P, cfg, b["inputs"], b["targets"])
        grads = torch.autograd.grad(objective, list(P.values()))
        assert_close(result["loss"], [loss.item()], 1e-12, 0, f"{name}: loss")
        assert_close(result["objective"], [objective.item()], 1e-12, 0, f"{name}: objective")
        for (k, _), g in zip(P.items(), grads):
            assert_close(result["grad/" + k], g.numpy(), 1e-9, 1e-12, f"{name}: grad/{k}")


def test_zero_model_predicts_uniform():
    cfg, weights, b = build("rms-learned-relu2-tied-bias-qknorm-zloss-cap")
    zero = {k: np.zeros_like(v) for k, v in weights.items()}
    r = ref.compute(zero, cfg, b["inputs"], b["targets"])
    V = cfg["vocab_size"]
    assert abs(r["loss"][0] - math.log(V)) < 1e-12
    assert abs(r["objective"][0] - (math.log(V) + cfg["z_loss"] * math.log(V) ** 2)) < 1e-12


def test_causal():
    """Changing the last input token changes no earlier position's logits."""
    for name in ("gpt2", "llama"):
        cfg, weights, b = build(name)
        weights = mk.to_layout(weights, cfg)
        a = ref.compute(weights, cfg, b["inputs"], b["targets"], with_logits=True)["logits"]
        inputs = b["inputs"].copy()
        inputs[:, -1] = (inputs[:, -1] + 1) % cfg["vocab_size"]
        c = ref.compute(weights, cfg, inputs, b["targets"], with_logits=True)["logits"]
        assert np.array_equal(a[:, :-1], c[:, :-1]) and not np.allclose(a[:, -1], c[:, -1])


# ------------------------------------------------------------------------------------- the command line


def run_cli(args):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = ref.main(args)
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_expected_file():
    with tempfile.TemporaryDirectory() as d:
        with redirect_stdout(io.StringIO()):
            assert mk.main([d, "--layout", "llama", "--batch", "2", "--batch-seq", "5", "--z-loss", "1e-4"]) == 0
        code, out, err = run_cli([d, "--with-logits"])
        assert code == 0, err
        assert "loss" in out and "expected.safetensors" in out
        r, meta = st.read(os.path.join(d, "expected.safetensors"))
        assert meta["layout"] == "llama" and meta["dtype"] == "float64"
        assert r["logits"].shape == (2, 5, 37)
        other = os.path.join(d, "other.safetensors")
        code, _, _ = run_cli([d, "--out", other])
        assert code == 0
        r2, _ = st.read(other)
        assert "logits" not in r2 and np.array_equal(r2["loss"], r["loss"])


def test_cli_refuses_bad_inputs():
    with tempfile.TemporaryDirectory() as d:
        code, _, err = run_cli([d])
        assert code == 2 and "config.json does not exist" in err, err
        with redirect_stdout(io.StringIO()):
            mk.main([d, "--layout", "gpt2"])
        model = os.path.join(d, "model.safetensors")
        tensors, meta = st.read(model)

        def expect(fragment, mutate_tensors=None, mutate_batch=None, config=None):
            t = dict(tensors)
            if mutate_tensors:
                mutate_tensors(t)
            st.write(model, t, meta)
            if config is not None:
                with open(os.path.join(d, "config.json"), "w") as f:
                    f.write(config)
            code, out, err = run_cli([d])
            assert code == 2 and fragment in err and err.count("\n") == 1 and not out, (fragment, err)
            st.write(model, tensors, meta)

        expect("needs transformer.h.0.attn.c_attn.weight", lambda t: t.pop("transformer.h.0.attn.c_attn.weight"))
        expect("unexpected tensor lm_head.weight", lambda t: t.update({"lm_head.weight": np.zeros((37, 16), np.float32)}))
        expect("has shape [48, 16], expected [16, 48]",
               lambda t: t.update({"transformer.h.1.attn.c_attn.weight": np.zeros((48, 16), np.float32)}))
        import json
        with open(os.path.join(d, "config.json")) as f:
            config = json.load(f)
        bad = json.loads(json.dumps(config))
        bad["flywheel"]["norm"] = "rmsnorm"
        expect("layout gpt2 cannot hold `norm`", config=json.dumps(bad))
        bad = json.loads(json.dumps(config))
        del bad["flywheel"]["qk_norm"]
        expect("lacks `qk_norm`", config=json.dumps(bad))
        expect("not valid JSON", config="{")
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f)
        st.write(os.path.join(d, "batch.safetensors"),
                 {"inputs": np.full((1, 4), 37, np.int32), "targets": np.zeros((1, 4), np.int32)})
        expect("inputs holds token ids outside 0..36")
        st.write(os.path.join(d, "batch.safetensors"),
                 {"inputs": np.zeros((1, 9), np.int32), "targets": np.zeros((1, 9), np.int32)})
        expect("T = 9 exceeds seq_len 8")
        os.remove(os.path.join(d, "batch.safetensors"))
        expect("batch.safetensors does not exist")


# ------------------------------------------------------------------------------------------------ runner


def all_tests():
    tests = [test_safetensors_roundtrip, test_safetensors_reads_foreign_order_and_layout,
             test_safetensors_rejects_malformed]
    tests += [make_fd_test(name) for name in CONFIGS]
    tests += [test_layout_gpt2_equals_flywheel, test_layout_llama_equals_flywheel, test_matches_builtin_formulation,
              test_zero_model_predicts_uniform, test_causal, test_cli_writes_expected_file, test_cli_refuses_bad_inputs]
    return tests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="run only tests whose name contains this")
    ap.add_argument("-v", action="store_true", help="print each test's name")
    a = ap.parse_args()
    passed = failed = 0
    for test in all_tests():
        if a.k not in test.__name__:
            continue
        try:
            test()
            passed += 1
            if a.v:
                print(f"ok   {test.__name__}")
        except Exception:  # noqa: BLE001 - report every failure, then go on
            failed += 1
            print(f"FAIL {test.__name__}")
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
