#!/usr/bin/python3
"""Writes a random tiny checkpoint directory and a batch, as docs/model.md says the engine does.

    /usr/bin/python3 tools/make_random_checkpoint.py DIR [--layout auto|gpt2|llama|flywheel] [switches] [sizes]

DIR gets model.safetensors (float32, in the chosen layout), config.json (a Hugging Face config for gpt2 and
llama, with the `flywheel` object holding the full model config) and batch.safetensors (`inputs`, `targets`,
I32 [B,T]). --layout auto (the default) picks the layout from the switches as the engine does; the gpt2 and
llama presets set the switches those layouts need. Needs only numpy.

The weights are drawn in flywheel names and then mapped to the layout (`to_layout`), so the same --seed gives
the same model in every layout that can hold it: the tests use that to check the layout mappings.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

PRESETS = {
    "gpt2": dict(norm="layernorm", position="learned", activation="gelu", tied_head=True, bias=True,
                 qk_norm=False, attn_soft_cap=0.0),
    "llama": dict(norm="rmsnorm", position="rope", activation="swiglu", tied_head=False, bias=False,
                  qk_norm=False, attn_soft_cap=0.0),
}


def make_config(layout="auto", vocab_size=37, seq_len=8, layers=2, heads=2, dim=16, mlp_hidden=None,
                norm="layernorm", position="learned", activation="gelu", tied_head=True, bias=True, qk_norm=False,
                z_loss=0.0, attn_soft_cap=0.0, rope_theta=10000.0, norm_eps=1e-5):
    """The `flywheel` object of config.json. layout auto picks it from the switches (docs/model.md)."""
    cfg = dict(layout=layout, vocab_size=vocab_size, seq_len=seq_len, layers=layers, heads=heads, dim=dim,
               mlp_hidden=mlp_hidden if mlp_hidden is not None else 4 * dim, norm=norm, position=position,
               activation=activation, tied_head=tied_head, bias=bias, qk_norm=qk_norm, z_loss=float(z_loss),
               attn_soft_cap=float(attn_soft_cap), rope_theta=float(rope_theta), norm_eps=float(norm_eps))
    if layout == "auto":
        cfg["layout"] = "flywheel"
        for name, preset in PRESETS.items():
            if all(cfg[k] == v for k, v in preset.items()):
                cfg["layout"] = name
    elif layout in PRESETS:
        bad = [k for k, v in PRESETS[layout].items() if cfg[k] != v]
        if bad:
            raise ValueError(f"the {layout} layout needs {', '.join(f'{k}={PRESETS[layout][k]}' for k in bad)}")
    elif layout != "flywheel":
        raise ValueError(f"unknown layout {layout!r}")
    return cfg


def random_canonical(cfg, rng, scale=1.0):
    """Random weights in flywheel names, float32, sized so that every nonlinearity is exercised: matrices
    ~ N(0, 1/fan_in), token embeddings ~ N(0, 0.5^2), positions ~ N(0, 0.25^2), gains ~ 1 + N(0, 0.1^2),
    biases ~ N(0, 0.1^2). `scale` multiplies the matrices and embeddings."""
    V, T, C, H, L = cfg["vocab_size"], cfg["seq_len"], cfg["dim"], cfg["mlp_hidden"], cfg["layers"]
    hs = C // cfg["heads"]
    ln_bias = cfg["norm"] == "layernorm" and cfg["bias"]
    P = {}

    def mat(name, out, inp):
        P[name + ".weight"] = rng.normal(0.0, scale / np.sqrt(inp), (out, inp))
        if cfg["bias"]:
            P[name + ".bias"] = rng.normal(0.0, 0.1, (out,))

    def gain(name, n, with_bias):
        P[name + ".weight"] = 1.0 + rng.normal(0.0, 0.1, (n,))
        if with_bias:
            P[name + ".bias"] = rng.normal(0.0, 0.1, (n,))

    P["wte"] = rng.normal(0.0, 0.5 * scale, (V, C))
    if cfg["position"] == "learned":
        P["wpe"] = rng.normal(0.0, 0.25 * scale, (T, C))
    for l in range(L):
        p = f"h.{l}."
        gain(p + "norm1", C, ln_bias)
        mat(p + "attn.qkv", 3 * C, C)
        if cfg["qk_norm"]:
            gain(p + "attn.q_norm", hs, False)
            gain(p + "attn.k_norm", hs, False)
        mat(p + "attn.proj", C, C)
        gain(p + "norm2", C, ln_bias)
        if cfg["activation"] == "swiglu":
            mat(p + "mlp.gate", H, C)
            mat(p + "mlp.up", H, C)
        else:
            mat(p + "mlp.fc", H, C)
        mat(p + "mlp.proj", C, H)
    gain("norm_f", C, ln_bias)
    if not cfg["tied_head"]:
        P["lm_head.weight"] = rng.normal(0.0, scale / np.sqrt(C), (V, C))
    return {k: v.astype(np.float32) for k, v in P.items()}


def to_layout(P, cfg, layout=None):
    """Maps flywheel-named arrays (weights or gradients alike) to the names and orientations of a layout."""
    layout = layout or cfg["layout"]
    if layout == "flywheel":
        return dict(P)
    out = {}
    if layout == "gpt2":
        for k, v in P.items():
            if k in ("wte", "wpe"):
                out[f"transformer.{k}.weight"] = v
            elif k.startswith("norm_f."):
                out["transformer.ln_f." + k.split(".")[1]] = v
            else:
                _, l, rest = k.split(".", 2)
                part, kind = rest.rsplit(".", 1)
                theirs = {"norm1": "ln_1", "norm2": "ln_2", "attn.qkv": "attn.c_attn", "attn.proj": "attn.c_proj",
                          "mlp.fc": "mlp.c_fc", "mlp.proj": "mlp.c_proj"}[part]
                # Conv1D stores [in, out]: the transpose of nn.Linear's [out, in].
                out[f"transformer.h.{l}.{theirs}.{kind}"] = v.T.copy() if kind == "weight" and v.ndim == 2 else v
        return out
    if layout == "llama":
        for k, v in P.items():
            if k == "wte":
                out["model.embed_tokens.weight"] = v
            elif k == "norm_f.weight":
                out["model.norm.weight"] = v
            elif k == "lm_head.weight":
                out[k] = v
            else:
                _, l, rest = k.split(".", 2)
                g = f"model.layers.{l}."
                if rest == "attn.qkv.weight":
                    q, kk, vv = np.split(v, 3, axis=0)
                    out[g + "self_attn.q_proj.weight"] = q.copy()
                    out[g + "self_attn.k_proj.weight"] = kk.copy()
                    out[g + "self_attn.v_proj.weight"] = vv.copy()
                else:
                    out[g + {"norm1.weight": "input_layernorm.weight", "attn.proj.weight": "self_attn.o_proj.weight",
                             "norm2.weight": "post_attention_layernorm.weight",
                             "mlp.gate.weight": "mlp.gate_proj.weight", "mlp.up.weight": "mlp.up_proj.weight",
                             "mlp.proj.weight": "mlp.down_proj.weight"}[rest]] = v
        return out
    raise ValueError(f"unknown layout {layout!r}")


def hf_config(cfg):
    """config.json: a Hugging Face config for gpt2 / llama, a Flywheel one otherwise; always with `flywheel`."""
    C, NH = cfg["dim"], cfg["heads"]
    if cfg["layout"] == "gpt2":
        c = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": cfg["vocab_size"],
             "n_positions": cfg["seq_len"], "n_ctx": cfg["seq_len"], "n_embd": C, "n_layer": cfg["layers"],
             "n_head": NH, "n_inner": cfg["mlp_hidden"], "activation_function": "gelu_new",
             "layer_norm_epsilon": cfg["norm_eps"], "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
             "scale_attn_weights": True, "tie_word_embeddings": True, "torch_dtype": "float32"}
    elif cfg["layout"] == "llama":
        c = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": cfg["vocab_size"],
             "hidden_size": C, "intermediate_size": cfg["mlp_hidden"], "num_hidden_layers": cfg["layers"],
             "num_attention_heads": NH, "num_key_value_heads": NH, "head_dim": C // NH, "hidden_act": "silu",
             "max_position_embeddings": cfg["seq_len"], "rms_norm_eps": cfg["norm_eps"],
             "rope_theta": cfg["rope_theta"], "tie_word_embeddings": False, "attention_bias": False,
             "mlp_bias": False, "torch_dtype": "float32"}
    else:
        c = {"model_type": "flywheel"}
    c["flywheel"] = dict(cfg)
    return c


def random_batch(cfg, batch, seq, rng):
    V = cfg["vocab_size"]
    return {"inputs": rng.integers(0, V, (batch, seq)).astype(np.int32),
            "targets": rng.integers(0, V, (batch, seq)).astype(np.int32)}


def write_checkpoint(directory, cfg, canonical, batch=None):
    os.makedirs(directory, exist_ok=True)
    safetensors_io.write(os.path.join(directory, "model.safetensors"), to_layout(canonical, cfg),
                         {"format": "pt"})
    with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
        json.dump(hf_config(cfg), f, indent=2)
        f.write("\n")
    if batch is not None:
        safetensors_io.write(os.path.join(directory, "batch.safetensors"), batch)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write a random tiny Flywheel checkpoint and batch.")
    ap.add_argument("directory")
    ap.add_argument("--layout", default="auto", choices=["auto", "gpt2", "llama", "flywheel"],
                    help="auto picks it from the switches; gpt2 / llama also preset their switches")
    ap.add_argument("--vocab", type=int, default=37)
    ap.add_argument("--seq", type=int, default=8, help="seq_len of the model")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--dim", type=int, default=16)
    ap.add_argument("--mlp-hidden", type=int, help="default 4*dim")
    ap.add_argument("--norm", choices=["layernorm", "rmsnorm"])
    ap.add_argument("--position", choices=["learned", "rope"])
    ap.add_argument("--activation", choices=["gelu", "swiglu", "relu2"])
    ap.add_argument("--tied-head", action=argparse.BooleanOptionalAction)
    ap.add_argument("--bias", action=argparse.BooleanOptionalAction)
    ap.add_argument("--qk-norm", action=argparse.BooleanOptionalAction)
    ap.add_argument("--z-loss", type=float, default=0.0)
    ap.add_argument("--attn-soft-cap", type=float)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--norm-eps", type=float, default=1e-5)
    ap.add_argument("--batch", type=int, default=3, help="B of the batch")
    ap.add_argument("--batch-seq", type=int, help="T of the batch (default seq_len)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the random matrices and embeddings")
    a = ap.parse_args(argv)

    switches = dict(PRESETS.get(a.layout, PRESETS["gpt2"]))  # gpt2's switches unless told otherwise
    for key in ("norm", "position", "activation", "tied_head", "bias", "qk_norm", "attn_soft_cap"):
        if getattr(a, key) is not None:
            switches[key] = getattr(a, key)
    try:
        cfg = make_config(a.layout, a.vocab, a.seq, a.layers, a.heads, a.dim, a.mlp_hidden, z_loss=a.z_loss,
                          rope_theta=a.rope_theta, norm_eps=a.norm_eps, **switches)
    except ValueError as e:
        print(f"make_random_checkpoint: {e}; drop the conflicting switch or use --layout flywheel", file=sys.stderr)
        return 2
    rng = np.random.default_rng(a.seed)
    weights = random_canonical(cfg, rng, a.scale)
    batch = random_batch(cfg, a.batch, a.batch_seq or a.seq, rng)
    write_checkpoint(a.directory, cfg, weights, batch)
    print(f"wrote {a.directory}: layout {cfg['layout']}, {sum(v.size for v in weights.values())} parameters, "
          f"batch {a.batch}x{a.batch_seq or a.seq}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
