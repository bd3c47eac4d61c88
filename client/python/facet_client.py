#!/usr/bin/python3
"""A small Python client for facet-server (facet.v1.FaceService).

The stubs (facet/v1/facet_pb2.py, facet_pb2_grpc.py) are generated at build
time by Debian's protoc and grpc_python_plugin into <build>/client/python/;
point --stubs (or $FACET_PYTHON_STUBS) there. Needs python3-grpcio and
python3-protobuf. Run with /usr/bin/python3.

    facet_client.py --stubs build/client/python --target localhost:8500 \
        parse face.jpg --out out/
    facet_client.py ... enhance face.jpg --out out/
    facet_client.py ... info
    facet_client.py ... health        # exit 0 only if SERVING

Exit codes as facet-client: 0 ok, 1 the request failed or not SERVING,
2 bad usage, 3 server unreachable.
"""

import argparse
import json
import os
import sys

import grpc

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
HEALTH_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING",
                3: "SERVICE_UNKNOWN"}


def load_stubs(stubs_dir):
    if stubs_dir:
        sys.path.insert(0, stubs_dir)
    try:
        from facet.v1 import facet_pb2, facet_pb2_grpc  # noqa: E402
    except ImportError as e:
        sys.exit(f"facet_client.py: cannot import the generated stubs ({e}); "
                 "build the facet_client_python target and pass --stubs "
                 "<build>/client/python")
    return facet_pb2, facet_pb2_grpc


def health_check(channel, service, timeout):
    """grpc.health.v1.Health/Check without generated code: the request is
    one string field (1), the answer one enum field (1)."""
    encoded = service.encode()
    request = (b"\x0a" + bytes([len(encoded)]) + encoded) if encoded else b""
    check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=lambda b: b,
                                response_deserializer=lambda b: b)
    answer = check(request, timeout=timeout)
    status = answer[1] if len(answer) >= 2 and answer[0] == 0x08 else 0
    return HEALTH_NAMES.get(status, "UNKNOWN")


def exit_for(error):
    code = error.code()
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return EXIT_UNREACHABLE
    return EXIT_FAILED


def write(out_dir, stem, kind, image):
    ext = {1: ".png", 2: ".jpg", 3: ".raw"}.get(image.encoding, ".png")
    path = os.path.join(out_dir, f"{stem}.{kind}{ext}")
    with open(path, "wb") as f:
        f.write(image.data)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="localhost:8500")
    parser.add_argument("--stubs", default=os.environ.get("FACET_PYTHON_STUBS"))
    parser.add_argument("--deadline", type=float, default=30.0,
                        help="seconds per request")
    parser.add_argument("--tls_ca", help="PEM CA file: connect with TLS")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("parse", "enhance"):
        p = sub.add_parser(name)
        p.add_argument("image")
        p.add_argument("--out", default="facet-out")
    sub.add_parser("info")
    h = sub.add_parser("health")
    h.add_argument("--service", default="")
    args = parser.parse_args()

    pb2, pb2_grpc = load_stubs(args.stubs)
    if args.tls_ca:
        with open(args.tls_ca, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel(args.target, credentials)
    else:
        channel = grpc.insecure_channel(args.target)
    stub = pb2_grpc.FaceServiceStub(channel)

    try:
        if args.command == "health":
            state = health_check(channel, args.service, args.deadline)
            print(state)
            return EXIT_OK if state == "SERVING" else EXIT_FAILED
        if args.command == "info":
            from google.protobuf import json_format
            info = stub.GetModelInfo(pb2.GetModelInfoRequest(),
                                     timeout=args.deadline)
            print(json_format.MessageToJson(info,
                                            preserving_proto_field_name=True))
            return EXIT_OK
        try:
            with open(args.image, "rb") as f:
                data = f.read()
        except OSError as e:
            print(f"facet_client.py: cannot read {args.image}: {e}",
                  file=sys.stderr)
            return 4
        os.makedirs(args.out, exist_ok=True)
        stem = os.path.splitext(os.path.basename(args.image))[0]
        if args.command == "parse":
            response = stub.Parse(pb2.ParseRequest(
                image=pb2.Image(encoded=data), want_color=True,
                want_overlay=True, want_class_counts=True),
                timeout=args.deadline)
            outputs = {kind: write(args.out, stem, kind, getattr(response, kind))
                       for kind in ("labels", "color", "overlay")}
            counts = {c.name: c.pixels for c in response.class_counts
                      if c.pixels > 0}
        else:
            response = stub.Enhance(pb2.EnhanceRequest(
                image=pb2.Image(encoded=data)), timeout=args.deadline)
            outputs = {"restored": write(args.out, stem, "restored",
                                         response.restored)}
            counts = {}
        print(json.dumps({
            "input": args.image,
            "model": response.info.model_name,
            "model_version": response.info.model_version,
            "server_us": response.info.timings.total_us,
            "outputs": outputs,
            "class_pixels": counts,
        }, indent=2))
        return EXIT_OK
    except grpc.RpcError as e:
        print(f"facet_client.py {args.command}: {e.code().name}: {e.details()}",
              file=sys.stderr)
        return exit_for(e)


if __name__ == "__main__":
    sys.exit(main())
