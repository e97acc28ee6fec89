#!/usr/bin/env python3
"""A nanoGPT-like PyTorch trainer that speaks the Flywheel trainer protocol (docs/trainer-protocol.md).

The lab starts it in the run's directory with the environment FLYWHEEL_RUN_DIR, FLYWHEEL_RECIPE, FLYWHEEL_DATA,
FLYWHEEL_SEED, FLYWHEEL_BUDGET (and FLYWHEEL_RESUME=1 to continue). The model, optimizer, schedule and batch come
from the recipe's own sections (so one recipe means the same run here and in the engine); any --key=value flag
(the recipe's trainer.args) overrides them. It reads Flywheel's shards with numpy's memmap, reports every step to
metrics.jsonl, scores bits per byte on the study's yardstick (data.json's val_spans and token_bytes, as the engine
does), writes summary.json, and on SIGTERM saves a checkpoint and exits (evaluating first when a STOP file says the
lab pruned the run). CUDA with bf16 autocast when available, the CPU in float32 otherwise.
"""
import argparse
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

RUN_DIR = os.environ.get("FLYWHEEL_RUN_DIR", ".")
CHECKPOINT = os.path.join(RUN_DIR, "checkpoint.pt")


# ---- the model: GPT-2 style, pre-norm, learned positions, tied head ----------------------------------------------

class Block(nn.Module):
    def __init__(self, dim, heads, mlp, bias):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.proj = nn.Linear(dim, dim, bias=bias)
        self.fc = nn.Linear(dim, mlp, bias=bias)
        self.out = nn.Linear(mlp, dim, bias=bias)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch 1.x
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            y = att.masked_fill(~mask, float("-inf")).softmax(dim=-1) @ v
        x = x + self.proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab, layers, heads, dim, seq, mlp_ratio, bias):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(seq, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, int(dim * mlp_ratio), bias) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2: residual projections scaled by depth
            if name.endswith("proj.weight") or name.endswith("out.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.size(1), device=idx.device))
        for b in self.blocks:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.t()  # tied head


# ---- data: Flywheel shards through numpy's memmap ------------------------------------------------------------------

class Split:
    """One split of the prepared data: its shards' token ids, memory-mapped, read as one stream."""

    def __init__(self, shards, dtype):
        self.parts = [np.memmap(s["path"], dtype=np.dtype(dtype).newbyteorder("<"), mode="r", offset=s["offset"],
                                shape=(s["tokens"],)) for s in shards]
        self.starts = np.cumsum([0] + [len(p) for p in self.parts])
        self.tokens = int(self.starts[-1])

    def read(self, start, count):
        out, at = [], start
        while count > 0:
            i = int(np.searchsorted(self.starts, at, side="right") - 1)
            off = at - int(self.starts[i])
            n = min(count, len(self.parts[i]) - off)
            out.append(np.asarray(self.parts[i][off:off + n], dtype=np.int64))
            at, count = at + n, count - n
        return np.concatenate(out)


def batch(split, gen, size, seq, device):
    """Rows of seq + 1 tokens starting uniformly at random in the split (as the engine's loader does)."""
    starts = gen.integers(0, split.tokens - seq - 1, size=size)
    rows = np.stack([split.read(int(s), seq + 1) for s in starts])
    t = torch.from_numpy(rows).to(device)
    return t[:, :-1], t[:, 1:]


@torch.no_grad()
def evaluate(model, split, spans, token_bytes, seq, device, autocast):
    """Bits per byte on the yardstick: each span read in windows of seq, every target scored once (docs/yardstick.md)."""
    model.eval()
    nats, nbytes, ntokens = 0.0, 0, 0
    windows = [(s + off, min(seq, n - off)) for s, n in spans for off in range(0, n, seq)]
    for i in range(0, len(windows), 8):
        group = windows[i:i + 8]
        x = torch.zeros(len(group), seq, dtype=torch.long)
        y = torch.full((len(group), seq), -1, dtype=torch.long)
        for r, (start, n) in enumerate(group):
            ids = torch.from_numpy(split.read(start, n + 1))
            x[r, :n], y[r, :n] = ids[:-1], ids[1:]
        x, y = x.to(device), y.to(device)
        with autocast():
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.view(-1), ignore_index=-1, reduction="sum")
        scored = y[y >= 0]
        nats += loss.item()
        nbytes += int(token_bytes[scored.cpu().numpy()].sum())
        ntokens += scored.numel()
    model.train()
    return nats / ntokens, nats / (math.log(2) * nbytes)


# ---- the protocol ---------------------------------------------------------------------------------------------------

def emit(record):
    with open(os.path.join(RUN_DIR, "metrics.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")


def write_atomically(path, write):
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)


def budget_steps(budget, tokens_per_step, params):
    """Steps the budget buys; seconds budgets end by the clock instead (None)."""
    units = {"steps": 1, "tokens": tokens_per_step, "flops": 6.0 * params * tokens_per_step}
    for unit, per_step in units.items():
        if budget.endswith(unit):
            return math.ceil(float(budget[:-len(unit)]) / per_step)
    if budget.endswith("seconds"):
        return None
    sys.exit(f"FLYWHEEL_BUDGET={budget} is not steps, tokens, seconds or flops")


def settings():
    """The recipe's engine sections as defaults; --key=value flags (trainer.args) override them."""
    with open(os.environ["FLYWHEEL_RECIPE"]) as f:
        r = json.load(f)
    m, o, s, b = r["model"], r["optimizer"], r["schedule"], r["batch"]
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--layers", type=int, default=m["layers"])
    p.add_argument("--heads", type=int, default=m["heads"])
    p.add_argument("--dim", type=int, default=m["dim"])
    p.add_argument("--seq", type=int, default=m["seq"])
    p.add_argument("--mlp_ratio", type=float, default=m["mlp_ratio"])
    p.add_argument("--bias", type=lambda v: v == "true", default=m["bias"])
    p.add_argument("--lr", type=float, default=o["lr"])
    p.add_argument("--min_lr", type=float, default=o["min_lr"])
    p.add_argument("--beta1", type=float, default=o["beta1"])
    p.add_argument("--beta2", type=float, default=o["beta2"])
    p.add_argument("--weight_decay", type=float, default=o["weight_decay"])
    p.add_argument("--grad_clip", type=float, default=o["grad_clip"])
    p.add_argument("--warmup", type=int, default=s["warmup"])
    p.add_argument("--batch", type=int, default=b["size"])
    p.add_argument("--eval_every", type=int, default=r["eval"]["every"])
    p.add_argument("--checkpoint_every", type=float, default=0, help="seconds between checkpoints (0: only on SIGTERM)")
    p.add_argument("--inject_spike_at", type=int, default=-1, help="train step whose batch is replaced by random tokens")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=int(os.environ.get("FLYWHEEL_THREADS", "0")))
    a = p.parse_args()
    unsupported = [f"{k} {v}" for k, v, ok in [
        ("model.norm", m["norm"], "layernorm"), ("model.position", m["position"], "learned"),
        ("model.activation", m["activation"], "gelu"), ("model.tied_head", m["tied_head"], True),
        ("model.qk_norm", m["qk_norm"], False), ("model.z_loss", m["z_loss"], 0.0),
        ("model.attn_soft_cap", m["attn_soft_cap"], 0.0), ("optimizer.name", o["name"], "adamw"),
        ("schedule.kind", s["kind"], "cosine"), ("batch.accum", b["accum"], 1)] if v != ok]
    if unsupported:  # a change this trainer would silently ignore must not look like a result
        sys.exit("trainers/torch implements layernorm, learned positions, gelu, a tied head, adamw and a cosine "
                 "schedule without accumulation; this recipe sets " + ", ".join(unsupported))
    return r, a


def main():
    recipe, a = settings()
    with open(os.environ["FLYWHEEL_DATA"]) as f:
        data = json.load(f)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    seed = int(os.environ.get("FLYWHEEL_SEED", recipe["seed"]))
    torch.manual_seed(seed)
    device = a.device
    use_bf16 = device.startswith("cuda") and torch.cuda.is_bf16_supported()
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if use_bf16 else \
        (lambda: torch.autocast("cuda", dtype=torch.float16)) if device.startswith("cuda") else \
        (lambda: torch.autocast("cpu", enabled=False))
    scaler = torch.cuda.amp.GradScaler(enabled=device.startswith("cuda") and not use_bf16)

    train, val = Split(data["train"], data["dtype"]), Split(data["val"], data["dtype"])
    token_bytes = np.asarray(data["token_bytes"], dtype=np.int64)
    model = GPT(data["vocab_size"], a.layers, a.heads, a.dim, a.seq, a.mlp_ratio, a.bias).to(device)
    params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices and embeddings, as the engine
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": rest, "weight_decay": 0.0}],
                            lr=a.lr, betas=(a.beta1, a.beta2), eps=recipe["optimizer"]["eps"])
    tokens_per_step = a.batch * a.seq
    budget = os.environ["FLYWHEEL_BUDGET"]
    total = budget_steps(budget, tokens_per_step, params)
    seconds_budget = float(budget[:-len("seconds")]) if total is None else None

    step, train_seconds, lr_scale = 0, 0.0, 1.0
    gen = np.random.default_rng(seed)
    if os.environ.get("FLYWHEEL_RESUME") == "1" and os.path.exists(CHECKPOINT):
        ck = torch.load(CHECKPOINT, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, train_seconds, lr_scale = ck["step"], ck["train_seconds"], ck["lr_scale"]
        gen.bit_generator.state = ck["data_rng"]
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed from step {step}", file=sys.stderr)

    def save():
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "train_seconds": train_seconds,
                 "lr_scale": lr_scale, "data_rng": gen.bit_generator.state, "torch_rng": torch.get_rng_state()}
        write_atomically(CHECKPOINT, lambda p: torch.save(state, p))

    def finish():
        val_loss, val_bpb = evaluate(model, val, data["val_spans"], token_bytes, a.seq, device, autocast)
        emit({"step": step, "val_loss": val_loss, "val_bpb": val_bpb})
        summary = {"val_loss": val_loss, "val_bpb": val_bpb, "params": params, "steps": step,
                   "tokens": step * tokens_per_step, "train_seconds": train_seconds,
                   "tokens_per_second": step * tokens_per_step / max(train_seconds, 1e-9), "device": device}
        if os.environ.get("FLYWHEEL_EVAL_TEST") == "1" and data.get("test_spans"):
            summary["test_bpb"] = evaluate(model, Split(data["test"], data["dtype"]), data["test_spans"], token_bytes,
                                           a.seq, device, autocast)[1]
        write_atomically(os.path.join(RUN_DIR, "summary.json"), lambda p: open(p, "w").write(json.dumps(summary)))

    terminated = []
    signal.signal(signal.SIGTERM, lambda *_: terminated.append(True))
    control = os.path.join(RUN_DIR, "control.jsonl")
    control_size = 0
    emit({"supports": ["lr_cut"]})
    last_checkpoint = time.time()

    while (step < total) if total is not None else (train_seconds < seconds_budget):
        t0 = time.time()
        if os.path.exists(control) and os.path.getsize(control) != control_size:  # the lab's signals
            with open(control) as f:
                lines = f.read().splitlines()
            control_size = os.path.getsize(control)
            lr_scale = json.loads(lines[-1])["lr_scale"]
        progress = step / total if total is not None else train_seconds / seconds_budget
        if step < a.warmup:
            mult = (step + 1.0) / (a.warmup + 1.0)
        else:
            ratio = a.min_lr / a.lr
            mult = ratio + 0.5 * (1 + math.cos(math.pi * min(1.0, progress))) * (1 - ratio)
        lr = a.lr * mult * lr_scale
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch(train, gen, a.batch, a.seq, device)
        if step == a.inject_spike_at:  # a corrupt batch: random tokens, which a trained model finds very surprising
            x = torch.randint(0, data["vocab_size"], x.shape, device=device)
            y = torch.randint(0, data["vocab_size"], y.shape, device=device)
        with autocast():
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), a.grad_clip if a.grad_clip > 0 else float("inf"))
        scaler.step(opt)
        scaler.update()
        loss_value = loss.item()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        train_seconds += time.time() - t0
        step += 1
        emit({"step": step - 1, "tokens": step * tokens_per_step, "loss": loss_value, "lr": lr,
              "grad_norm": float(grad_norm), "seconds": round(train_seconds, 4)})
        if not math.isfinite(loss_value):
            sys.exit(f"the loss became {loss_value} at step {step - 1}")
        if a.eval_every > 0 and step % a.eval_every == 0 and step != total:
            vl, vb = evaluate(model, val, data["val_spans"], token_bytes, a.seq, device, autocast)
            emit({"step": step, "val_loss": vl, "val_bpb": vb})
        if a.checkpoint_every > 0 and time.time() - last_checkpoint >= a.checkpoint_every:
            save()
            last_checkpoint = time.time()
        if terminated:
            save()
            if os.path.exists(os.path.join(RUN_DIR, "STOP")):  # pruned: the lab still scores the run
                finish()
            print(f"SIGTERM: checkpoint of step {step} saved", file=sys.stderr)
            return 0
    finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
