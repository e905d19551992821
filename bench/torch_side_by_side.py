#!/usr/bin/env python3
"""The same workloads in PyTorch beside ours, measured in one session: the engine benchmark's MatMul,
small ViT forward and training step (bench/engine.ts, bench/nets.ts) and SAM's ViT-B image encoder
(segment_anything's own code), with the same thread count; prints PyTorch's times, ours and the
ratios (PyTorch / ours: above 1 means ours is faster).

Optional, never in CI. Skips with a message (exit 0) when torch cannot be imported or when no
segment_anything source is given (the ViT-B part only). Debian's python3-torch works, with
OpenBLAS (without it torch falls back to the reference BLAS, ≈ 5 GFLOP/s):

    apt-get install -y python3-torch python3-torchvision libopenblas0-pthread  # segment_anything imports torchvision
    git -C <segment-anything clone> archive HEAD segment_anything | tar -x -C /tmp/sam-src
    /usr/bin/python3 bench/torch_side_by_side.py --sam-source /tmp/sam-src [--threads 2] [--json]

Our figures come from running `npm run bench:engine` and `npm run bench:sam -- --skip-tiny`
here (in the same session), or from their --json output saved to files (--ours a.json b.json).
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment before torch loads and
OPENBLAS_NUM_THREADS is set to --threads (the script re-executes itself so): a forced core type
slows OpenBLAS down (Haswell kernels: 184 against 269 GFLOP/s on the MatMul here).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DROP_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="threads for PyTorch and ours (default 2)")
    p.add_argument("--repeats", type=int, default=6, help="timed runs per workload, after a warm-up (ViT-B: half)")
    p.add_argument("--sam-source", default=os.environ.get("SAM_SOURCE"),
                   help="a folder holding segment_anything/ (facebookresearch/segment-anything); env SAM_SOURCE")
    p.add_argument("--ours", nargs="*", help="JSON outputs of bench:engine / bench:sam instead of running them")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args()


def median_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def torch_matmul_gflops(torch, repeats):
    a = torch.randn(1024, 768)
    b = torch.randn(768, 768)
    out = torch.empty(1024, 768)
    ms = median_ms(lambda: torch.matmul(a, b, out=out), repeats * 3)
    return 2 * 1024 * 768 * 768 / (ms * 1e-3) / 1e9


def small_vit(torch):
    """bench/nets.ts's vitStack: 4 pre-norm blocks, width 192, 3 heads, 256 tokens, batch 8, GELU MLP ×4."""
    nn = torch.nn
    width, heads, depth = 192, 3, 4

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1 = nn.LayerNorm(width)
            self.qkv = nn.Linear(width, 3 * width)
            self.proj = nn.Linear(width, width)
            self.norm2 = nn.LayerNorm(width)
            self.fc1 = nn.Linear(width, 4 * width)
            self.fc2 = nn.Linear(4 * width, width)

        def forward(self, x):
            b, t, d = x.shape
            qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            attn = torch.softmax((q * (d // heads) ** -0.5) @ k.transpose(-2, -1), dim=-1)
            x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, t, d))
            return x + self.fc2(nn.functional.gelu(self.fc1(self.norm2(x))))

    return nn.Sequential(*[Block() for _ in range(depth)])


def torch_vit(torch, repeats):
    torch.manual_seed(0)
    model = small_vit(torch)
    x = torch.randn(8, 256, 192)
    with torch.no_grad():
        forward_ms = median_ms(lambda: model(x), repeats * 3)
    # One training step as bench:engine's: mean(y²), global-norm clipping at 1, AdamW (lr 1e-4, wd 1e-4).
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = (model(x) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step_ms = median_ms(step, repeats * 3)
    return forward_ms, step_ms


def torch_sam_encoder(torch, source, repeats):
    sys.path.insert(0, source)
    from segment_anything import sam_model_registry  # noqa: E402 (the fetched source, given at run time)

    torch.manual_seed(0)
    encoder = sam_model_registry["vit_b"](checkpoint=None).image_encoder.eval()
    image = torch.randn(1, 3, 1024, 1024)
    with torch.no_grad():
        return median_ms(lambda: encoder(image), max(2, repeats // 2))


def ours(args):
    """Our figures: from --ours files, or by running our benchmarks now with the same threads."""
    result = {}
    if args.ours:
        for path in args.ours:
            with open(path, encoding="utf-8") as f:
                result.update(json.loads(f.read().strip().splitlines()[-1]))
        return result
    for script, extra in (("bench:engine", []), ("bench:sam", ["--skip-tiny"])):
        cmd = ["npm", "run", "-s", script, "--", "--json", "--threads", str(args.threads), *extra]
        out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        result.update(json.loads(out.strip().splitlines()[-1]))
    return result


def main():
    args = parse_args()
    # Before torch loads OpenBLAS: no forced core type, and OpenBLAS's own thread pool (it does not
    # follow torch.set_num_threads) sized to --threads.
    threads = str(args.threads)
    if any(k in os.environ for k in DROP_ENV) or os.environ.get("OPENBLAS_NUM_THREADS") != threads:
        env = {k: v for k, v in os.environ.items() if k not in DROP_ENV}
        env["OPENBLAS_NUM_THREADS"] = threads
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    try:
        import torch
    except ImportError as e:
        print(f"skipped: PyTorch is not importable here ({e}); on Debian: apt-get install -y python3-torch")
        return 0
    torch.set_num_threads(args.threads)
    report = {"threads": args.threads, "torch": torch.__version__}
    report["torch_matmul_gflops"] = round(torch_matmul_gflops(torch, args.repeats), 1)
    forward_ms, step_ms = torch_vit(torch, args.repeats)
    report["torch_vit_forward_ms"] = round(forward_ms, 1)
    report["torch_vit_train_step_ms"] = round(step_ms, 1)
    if args.sam_source and os.path.isdir(os.path.join(args.sam_source, "segment_anything")):
        report["torch_vitb_encoder_ms"] = round(torch_sam_encoder(torch, args.sam_source, args.repeats))
    else:
        report["torch_vitb_encoder_ms"] = None
        print(f"ViT-B encoder skipped: no segment_anything/ under --sam-source ({args.sam_source!r})", file=sys.stderr)

    mine = ours(args)
    pairs = {
        "matmul_gflops": ("matmul_gflops", "torch_matmul_gflops"),
        "vit_forward": ("vit_forward_ms", "torch_vit_forward_ms"),
        "vit_train_step": ("vit_train_step_ms", "torch_vit_train_step_ms"),
        "vitb_encoder": ("vitb_encoder_ms", "torch_vitb_encoder_ms"),
    }
    for name, (our_key, torch_key) in pairs.items():
        report[f"ours_{our_key}"] = mine.get(our_key)
        if mine.get(our_key) and report[torch_key]:
            # Throughput: ours / torch; times: torch / ours. Above 1: ours is faster.
            ratio = mine[our_key] / report[torch_key] if name == "matmul_gflops" else report[torch_key] / mine[our_key]
            report[f"{name}_speedup_over_torch"] = round(ratio, 2)
    if "vitb_encoder_int8_ms" in mine and report["torch_vitb_encoder_ms"]:
        report["ours_vitb_encoder_int8_ms"] = mine["vitb_encoder_int8_ms"]
        report["vitb_encoder_int8_speedup_over_torch"] = round(report["torch_vitb_encoder_ms"] / mine["vitb_encoder_int8_ms"], 2)
    report["load_1min"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(report))
    else:
        for k, v in report.items():
            print(f"{k:<40} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
