#!/usr/bin/python3
"""Facet's Python reference of the face parsing network, written from
shared/spec/fpn-model.md (sections 1-5), for fixtures and baselines.

Run with Debian's torch: /usr/bin/python3 tests/python/fpn_reference.py ...

  check-golden FIXTURES_DIR
      Loads golden/small.safetensors, runs golden/input.png and compares with
      logits.f32, image.f32 and labels.png; exits 1 on mismatch.
  make-fixture --config in,out,min_feat,base,parsing,depth,lo,hi --seed S OUT_DIR
      Writes a randomly initialised network (weights.safetensors, with random
      BatchNorm statistics), a deterministic input (input.rgb, uint8 HxWx3)
      and its outputs (logits.f32, image.f32), for C++ parity tests at other
      configurations.
"""
import json
import math
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def clip(c, lo, hi):
    return max(lo, min(c, hi))


class ConvLayer(nn.Module):
    def __init__(self, cin, cout, scale="none", norm=False, act=False):
        super().__init__()
        self.scale = scale
        self.conv2d = nn.Conv2d(cin, cout, 3, stride=2 if scale == "down" else 1,
                                padding=0, bias=not norm)
        self.act = act
        if norm:
            self.norm = nn.Module()
            self.norm.norm = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        else:
            self.norm = None

    def forward(self, x):
        if self.scale == "up":
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")
        x = self.conv2d(x)
        if self.norm is not None:
            x = self.norm.norm(x)
        if self.act:
            x = F.leaky_relu(x, 0.2)
        return x


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, scale="none"):
        super().__init__()
        if scale != "none" or cin != cout:
            self.shortcut_func = ConvLayer(cin, cout, scale)
        else:
            self.shortcut_func = None
        self.conv1 = ConvLayer(cin, cout, "up" if scale == "up" else "none", True, True)
        self.conv2 = ConvLayer(cout, cout, "down" if scale == "down" else "none", True, False)

    def forward(self, x):
        identity = x if self.shortcut_func is None else self.shortcut_func(x)
        return identity + self.conv2(self.conv1(x))


class FPN(nn.Module):
    def __init__(self, in_size=512, out_size=512, min_feat=32, base=64, parsing=19,
                 depth=10, lo=32, hi=256):
        super().__init__()
        m = min(in_size, min_feat)
        d = int(round(math.log2(in_size / m)))
        u = int(round(math.log2(out_size / m)))
        c = lambda v: clip(v, lo, hi)
        enc = [ConvLayer(3, base)]
        for i in range(d):
            enc.append(ResidualBlock(c(base * 2 ** i), c(base * 2 ** (i + 1)), "down"))
        self.encoder = nn.Sequential(*enc)
        self.body = nn.Sequential(*[ResidualBlock(c(base * 2 ** d), c(base * 2 ** d))
                                    for _ in range(depth)])
        self.decoder = nn.Sequential(*[
            ResidualBlock(c(base * 2 ** (d - j)), c(int(base * 2.0 ** (d - j - 1))), "up")
            for j in range(u)])
        head = c(int(base * 2.0 ** (d - u)))
        self.out_img_conv = ConvLayer(head, 3)
        self.out_mask_conv = ConvLayer(head, parsing)

    def forward(self, x):
        feat = self.encoder(x)
        y = self.decoder(feat + self.body(feat))
        return self.out_mask_conv(y), self.out_img_conv(y)


DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64,
          "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    buf = data[8 + n:]
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        arr = np.frombuffer(buf[b:e], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    names = {"float32": "F32", "int64": "I64"}
    for name, t in tensors.items():
        arr = t.detach().cpu().contiguous().numpy()
        raw = arr.tobytes()
        header[name] = {"dtype": names[str(arr.dtype)], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def read_png_rgb(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"))


def to_input(rgb):
    x = torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1)[None]
    return x / 255.0 * 2 - 1


def check_golden(fixtures):
    g = fixtures + "/golden"
    manifest = json.load(open(g + "/manifest.json"))
    cfg = manifest["config"]
    net = FPN(cfg["in_size"], cfg["out_size"], cfg["min_feat_size"], cfg["base_ch"],
              cfg["parsing_ch"], cfg["res_depth"], *cfg["ch_range"])
    sd = read_safetensors(g + "/small.safetensors")
    ours = net.state_dict()
    assert list(ours.keys()) == [k[0] for k in manifest["state_dict"]["keys"]], "key order"
    net.load_state_dict(sd, strict=True)
    net.eval()
    with torch.no_grad():
        logits, image = net(to_input(read_png_rgb(g + "/input.png")))
    ref_logits = np.fromfile(g + "/logits.f32", dtype="<f4").reshape(logits.shape[1:])
    ref_image = np.fromfile(g + "/image.f32", dtype="<f4").reshape(image.shape[1:])
    ok = True
    for name, got, ref in (("logits", logits[0].numpy(), ref_logits),
                           ("image", image[0].numpy(), ref_image)):
        err = float(np.abs(got - ref).max())
        tol = 1e-5 * max(1.0, float(np.abs(ref).max()))
        print(f"{name}: max abs error {err:.3g} (tolerance {tol:.3g})")
        ok &= err <= tol
    from PIL import Image
    labels = np.asarray(Image.open(g + "/labels.png"))
    agree = float((logits[0].argmax(0).numpy() == labels).mean())
    print(f"labels: {agree * 100:.3f}% equal")
    ok &= agree == 1.0
    return 0 if ok else 1


def make_fixture(cfg, seed, out):
    import os
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(seed)
    net = FPN(*cfg)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("running_mean"):
                t.normal_(0, 0.3)
            elif name.endswith("running_var"):
                t.uniform_(0.5, 2.0)
            elif name.endswith("norm.norm.weight"):
                t.uniform_(0.5, 1.5)
            elif name.endswith("norm.norm.bias"):
                t.normal_(0, 0.2)
    net.eval()
    write_safetensors(out + "/weights.safetensors", net.state_dict())
    g = torch.Generator().manual_seed(seed + 1)
    size = cfg[0]
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    rgb = torch.stack([(xx * 255) // size, (yy * 255) // size,
                       torch.randint(0, 256, (size, size), generator=g)], -1).to(torch.uint8)
    rgb.numpy().tofile(out + "/input.rgb")
    with torch.no_grad():
        logits, image = net(to_input(rgb.numpy()))
    logits[0].numpy().astype("<f4").tofile(out + "/logits.f32")
    image[0].numpy().astype("<f4").tofile(out + "/image.f32")
    json.dump({"config": cfg, "seed": seed}, open(out + "/fixture.json", "w"))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "check-golden":
        return check_golden(argv[1])
    if len(argv) >= 6 and argv[0] == "make-fixture" and argv[1] == "--config" and argv[3] == "--seed":
        cfg = [int(v) for v in argv[2].split(",")]
        return make_fixture(cfg, int(argv[4]), argv[5])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
