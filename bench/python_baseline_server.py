#!/usr/bin/python3
"""The Python service a team would write first, as Facet's benchmark peer:
a grpcio server of facet.v1.FaceService/Parse over the same network and
weights, written the obvious way (OpenCV decode, resize, eager PyTorch
forward in inference_mode, argmax, PNG).

    python_baseline_server.py --weights FILE.pth [--input_size 512]
        [--port 0] [--workers 4] [--threads CORES] [--stubs DIR]

FILE.pth is what `facet-trainer export-weights` writes. The stubs are the
ones the build generates (<build>/client/python, or $FACET_PYTHON_STUBS).
Once the model is loaded and warmed up it prints `port N` on stdout (with
--port 0, N is the port the system chose). SIGTERM or SIGINT stop it.

Parse follows facet-server for what the load generator uses: encoded or raw
images in; labels at the input size (default) or the network size, as PNG
(default) or RAW; ResponseInfo with phase timings. Colour, overlay, class
counts and the restored face are not offered (INVALID_ARGUMENT). Also
answers GetModelInfo and grpc.health.v1.Health/Check (always SERVING once
the port is printed). Run with Debian's /usr/bin/python3.
"""
import argparse
import os
import signal
import sys
import threading
import time
from concurrent import futures

import cv2
import grpc
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_model import load_fpn, to_input  # noqa: E402

PNG, JPEG, RAW = 1, 2, 3  # facet.v1.ImageEncoding
OUTPUT_SIZE_NETWORK = 2   # facet.v1.OutputSize
RGB, BGR, GRAY = 1, 2, 3  # facet.v1.PixelFormat


class BadRequest(Exception):
    pass


def decode(image):
    """facet.v1.Image -> HxWx3 uint8 RGB."""
    kind = image.WhichOneof("source")
    if kind == "encoded":
        bgr = cv2.imdecode(np.frombuffer(image.encoded, np.uint8),
                           cv2.IMREAD_COLOR)
        if bgr is None:
            raise BadRequest("the image could not be decoded")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if kind == "raw":
        raw = image.raw
        channels = {RGB: 3, BGR: 3, GRAY: 1}.get(raw.format)
        if channels is None:
            raise BadRequest("raw image: pixel format not set")
        if raw.width <= 0 or raw.height <= 0 or \
                len(raw.data) != raw.width * raw.height * channels:
            raise BadRequest("raw image: data size does not match its shape")
        pixels = np.frombuffer(raw.data, np.uint8).reshape(
            raw.height, raw.width, channels)
        if raw.format == BGR:
            return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
        if raw.format == GRAY:
            return cv2.cvtColor(pixels, cv2.COLOR_GRAY2RGB)
        return pixels
    raise BadRequest("no image in the request")


class FaceService:
    def __init__(self, pb2, net, config, name):
        self.pb2, self.net, self.config, self.name = pb2, net, config, name

    def parse_labels(self, rgb):
        size = self.config[0]
        if rgb.shape[0] != size or rgb.shape[1] != size:
            rgb = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_LINEAR)
        with torch.inference_mode():
            logits, _ = self.net(to_input(rgb))
            return logits[0].argmax(0).to(torch.uint8).numpy()

    def Parse(self, request, context):
        pb2 = self.pb2
        t0 = time.perf_counter()
        try:
            if request.want_color or request.want_overlay or \
                    request.want_class_counts or request.want_restored:
                raise BadRequest("the Python baseline returns labels only")
            if request.label_encoding not in (0, PNG, RAW):
                raise BadRequest("label_encoding: PNG or RAW")
            rgb = decode(request.image)
        except BadRequest as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        t1 = time.perf_counter()
        labels = self.parse_labels(rgb)
        t2 = time.perf_counter()
        if request.output_size != OUTPUT_SIZE_NETWORK:
            labels = cv2.resize(labels, (rgb.shape[1], rgb.shape[0]),
                                interpolation=cv2.INTER_NEAREST_EXACT)
        if request.label_encoding == RAW:
            data, encoding = labels.tobytes(), RAW
        else:
            data, encoding = cv2.imencode(".png", labels)[1].tobytes(), PNG
        t3 = time.perf_counter()
        us = lambda s: int(s * 1e6)
        return pb2.ParseResponse(
            labels=pb2.EncodedImage(data=data, encoding=encoding,
                                    width=labels.shape[1],
                                    height=labels.shape[0], channels=1),
            info=pb2.ResponseInfo(
                model_name=self.name,
                timings=pb2.PhaseTimings(
                    preprocess_us=us(t1 - t0), compute_us=us(t2 - t1),
                    postprocess_us=us(t3 - t2), total_us=us(t3 - t0),
                    batch_size=1)))

    def GetModelInfo(self, request, context):
        c = self.config
        return self.pb2.GetModelInfoResponse(
            model_name=self.name,
            config=self.pb2.NetConfig(in_size=c[0], out_size=c[1],
                                      min_feat_size=c[2], base_ch=c[3],
                                      parsing_ch=c[4], res_depth=c[5],
                                      ch_lo=c[6], ch_hi=c[7]),
            device="cpu", precision="fp32", engine="pytorch-eager",
            max_batch_size=1)


def health_handler():
    """grpc.health.v1.Health/Check without generated code: any request is
    answered SERVING (field 1 = 1)."""
    check = grpc.unary_unary_rpc_method_handler(
        lambda request, context: b"\x08\x01",
        request_deserializer=lambda b: b, response_serializer=lambda b: b)
    return grpc.method_handlers_generic_handler("grpc.health.v1.Health",
                                                {"Check": check})


def load_stubs(stubs_dir):
    if stubs_dir:
        sys.path.insert(0, stubs_dir)
    try:
        from facet.v1 import facet_pb2, facet_pb2_grpc
    except ImportError as e:
        sys.exit(f"python_baseline_server.py: cannot import the generated "
                 f"stubs ({e}); pass --stubs <build>/client/python")
    return facet_pb2, facet_pb2_grpc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", required=True, help=".pth state dict")
    p.add_argument("--input_size", type=int, default=512)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--workers", type=int, default=4,
                   help="ThreadPoolExecutor workers (requests in parallel)")
    p.add_argument("--threads", type=int, default=os.cpu_count(),
                   help="torch intra-op threads (default: all cores)")
    p.add_argument("--stubs", default=os.environ.get("FACET_PYTHON_STUBS"))
    p.add_argument("--model_name", default="python-baseline")
    a = p.parse_args()

    pb2, pb2_grpc = load_stubs(a.stubs)
    torch.set_num_threads(a.threads)
    net, config = load_fpn(a.weights, a.input_size)
    # The generated base class answers UNIMPLEMENTED for the other RPCs.
    servicer = type("Servicer", (FaceService, pb2_grpc.FaceServiceServicer), {})
    service = servicer(pb2, net, config, a.model_name)
    service.parse_labels(np.zeros((a.input_size, a.input_size, 3), np.uint8))

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=a.workers),
                         options=[("grpc.max_receive_message_length", 32 << 20),
                                  ("grpc.max_send_message_length", 32 << 20)])
    pb2_grpc.add_FaceServiceServicer_to_server(service, server)
    server.add_generic_rpc_handlers((health_handler(),))
    port = server.add_insecure_port(f"{a.host}:{a.port}")
    if port == 0:
        sys.exit(f"python_baseline_server.py: cannot listen on {a.host}:{a.port}")
    server.start()
    print(f"port {port}", flush=True)
    print(f"python baseline: config {config}, {a.threads} torch threads, "
          f"{a.workers} workers, torch {torch.__version__}", file=sys.stderr,
          flush=True)

    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    server.stop(grace=2).wait()


if __name__ == "__main__":
    main()
