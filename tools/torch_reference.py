#!/usr/bin/python3
"""The PyTorch cross-check of the engine: loss, objective and gradients of a checkpoint, in float64.

    /usr/bin/python3 tools/torch_reference.py DIR [--batch FILE] [--out FILE] [--with-logits]

DIR holds model.safetensors and config.json as docs/model.md specifies (layout gpt2, llama or flywheel; the
`flywheel` object of config.json gives every model switch) and, unless --batch says otherwise,
batch.safetensors with `inputs` and `targets`, I32 (or I64) tensors of shape [B,T].

The model is rebuilt here from first principles (no nn.Linear, nn.LayerNorm, F.softmax, F.cross_entropy) in
float64, following the math of docs/model.md line by line. The stored tensors themselves are the leaves of the
autograd graph; the layout mapping (the Conv1D transposition of gpt2, the q/k/v split of llama) is
differentiable code in between, so every gradient comes out in its stored tensor's name, shape and orientation.

Writes DIR/expected.safetensors (or --out): `loss` and `objective` as F64 [1] and `grad/<name>` as F64 for every
tensor of model.safetensors; with --with-logits also `logits` F64 [B,T,V].

Needs Debian's PyTorch: apt-get install python3-torch libopenblas0-openmp python3-numpy, and /usr/bin/python3.
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.exit(f"torch_reference: cannot import {e.name}; run it with /usr/bin/python3 after "
             "`apt-get install python3-torch libopenblas0-openmp python3-numpy`.")

LAYOUTS = ("gpt2", "llama", "flywheel")
REQUIRED = {
    "layout": str, "vocab_size": int, "seq_len": int, "layers": int, "heads": int, "dim": int, "mlp_hidden": int,
    "norm": str, "position": str, "activation": str, "tied_head": bool, "bias": bool, "qk_norm": bool,
    "z_loss": (int, float), "attn_soft_cap": (int, float), "rope_theta": (int, float), "norm_eps": (int, float),
}
CHOICES = {"layout": LAYOUTS, "norm": ("layernorm", "rmsnorm"), "position": ("learned", "rope"),
           "activation": ("gelu", "swiglu", "relu2")}


class CheckpointError(Exception):
    """A problem with the input files that the user (or the engine that wrote them) must fix."""


# ---------------------------------------------------------------------------------------------- the config


def validate_config(cfg, where="config"):
    """Checks the `flywheel` object of config.json; returns it with numbers normalised."""
    if not isinstance(cfg, dict):
        raise CheckpointError(f"{where}: the `flywheel` object is missing or not an object")
    for key, kind in REQUIRED.items():
        if key not in cfg:
            raise CheckpointError(f"{where}: the `flywheel` object lacks `{key}`")
        value = cfg[key]
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise CheckpointError(f"{where}: `flywheel.{key}` is {value!r}, of the wrong type")
    for key, allowed in CHOICES.items():
        if cfg[key] not in allowed:
            raise CheckpointError(f"{where}: `flywheel.{key}` is {cfg[key]!r}; expected one of {', '.join(allowed)}")
    cfg = dict(cfg)
    for key in ("z_loss", "attn_soft_cap", "rope_theta", "norm_eps"):
        cfg[key] = float(cfg[key])
    for key in ("vocab_size", "seq_len", "layers", "heads", "dim", "mlp_hidden"):
        if cfg[key] <= 0:
            raise CheckpointError(f"{where}: `flywheel.{key}` must be positive, not {cfg[key]}")
    if cfg["dim"] % cfg["heads"]:
        raise CheckpointError(f"{where}: dim {cfg['dim']} is not a multiple of heads {cfg['heads']}")
    if cfg["position"] == "rope" and (cfg["dim"] // cfg["heads"]) % 2:
        raise CheckpointError(f"{where}: RoPE needs an even head size, not {cfg['dim'] // cfg['heads']}")
    fixed = layout_requirements(cfg["layout"])
    for key, value in fixed.items():
        if cfg[key] != value:
            raise CheckpointError(f"{where}: layout {cfg['layout']} cannot hold `{key}` = {cfg[key]!r} "
                                  f"(it needs {value!r}); use the flywheel layout")
    return cfg


def layout_requirements(layout):
    """The switches a Hugging Face layout fixes (docs/model.md, "The layout is chosen from the switches")."""
    if layout == "gpt2":
        return {"norm": "layernorm", "position": "learned", "activation": "gelu", "tied_head": True, "bias": True,
                "qk_norm": False, "attn_soft_cap": 0.0}
    if layout == "llama":
        return {"norm": "rmsnorm", "position": "rope", "activation": "swiglu", "tied_head": False, "bias": False,
                "qk_norm": False, "attn_soft_cap": 0.0}
    return {}


def chosen_layout(cfg):
    """The layout the engine picks for these switches."""
    for layout in ("gpt2", "llama"):
        if all(cfg[k] == v for k, v in layout_requirements(layout).items()):
            return layout
    return "flywheel"


# ------------------------------------------------------------------------------------------- the layouts


def canonical_shapes(cfg):
    """Name -> shape of every parameter, in flywheel names (the layout-free model)."""
    V, T, C, H, L = cfg["vocab_size"], cfg["seq_len"], cfg["dim"], cfg["mlp_hidden"], cfg["layers"]
    hs = C // cfg["heads"]
    ln_bias = cfg["norm"] == "layernorm" and cfg["bias"]
    s = {"wte": [V, C]}
    if cfg["position"] == "learned":
        s["wpe"] = [T, C]

    def linear(name, out, inp):
        s[name + ".weight"] = [out, inp]
        if cfg["bias"]:
            s[name + ".bias"] = [out]

    def norm(name):
        s[name + ".weight"] = [C]
        if ln_bias:
            s[name + ".bias"] = [C]

    for l in range(L):
        p = f"h.{l}."
        norm(p + "norm1")
        linear(p + "attn.qkv", 3 * C, C)
        if cfg["qk_norm"]:
            s[p + "attn.q_norm.weight"] = [hs]
            s[p + "attn.k_norm.weight"] = [hs]
        linear(p + "attn.proj", C, C)
        norm(p + "norm2")
        if cfg["activation"] == "swiglu":
            linear(p + "mlp.gate", H, C)
            linear(p + "mlp.up", H, C)
        else:
            linear(p + "mlp.fc", H, C)
        linear(p + "mlp.proj", C, H)
    norm("norm_f")
    if not cfg["tied_head"]:
        s["lm_head.weight"] = [V, C]
    return s


def _gpt2_names(L):
    """flywheel name -> (gpt2 name, transposed)."""
    m = {"wte": ("transformer.wte.weight", False), "wpe": ("transformer.wpe.weight", False),
         "norm_f.weight": ("transformer.ln_f.weight", False), "norm_f.bias": ("transformer.ln_f.bias", False)}
    for l in range(L):
        f, g = f"h.{l}.", f"transformer.h.{l}."
        for ours, theirs, t in (("norm1", "ln_1", False), ("attn.qkv", "attn.c_attn", True),
                                ("attn.proj", "attn.c_proj", True), ("norm2", "ln_2", False),
                                ("mlp.fc", "mlp.c_fc", True), ("mlp.proj", "mlp.c_proj", True)):
            m[f + ours + ".weight"] = (g + theirs + ".weight", t)
            m[f + ours + ".bias"] = (g + theirs + ".bias", False)
    return m


def _llama_names(L):
    """flywheel name -> llama name, for all but qkv (which is three tensors)."""
    m = {"wte": "model.embed_tokens.weight", "norm_f.weight": "model.norm.weight", "lm_head.weight": "lm_head.weight"}
    for l in range(L):
        f, g = f"h.{l}.", f"model.layers.{l}."
        m[f + "norm1.weight"] = g + "input_layernorm.weight"
        m[f + "attn.proj.weight"] = g + "self_attn.o_proj.weight"
        m[f + "norm2.weight"] = g + "post_attention_layernorm.weight"
        m[f + "mlp.gate.weight"] = g + "mlp.gate_proj.weight"
        m[f + "mlp.up.weight"] = g + "mlp.up_proj.weight"
        m[f + "mlp.proj.weight"] = g + "mlp.down_proj.weight"
    return m


def stored_shapes(cfg):
    """Name -> shape of every tensor model.safetensors must hold for this config and layout."""
    canon = canonical_shapes(cfg)
    layout, L, C = cfg["layout"], cfg["layers"], cfg["dim"]
    if layout == "flywheel":
        return canon
    if layout == "gpt2":
        names = _gpt2_names(L)
        return {names[k][0]: (v[::-1] if names[k][1] else v) for k, v in canon.items()}
    names = _llama_names(L)
    out = {}
    for k, v in canon.items():
        if k.endswith("attn.qkv.weight"):
            g = "model.layers." + k.split(".")[1] + ".self_attn."
            for part in ("q_proj", "k_proj", "v_proj"):
                out[g + part + ".weight"] = [C, C]
        else:
            out[names[k]] = v
    return out


def to_canonical(stored, cfg):
    """Maps the stored tensors (torch, any layout) to flywheel names with differentiable ops."""
    layout, L = cfg["layout"], cfg["layers"]
    if layout == "flywheel":
        return dict(stored)
    if layout == "gpt2":
        out = {}
        for ours, (theirs, transposed) in _gpt2_names(L).items():
            if theirs in stored:
                out[ours] = stored[theirs].t() if transposed else stored[theirs]
        return out
    out = {ours: stored[theirs] for ours, theirs in _llama_names(L).items() if theirs in stored}
    for l in range(L):
        g = f"model.layers.{l}.self_attn."
        out[f"h.{l}.attn.qkv.weight"] = torch.cat([stored[g + "q_proj.weight"], stored[g + "k_proj.weight"],
                                                   stored[g + "v_proj.weight"]], dim=0)
    return out


def check_tensors(tensors, cfg, where="model.safetensors"):
    expected = stored_shapes(cfg)
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing:
        raise CheckpointError(f"{where}: the {cfg['layout']} layout for this config needs {missing[0]}"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "") + ", which is missing")
    if extra:
        raise CheckpointError(f"{where}: unexpected tensor {extra[0]}"
                              + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else "")
                              + f" for the {cfg['layout']} layout and this config")
    for name, shape in expected.items():
        if list(tensors[name].shape) != list(shape):
            raise CheckpointError(f"{where}: {name} has shape {list(tensors[name].shape)}, expected {list(shape)}")


# --------------------------------------------------------------------------------------------- the math


def linear(x, w, b):
    """y = x @ W^T + b, W [out, in]."""
    y = x @ w.t()
    return y if b is None else y + b


def layernorm(x, w, b, eps):
    mean = x.mean(dim=-1, keepdim=True)
    xc = x - mean
    var = (xc * xc).mean(dim=-1, keepdim=True)  # biased
    y = xc / torch.sqrt(var + eps) * w
    return y if b is None else y + b


def rmsnorm(x, w, eps):
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * w


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def silu(x):
    return x / (1.0 + torch.exp(-x))


def softmax_last(s):
    m = s.max(dim=-1, keepdim=True).values.detach()  # softmax is shift-invariant; the shift is only for range
    e = torch.exp(s - m)
    return e / e.sum(dim=-1, keepdim=True)


def logsumexp_last(x):
    m = x.max(dim=-1, keepdim=True).values.detach()
    return (m + torch.log(torch.exp(x - m).sum(dim=-1, keepdim=True))).squeeze(-1)


def rope_tables(T, hs, theta, dtype):
    half = hs // 2
    inv_freq = torch.tensor([theta ** (-2.0 * i / hs) for i in range(half)], dtype=dtype)
    angle = torch.arange(T, dtype=dtype)[:, None] * inv_freq[None, :]  # [T, hs/2]
    return torch.cos(angle), torch.sin(angle)


def rope(x, cos, sin):
    """x [B,NH,T,hs]: rotates the pair (i, i+hs/2) by t*inv_freq[i] (Hugging Face's rotate_half form)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def forward(P, cfg, inputs):
    """P: flywheel name -> float64 tensor; inputs: int64 [B,T]. Returns logits [B,T,V]."""
    B, T = inputs.shape
    C, NH, L, eps = cfg["dim"], cfg["heads"], cfg["layers"], cfg["norm_eps"]
    hs = C // NH
    cap = cfg["attn_soft_cap"]

    def norm(x, name):
        if cfg["norm"] == "layernorm":
            return layernorm(x, P[name + ".weight"], P.get(name + ".bias"), eps)
        return rmsnorm(x, P[name + ".weight"], eps)

    def lin(x, name):
        return linear(x, P[name + ".weight"], P.get(name + ".bias"))

    x = P["wte"][inputs]  # [B,T,C]
    if cfg["position"] == "learned":
        x = x + P["wpe"][:T]
    else:
        cos, sin = rope_tables(T, hs, cfg["rope_theta"], x.dtype)
    causal = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)  # j > i
    for l in range(L):
        p = f"h.{l}."
        h = norm(x, p + "norm1")
        qkv = lin(h, p + "attn.qkv")  # [B,T,3C]
        q, k, v = (qkv[..., i * C:(i + 1) * C].reshape(B, T, NH, hs).transpose(1, 2) for i in range(3))
        if cfg["qk_norm"]:
            q = rmsnorm(q, P[p + "attn.q_norm.weight"], eps)
            k = rmsnorm(k, P[p + "attn.k_norm.weight"], eps)
        if cfg["position"] == "rope":
            q, k = rope(q, cos, sin), rope(k, cos, sin)
        s = q @ k.transpose(-2, -1) / math.sqrt(hs)  # [B,NH,T,T]
        if cap > 0:
            s = cap * torch.tanh(s / cap)
        s = s.masked_fill(causal, float("-inf"))
        y = (softmax_last(s) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + lin(y, p + "attn.proj")
        h = norm(x, p + "norm2")
        if cfg["activation"] == "gelu":
            m = gelu_tanh(lin(h, p + "mlp.fc"))
        elif cfg["activation"] == "relu2":
            m = torch.relu(lin(h, p + "mlp.fc")) ** 2
        else:
            m = silu(lin(h, p + "mlp.gate")) * lin(h, p + "mlp.up")
        x = x + lin(m, p + "mlp.proj")
    x = norm(x, "norm_f")
    head = P["wte"] if cfg["tied_head"] else P["lm_head.weight"]
    return x @ head.t()


def loss_and_objective(logits, targets, z_loss):
    lse = logsumexp_last(logits)  # [B,T]
    picked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    loss = (lse - picked).mean()
    return loss, loss + z_loss * (lse * lse).mean()


def compute(stored, cfg, inputs, targets, with_logits=False):
    """stored: name -> numpy array in the stored layout. Returns a dict of numpy float64 results:
    loss, objective, grad/<name> for every stored tensor, and logits if asked."""
    inputs = torch.as_tensor(np.asarray(inputs), dtype=torch.int64)
    targets = torch.as_tensor(np.asarray(targets), dtype=torch.int64)
    if inputs.dim() != 2 or inputs.shape != targets.shape:
        raise CheckpointError(f"batch: inputs {list(inputs.shape)} and targets {list(targets.shape)} must both be [B,T]")
    V, T = cfg["vocab_size"], inputs.shape[1]
    for name, t in (("inputs", inputs), ("targets", targets)):
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= V):
            raise CheckpointError(f"batch: {name} holds token ids outside 0..{V - 1}")
    if cfg["position"] == "learned" and T > cfg["seq_len"]:
        raise CheckpointError(f"batch: T = {T} exceeds seq_len {cfg['seq_len']} of the learned positions")
    leaves = {n: torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for n, a in stored.items()}
    logits = forward(to_canonical(leaves, cfg), cfg, inputs)
    loss, objective = loss_and_objective(logits, targets, cfg["z_loss"])
    grads = torch.autograd.grad(objective, list(leaves.values()), allow_unused=True)
    out = {"loss": np.array([loss.item()]), "objective": np.array([objective.item()])}
    for (name, leaf), g in zip(leaves.items(), grads):
        out["grad/" + name] = np.zeros(tuple(leaf.shape)) if g is None else g.numpy()
    if with_logits:
        out["logits"] = logits.detach().numpy()
    return out


# ------------------------------------------------------------------------------------------ the files


def load_checkpoint(directory):
    """Returns (cfg, tensors) of a checkpoint directory, checked against docs/model.md."""
    cfg_path = os.path.join(directory, "config.json")
    model_path = os.path.join(directory, "model.safetensors")
    for path in (cfg_path, model_path):
        if not os.path.isfile(path):
            raise CheckpointError(f"{path} does not exist; pass a checkpoint directory written by the engine")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            config = json.load(f)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{cfg_path} is not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"{cfg_path} is not a JSON object")
    cfg = validate_config(config.get("flywheel"), cfg_path)
    try:
        tensors, _ = safetensors_io.read(model_path)
    except safetensors_io.SafetensorsError as e:
        raise CheckpointError(str(e)) from None
    check_tensors(tensors, cfg, model_path)
    return cfg, tensors


def load_batch(path):
    if not os.path.isfile(path):
        raise CheckpointError(f"{path} does not exist; write the batch next to the checkpoint or pass --batch FILE")
    try:
        tensors, _ = safetensors_io.read(path)
    except safetensors_io.SafetensorsError as e:
        raise CheckpointError(str(e)) from None
    for name in ("inputs", "targets"):
        if name not in tensors:
            raise CheckpointError(f"{path} has no `{name}` tensor")
        if tensors[name].dtype.kind != "i":
            raise CheckpointError(f"{path}: `{name}` must be I32 or I64, not {tensors[name].dtype}")
    return tensors["inputs"], tensors["targets"]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Float64 PyTorch loss, objective and gradients of a Flywheel checkpoint.")
    ap.add_argument("directory", help="checkpoint directory (model.safetensors + config.json)")
    ap.add_argument("--batch", help="batch file with inputs/targets [B,T] (default DIR/batch.safetensors)")
    ap.add_argument("--out", help="output file (default DIR/expected.safetensors)")
    ap.add_argument("--with-logits", action="store_true", help="also write `logits` F64 [B,T,V]")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    a = ap.parse_args(argv)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    try:
        cfg, tensors = load_checkpoint(a.directory)
        inputs, targets = load_batch(a.batch or os.path.join(a.directory, "batch.safetensors"))
        if chosen_layout(cfg) != cfg["layout"]:
            print(f"torch_reference: note: these switches would be written in the {chosen_layout(cfg)} layout, "
                  f"the checkpoint uses {cfg['layout']}; computing anyway", file=sys.stderr)
        result = compute(tensors, cfg, inputs, targets, a.with_logits)
    except CheckpointError as e:
        print(f"torch_reference: {e}", file=sys.stderr)
        return 2
    out = a.out or os.path.join(a.directory, "expected.safetensors")
    safetensors_io.write(out, result, {"generator": "tools/torch_reference.py", "dtype": "float64",
                                       "layout": cfg["layout"], "torch": torch.__version__})
    B, T = inputs.shape
    print(f"layout {cfg['layout']}  B={B} T={T}  loss {result['loss'][0]:.12f}  "
          f"objective {result['objective'][0]:.12f}  -> {out} ({len(tensors)} gradients)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
