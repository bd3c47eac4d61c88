#!/usr/bin/python3
"""Writes `.pth` test fixtures for core/model/pth_reader_test.cc.

Usage: make_pth_fixtures.py OUT_DIR

Every case is saved by Debian's torch (run with /usr/bin/python3) in the
zip format (<case>.zip.pth) and, where it applies, the legacy format
(<case>.legacy.pth). <case>.txt lists what torch.load returns, one tensor a
line, tab-separated:
  name, dtype (safetensors spelling), shape (comma-separated), the
  contiguous little-endian bytes in hex, and the same tensor converted to
  float32 when it is a float16/bfloat16/float64 one (else the raw bytes).
Bad files (bad_*.pth) have no .txt. deflate_*.raw are raw DEFLATE streams
of deflate_*.bin for core/model/inflate_test.cc.
"""
import collections
import io
import os
import pickle
import struct
import sys
import zipfile
import zlib

import torch

DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
    torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}
FLOATS = (torch.float16, torch.bfloat16, torch.float64)


def tensor_hex(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16.
        return t.view(torch.int16).numpy().tobytes().hex()
    return t.numpy().tobytes().hex()


def write_expected(path, state_dict):
    with open(path, "w") as f:
        for name, t in state_dict.items():
            f32 = t.float() if t.dtype in FLOATS else t
            f.write("\t".join([
                name, DTYPES[t.dtype], ",".join(str(d) for d in t.shape),
                tensor_hex(t), tensor_hex(f32)]) + "\n")


def save_case(out, case, state_dict, legacy=True):
    """Saves in both formats and checks torch reads back what we expect."""
    paths = [(os.path.join(out, case + ".zip.pth"), True)]
    if legacy:
        paths.append((os.path.join(out, case + ".legacy.pth"), False))
    for path, new in paths:
        torch.save(state_dict, path, _use_new_zipfile_serialization=new)
        back = torch.load(path)
        assert list(back) == list(state_dict), path
        for k in state_dict:
            assert torch.equal(back[k], state_dict[k]), (path, k)
    write_expected(os.path.join(out, case + ".txt"), state_dict)


def basic():
    g = torch.Generator().manual_seed(7)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    sd["conv.bias"] = torch.randn(4, generator=g)
    sd["bn.num_batches_tracked"] = torch.tensor(12345678901, dtype=torch.int64)
    sd["half"] = torch.randn(2, 5, generator=g).half()
    sd["bf16"] = torch.randn(3, 2, generator=g).bfloat16()
    sd["double"] = torch.randn(6, generator=g).double()
    sd["int32"] = torch.arange(-3, 3, dtype=torch.int32)
    sd["int16"] = torch.arange(-2, 2, dtype=torch.int16)
    sd["int8"] = torch.arange(-2, 2, dtype=torch.int8)
    sd["uint8"] = torch.arange(0, 250, 50, dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["empty"] = torch.zeros(0, 3)
    sd["scalar"] = torch.tensor(2.5)
    return sd


def views():
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
    shared = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    sd = collections.OrderedDict()
    sd["transposed"] = base.t()                     # strides (1, 10)
    sd["rows"] = base[2:5]                          # storage offset 20
    sd["strided"] = base[1:, 1::3]                  # offset and strides
    sd["column"] = base[:, 7]                       # offset 7, stride 10
    sd["shared_a"] = shared[1]                      # two views of one
    sd["shared_b"] = shared[:, 2:4].t()             # float64 storage
    sd["broadcast"] = torch.arange(3.0).expand(4, 3)  # stride 0
    sd["permuted"] = torch.arange(24, dtype=torch.int64).reshape(2, 3, 4) \
        .permute(2, 0, 1)
    return sd


def module_state_dict():
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    net[1].running_mean.uniform_()
    return net.state_dict()  # An OrderedDict with _metadata.


def prefixed():
    sd = collections.OrderedDict()
    for k, v in module_state_dict().items():
        sd["module." + k] = v
    return sd


def parameters():
    torch.manual_seed(5)
    return collections.OrderedDict(
        w=torch.nn.Parameter(torch.randn(3, 2)),
        b=torch.nn.Parameter(torch.randn(2).half(), requires_grad=False))


class _Storage:
    def __init__(self, key, numel, view=None):
        self.key, self.numel, self.view = key, numel, view


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride)

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                self.args + (False, collections.OrderedDict()))


class _LegacyPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel,
                    obj.view)
        return None


def legacy_with_views(path):
    """A legacy file whose persistent ids carry storage views, as torch < 1.0
    wrote them (torch 1.13 never does, but still reads them)."""
    root = torch.arange(10, dtype=torch.float32)
    sd = collections.OrderedDict()
    sd["whole"] = _Tensor(_Storage("r", 10), 2, (2, 2), (2, 1))
    sd["view"] = _Tensor(_Storage("r", 10, ("v", 3, 5)), 1, (2, 2), (1, 2))
    f = io.BytesIO()
    pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    pickle.dump(dict(protocol_version=1001, little_endian=True,
                     type_sizes=dict(short=2, int=4, long=4)), f, protocol=2)
    _LegacyPickler(f, protocol=2).dump(sd)
    pickle.dump(["r"], f, protocol=2)
    f.write(struct.pack("<q", 10))
    f.write(root.numpy().tobytes())
    with open(path, "wb") as out:
        out.write(f.getvalue())
    return torch.load(path)


def rezip_deflated(src, dst):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(
            dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))


def deflate_vectors(out):
    import random
    rng = random.Random(11)
    text = b"".join(b"state dict entry %d: conv2d.weight\n" % (i % 37)
                    for i in range(3000))
    noise = bytes(rng.getrandbits(8) for _ in range(70000))
    cases = {
        "empty": (b"", 6), "tiny": (b"a", 6), "text9": (text, 9),
        "text1": (text, 1), "stored": (noise[:1000], 0),
        "noise": (noise, 6), "long_stored": (noise, 0),
        "mixed": (text[:20000] + noise[:20000] + text[20000:40000], 9),
    }
    for name, (data, level) in cases.items():
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        raw = c.compress(data) + c.flush()
        with open(os.path.join(out, "deflate_%s.bin" % name), "wb") as f:
            f.write(data)
        with open(os.path.join(out, "deflate_%s.raw" % name), "wb") as f:
            f.write(raw)


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 1)

    def forward(self, x):
        return self.conv(x)


def bad_files(out):
    p = lambda name: os.path.join(out, name)
    torch.jit.script(_Net()).save(p("bad_torchscript.pt"))
    torch.save([torch.zeros(2)], p("bad_list.zip.pth"))
    torch.save({"a": torch.zeros(2), "epoch": 3}, p("bad_nontensor.zip.pth"))
    torch.save({"a": torch.zeros(2), "epoch": 3}, p("bad_nontensor.legacy.pth"),
               _use_new_zipfile_serialization=False)
    torch.save(_Net(), p("bad_wholemodel.zip.pth"))
    torch.save(_Net(), p("bad_wholemodel.legacy.pth"),
               _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(p("bad_notcheckpoint.zip"), "w") as z:
        z.writestr("folder/readme.txt", "hello")
    with zipfile.ZipFile(p("bad_nofolder.zip"), "w") as z:
        z.writestr("data.pkl", "hello")
    with open(p("bad_random.pth"), "wb") as f:
        f.write(bytes((i * 7919 + 13) % 251 for i in range(4096)))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    save_case(out, "basic", basic())
    save_case(out, "views", views())
    save_case(out, "module", module_state_dict())
    save_case(out, "prefixed", prefixed())
    save_case(out, "params", parameters())
    write_expected(os.path.join(out, "legacy_views.txt"),
                   legacy_with_views(os.path.join(out, "legacy_views.legacy.pth")))
    rezip_deflated(os.path.join(out, "basic.zip.pth"),
                   os.path.join(out, "basic.deflated.pth"))
    deflate_vectors(out)
    bad_files(out)


if __name__ == "__main__":
    main()
