#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

Run with Debian's Python (/usr/bin/python3: PIL and torch for the image and
.pth seeds) from anywhere:  /usr/bin/python3 tests/fuzz/make_corpus.py
Seeds are small valid files plus edge cases; names say what each is. Files
this script does not write (crash-* inputs kept as regressions, and inputs
a fuzzer found and someone chose to keep) are left alone.
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- images (image_header, image_decoder, request) -------------------------

def image_seeds():
    from PIL import Image
    seeds = {}
    rgb = Image.new("RGB", (6, 4))
    for x in range(6):
        for y in range(4):
            rgb.putpixel((x, y), (40 * x, 60 * y, 255 - 40 * x))

    def save(img, fmt, **kw):
        out = io.BytesIO()
        img.save(out, fmt, **kw)
        return out.getvalue()

    seeds["rgb_6x4.png"] = save(rgb, "PNG")
    seeds["gray_6x4.png"] = save(rgb.convert("L"), "PNG")
    seeds["palette_6x4.png"] = save(rgb.convert("P"), "PNG")
    seeds["rgba_6x4.png"] = save(rgb.convert("RGBA"), "PNG")
    seeds["gray16_6x4.png"] = save(rgb.convert("L").convert("I"), "PNG")
    seeds["optimized_6x4.png"] = save(rgb, "PNG", optimize=True)
    seeds["baseline_8x8.jpg"] = save(rgb.resize((8, 8)), "JPEG", quality=50)
    seeds["progressive_8x8.jpg"] = save(rgb.resize((8, 8)), "JPEG", quality=50, progressive=True)
    seeds["gray_8x8.jpg"] = save(rgb.convert("L").resize((8, 8)), "JPEG", quality=50)
    seeds["rgb_6x4.bmp"] = save(rgb, "BMP")
    seeds["gray_6x4.bmp"] = save(rgb.convert("L"), "BMP")
    seeds["rgb_6x4.tif"] = save(rgb, "TIFF")
    try:
        seeds["lossless_6x4.webp"] = save(rgb, "WEBP", lossless=True)
        seeds["lossy_6x4.webp"] = save(rgb, "WEBP", quality=30)
    except (KeyError, OSError):
        pass
    png = seeds["rgb_6x4.png"]
    seeds["truncated_header.png"] = png[:20]
    seeds["truncated_data.png"] = png[: len(png) // 2]
    # IHDR with a zero width (the CRC made right, so only the size is wrong).
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 0, 4, 8, 2, 0, 0, 0)
    seeds["zero_width.png"] = (png[:8] + struct.pack(">I", 13) + ihdr +
                               struct.pack(">I", zlib.crc32(ihdr)) + png[33:])
    huge = b"IHDR" + struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    seeds["huge_sides.png"] = (png[:8] + struct.pack(">I", 13) + huge +
                               struct.pack(">I", zlib.crc32(huge)) + png[33:])
    bmp = bytearray(seeds["rgb_6x4.bmp"])
    bmp[22:26] = struct.pack("<i", -4)  # Top-down rows.
    seeds["top_down_6x4.bmp"] = bytes(bmp)
    seeds["empty"] = b""
    seeds["jpeg_soi_only.jpg"] = b"\xff\xd8\xff"
    return seeds


def write_images():
    for name, data in image_seeds().items():
        write("image_header", name, data)
        write("image_decoder", name, data)


# ---- deflate, zip, pickle, .pth --------------------------------------------

def raw_deflate(data, level=6, strategy=zlib.Z_DEFAULT_STRATEGY):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return c.compress(data) + c.flush()


def write_inflate():
    text = b"facet facet facet: face parsing " * 8 + bytes(range(64))
    write("inflate", "stored_block", raw_deflate(text, 0))
    write("inflate", "fixed_huffman", raw_deflate(text, 6, zlib.Z_FIXED))
    write("inflate", "dynamic_huffman", raw_deflate(text, 9))
    write("inflate", "rle_run", raw_deflate(b"\0" * 2000, 9, zlib.Z_RLE))
    write("inflate", "empty_stream", raw_deflate(b""))
    write("inflate", "truncated", raw_deflate(text, 9)[:20])


def zip_bytes(entries, comment=b"", force_zip64=False):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data, method in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            with z.open(info, "w", force_zip64=force_zip64) as f:
                f.write(data)
        z.comment = comment
    return out.getvalue()


def torch_seeds():
    """Small torch.save outputs, or {} without torch."""
    try:
        import torch
    except ImportError:
        print("no torch: .pth seeds from torch.save skipped", file=sys.stderr)
        return {}
    torch.manual_seed(0)
    seeds = {}
    sd = collections.OrderedDict()
    sd["encoder.0.conv2d.weight"] = torch.randn(2, 1, 1, 2)
    sd["encoder.0.conv2d.bias"] = torch.randn(2)
    sd["norm.running_mean"] = torch.zeros(2)
    sd["norm.num_batches_tracked"] = torch.tensor(7)
    for fmt, zip_format in (("zip", True), ("legacy", False)):
        out = io.BytesIO()
        torch.save(sd, out, _use_new_zipfile_serialization=zip_format)
        seeds[f"state_dict.{fmt}.pth"] = out.getvalue()
    base = torch.arange(12, dtype=torch.float32)
    views = collections.OrderedDict()
    views["whole"] = base
    views["offset_view"] = base[4:8]
    views["strided"] = base.view(3, 4)[:, 1]
    views["half"] = torch.ones(3, dtype=torch.float16)
    views["bf16"] = torch.ones(2, dtype=torch.bfloat16)
    views["int32"] = torch.arange(3, dtype=torch.int32)
    views["bool"] = torch.tensor([True, False])
    views["empty"] = torch.zeros(0, 3)
    for fmt, zip_format in (("zip", True), ("legacy", False)):
        out = io.BytesIO()
        torch.save(views, out, _use_new_zipfile_serialization=zip_format)
        seeds[f"views_dtypes.{fmt}.pth"] = out.getvalue()
    out = io.BytesIO()
    torch.save({"state_dict": sd, "epoch": 3}, out)
    seeds["wrapped_state_dict.zip.pth"] = out.getvalue()
    return seeds


def write_zip_pickle_pth():
    text = b"facet " * 40
    write("zip_archive", "stored_and_deflated.zip",
          zip_bytes([("archive/a", text, zipfile.ZIP_STORED),
                     ("archive/b", text, zipfile.ZIP_DEFLATED)]))
    write("zip_archive", "comment.zip",
          zip_bytes([("x", b"1", zipfile.ZIP_STORED)], comment=b"a comment"))
    write("zip_archive", "empty_entry.zip", zip_bytes([("empty", b"", zipfile.ZIP_STORED)]))
    write("zip_archive", "zip64_local.zip",
          zip_bytes([("big", text, zipfile.ZIP_STORED)], force_zip64=True))
    write("zip_archive", "no_entries.zip", zip_bytes([]))

    values = [
        {"a": 1, "b": [1.5, -2, None, True], "c": ("x", b"\x00\xff")},
        collections.OrderedDict([("k", 2**40), ("neg", -2**70), ("f", 1e300)]),
        [list(range(300)), "é" * 5, 3.25, -1],
        {"shared": [1, 2], "again": None},
    ]
    values[3]["again"] = values[3]["shared"]  # Memo reference.
    for protocol in (2, 3, 4, 5):
        for i, v in enumerate(values):
            write("pickle_reader", f"p{protocol}_value{i}.pkl", pickle.dumps(v, protocol=protocol))
    write("pickle_reader", "two_pickles.pkl", pickle.dumps(1, 2) + pickle.dumps("two", 2))

    seeds = torch_seeds()
    for name, data in seeds.items():
        write("pth_reader", name, data)
        if name.endswith(".zip.pth"):
            write("zip_archive", name.replace(".pth", ".zip"), data)
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
                write("pickle_reader", name.replace(".zip.pth", ".data.pkl"), z.read(pkl))
    # A deflated .pth (torch never writes one; other zip tools may).
    if "state_dict.zip.pth" in seeds:
        with zipfile.ZipFile(io.BytesIO(seeds["state_dict.zip.pth"])) as z:
            entries = [(n, z.read(n), zipfile.ZIP_DEFLATED) for n in z.namelist()]
        write("pth_reader", "deflated_state_dict.zip.pth", zip_bytes(entries))
    write("pth_reader", "not_a_checkpoint.pth", b"hello")
    write("pth_reader", "tar_magic.pth", b"\0" * 257 + b"ustar" + b"\0" * 10)


# ---- safetensors -----------------------------------------------------------

def safetensors_bytes(tensors, metadata=None, pad=True):
    header, data, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data, text


def write_safetensors():
    cases = {
        "f32_and_i64": ({"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                         "steps": ("I64", [], struct.pack("<q", 7))}, {"format": "pt"}),
        "all_dtypes": ({"a": ("F16", [1], b"\0\x3c"), "b": ("BF16", [1], b"\x80\x3f"),
                        "c": ("F64", [1], struct.pack("<d", 0.5)), "d": ("I32", [1], b"\1\0\0\0"),
                        "e": ("I16", [1], b"\1\0"), "f": ("I8", [1], b"\xff"),
                        "g": ("U8", [1], b"\xff"), "h": ("BOOL", [2], b"\1\0")}, None),
        "empty_tensor": ({"z": ("F32", [0, 3], b"")}, None),
        "no_tensors": ({}, {"note": "nothing"}),
        "unicode_names": ({"é.weight": ("F32", [1], b"\0\0\x80\x3f")}, {"ключ": "значение"}),
    }
    for name, (tensors, metadata) in cases.items():
        whole, header = safetensors_bytes(tensors, metadata)
        write("safetensors", name + ".safetensors", whole)
        write("safetensors_header", name + ".json", header)
    whole, _ = safetensors_bytes({"w": ("F32", [2], b"\0" * 8)}, pad=False)
    write("safetensors", "unpadded_header.safetensors", whole)
    write("safetensors", "truncated_data.safetensors", whole[:-3])
    write("safetensors", "short_length.safetensors", b"\x08\0\0")
    write("safetensors_header", "overlapping.json",
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
          '"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}')
    write("safetensors_header", "end_before_begin.json",
          '{"a":{"dtype":"I32","shape":[1],"data_offsets":[24,16]}}')
    write("safetensors", "end_before_begin.safetensors", safetensors_bytes(
        {"a": ("I32", [1], b"\0" * 4)})[0].replace(b"[0,4]", b"[4,0]"))
    write("safetensors_header", "huge_shape.json",
          '{"a":{"dtype":"F32","shape":[9223372036854775807,4],"data_offsets":[0,4]}}')


# ---- manifest, serving policy ----------------------------------------------

def write_manifest():
    def manifest(**over):
        m = collections.OrderedDict([
            ("format_version", 1), ("model_name", "fpn-small"), ("version", 3),
            ("config", collections.OrderedDict([
                ("in_size", 64), ("out_size", 64), ("min_feat_size", 16), ("base_ch", 8),
                ("parsing_ch", 19), ("res_depth", 2), ("ch_range", [8, 16])])),
            ("step", 1200), ("metrics", {"val_loss": 1.5, "val_miou": 0.625}),
            ("created_at", "2026-11-29T16:00:00Z"),
            ("files", {"weights.safetensors": "a" * 64}),
            ("extra", {"git": "abc123"})])
        m.update(over)
        return json.dumps(m, indent=2, ensure_ascii=False) + "\n"

    write("manifest", "good.json", manifest())
    write("manifest", "no_extra_fraction_time.json",
          manifest(created_at="2026-11-29T16:00:00.123456Z", extra={}, metrics={}))
    write("manifest", "published_config.json", manifest(config=collections.OrderedDict([
        ("in_size", 512), ("out_size", 512), ("min_feat_size", 32), ("base_ch", 64),
        ("parsing_ch", 19), ("res_depth", 10), ("ch_range", [32, 256])])))
    write("manifest", "two_files_unicode_extra.json", manifest(
        files={"weights.safetensors": "0" * 64, "weights.pth": "f" * 64},
        extra={"note": "é\u2603"}, metrics={"x": -1e-300, "y": 1e300}))
    write("manifest", "bad_version_string.json", manifest(version="3"))
    write("manifest", "duplicate_key.json", '{"step": 1, "step": 2}')
    write("manifest", "not_an_object.json", "[1, 2, 3]")


def write_serving_policy():
    for name, text in {
        "latest": "latest\n", "pin": "pin 3\n", "rollback": "rollback",
        "comments": "# which version to serve\n\n  pin   12   # until the fix\n",
        "empty": "", "pin_zero": "pin 0\n", "two_directives": "latest\nrollback\n",
        "pin_huge": "pin 99999999999999999999\n", "crlf": "latest\r\n",
    }.items():
        write("serving_policy", name + ".txt", text)


# ---- request (facet.v1.ParseRequest wire format) ---------------------------

def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, value):
    """A proto field: int -> varint, bytes -> length-delimited."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    return varint(num << 3 | 2) + varint(len(value)) + value


def write_request():
    images = image_seeds()
    png, jpg = images["rgb_6x4.png"], images["baseline_8x8.jpg"]
    encoded = lambda data: field(1, field(1, data))  # ParseRequest.image.encoded
    raw = lambda data, w, h, fmt: field(1, field(2, field(1, data) + field(2, w) +
                                                 field(3, h) + field(4, fmt)))
    cases = {
        "png_defaults": encoded(png),
        "jpeg_all_outputs_network_size": encoded(jpg) + field(2, 2) + field(3, 1) +
            field(4, 1) + field(5, 1) + field(6, 1) + field(7, 1) + field(8, 2) + field(9, 80),
        "raw_rgb_raw_outputs": raw(bytes(range(48)), 4, 4, 1) + field(3, 3) + field(4, 1) +
            field(8, 3) + field(7, 1),
        "raw_bgr": raw(bytes(48), 4, 4, 2) + field(5, 1),
        "raw_gray_input_size": raw(bytes(range(16)), 4, 4, 3) + field(2, 1) + field(6, 1),
        "raw_wrong_length": raw(bytes(10), 4, 4, 1),
        "no_image": field(2, 1),
        "jpeg_labels_refused": encoded(png) + field(3, 2),
        "quality_out_of_range": encoded(png) + field(9, 101),
    }
    for name, data in cases.items():
        write("request", name + ".pb", data)


def main():
    write_images()
    write_inflate()
    write_zip_pickle_pth()
    write_safetensors()
    write_manifest()
    write_serving_policy()
    write_request()
    total = sum(len(files) for _, _, files in os.walk(CORPUS))
    print(f"{CORPUS}: {total} files", file=sys.stderr)


if __name__ == "__main__":
    main()
