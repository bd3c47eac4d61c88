#!/usr/bin/python3
"""Tests of the benchmark's bookkeeping (results_report.py, and
baseline_model.infer_config), on made-up measurements: a 15-minute run must
not end in a report that cannot be written or that computes a ratio the
wrong way round. Run with Debian's /usr/bin/python3."""
import csv
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results_report as rr  # noqa: E402

TRAIN_OUTPUT = """training step: network in 128 out 128 min_feat 16 base 16 parsing 19 \
depth 2 range [16, 64], batch 8, 2 threads, 5 interleaved runs of 5 steps
  C++ (FpnTrainer)   median 0.5000 s/step  range 0.4500-0.6000
  Python (torch)     median 0.4000 s/step  range 0.3900-0.4100
  ratio Python/C++   0.80x (target >= 1.0x)
data wait: 1.25 % of the loop (1 loader + 1 intra-op threads, 29 steps)
"""


def level(throughput, p50=100.0, errors=None):
    return {"throughput_per_s": throughput, "ok": 10, "errors": errors or {},
            "latency_ms": {"p50": p50, "p90": p50, "p95": p50, "p99": 2 * p50}}


def results():
    return {
        "mode": "full", "wall_seconds": 900.0, "failures": [],
        "machine": {"cpu": "Test CPU", "logical_cpus": 2, "usable_cpus": 2,
                    "cgroup_cpu_max": "none", "isa": {"AVX2": True},
                    "memory_gib": 8, "kernel": "6", "date": "today",
                    "loadavg_before": (1.0, 1.0, 1.0),
                    "loadavg_after": (1.0, 1.0, 1.0)},
        "versions": {"torch (Python)": "1.13"},
        "settings": {"preset": "published", "command": "x", "threads": 2,
                     "python_workers": 4, "facet_server_args": "", "rounds": 2,
                     "agreement_image": "face.png", "load_image": None},
        "forward": {"size": 512, "threads": 2, "pairs": 3, "peers": [
            {"name": "facet onednn fp32", "seconds": [1.0, 1.1, 0.9],
             "agreement": 1.0, "classes": 5, "info": {"describe": "onednn"}},
            {"name": "facet onednn int8", "seconds": [],
             "error": "FailedPrecondition: no scales", "info": {}},
            {"name": "pytorch eager", "seconds": [3.0, 3.3, 2.7],
             "agreement": 1.0, "classes": 5, "info": {}},
            {"name": "onnxruntime", "seconds": [1.2, 1.2, 1.2],
             "agreement": 0.98, "classes": 5, "info": {}}]},
        "serving": [
            {"size": 128, "startup": {"facet": 5.0, "python": 3.0},
             "agreement": 0.999, "classes": 6, "per_face": 0.1, "points": [
                 {"concurrency": 1, "facet": [level(10), level(12)],
                  "python": [level(5), level(6)]},
                 {"concurrency": 8, "facet": [level(8), level(8)],
                  "python": [level(8), level(4, errors={"UNAVAILABLE": 1})]}]},
            {"size": 512, "startup": {"facet": 20.0, "python": 6.0},
             "agreement": 1.0, "classes": 6, "per_face": 3.0, "points": [
                 {"concurrency": 1, "facet": [dict(level(0.5), throughput_counted=0.4,
                                                   throughput_from="mean latency")],
                  "python": [level(0.0)]}]}],
        "training": rr.parse_training(TRAIN_OUTPUT),
        "profile": {"supported": False, "why": "no --profile"},
    }


class ParseTrainingTest(unittest.TestCase):
    def test_reads_medians_ranges_and_ratio(self):
        t = rr.parse_training(TRAIN_OUTPUT)
        self.assertEqual(t["cpp"], {"median": 0.5, "min": 0.45, "max": 0.6})
        self.assertEqual(t["python"]["median"], 0.4)
        self.assertAlmostEqual(t["ratio"], 0.8)
        self.assertEqual(t["data_wait_percent"], 1.25)

    def test_output_it_does_not_understand_has_no_ratio(self):
        self.assertNotIn("ratio", rr.parse_training("something else\n"))


class RatioTest(unittest.TestCase):
    def test_forward_speedup_is_peer_time_over_facet_time(self):
        table = rr.forward_table(results()["forward"])
        ratio, per_pair = rr.speedup(table, "facet onednn fp32", "pytorch eager")
        self.assertAlmostEqual(ratio, 3.0)
        self.assertAlmostEqual(per_pair["min"], 3.0)
        self.assertEqual(rr.facet_peers(table), ["facet onednn fp32"])

    def test_serving_ratio_is_facet_over_python_per_round(self):
        point = results()["serving"][0]["points"][0]
        ratio, per_round = rr.serving_ratio(point)
        self.assertAlmostEqual(ratio, 11 / 5.5)
        self.assertAlmostEqual(per_round["min"], 2.0)

    def test_targets(self):
        rows = {what.split(":")[0]: (measured, met)
                for what, measured, met in rr.targets(results())}
        fwd = "forward 512 px, facet onednn fp32 vs pytorch eager"
        self.assertEqual(rows[fwd], ("3.00x", True))
        self.assertEqual(rows["forward 512 px, facet onednn fp32 vs onnxruntime"],
                         ("1.20x", True))
        self.assertEqual(rows["serving 128 px, concurrency 8"], ("1.33x", False))
        self.assertEqual(rows["training step"], ("0.80x", False))
        # The 512 px point where Python completed nothing has no ratio.
        self.assertEqual(rows["serving"][0], "lowest 1.33x (128 px, concurrency 8)")

    def test_agreement_below_minimum_fails(self):
        failures = rr.agreement_failures(results(), 0.99)
        self.assertEqual(len(failures), 1)
        self.assertIn("onnxruntime", failures[0])


class WriteTest(unittest.TestCase):
    def write(self, r):
        with tempfile.TemporaryDirectory() as d:
            rr.write_markdown(r, f"{d}/RESULTS.md")
            rr.write_csv(r, f"{d}/results.csv")
            with open(f"{d}/RESULTS.md") as f:
                md = f.read()
            with open(f"{d}/results.csv") as f:
                rows = list(csv.DictReader(f))
        return md, rows

    def test_full_report(self):
        md, rows = self.write(results())
        self.assertIn("| facet onednn int8 | not available: FailedPrecondition", md)
        self.assertIn("Per-layer profile of the new engine", md)
        self.assertIn("<!-- profile:", md)
        self.assertIn("3.00x [3.00–3.00]", md)
        self.assertIn("| 1 | ≈0.50 [0.50–0.50] | 0.00 [0.00–0.00] |", md)
        counted = [r for r in rows if r["size_px"] == "512" and
                   r["metric"] == "faces_per_s_counted" and r["peer"] == "facet-server"]
        self.assertEqual(float(counted[0]["median"]), 0.4)
        speedups = [r for r in rows if r["metric"] == "speedup"]
        self.assertEqual({r["section"] for r in speedups},
                         {"forward", "serving", "training"})
        c8 = [r for r in rows if r["section"] == "serving" and
              r["concurrency"] == "8" and r["metric"] == "speedup"][0]
        self.assertAlmostEqual(float(c8["median"]), 8 / 6, places=4)

    def test_failed_sections_still_report(self):
        r = results()
        r["forward"] = {"error": "boom"}
        r["serving"] = {"error": "bang"}
        r["training"] = {"error": "crash"}
        r["failures"] = ["forward: boom"]
        md, _ = self.write(r)
        self.assertIn("Failed: boom", md)
        self.assertIn("Failed: bang", md)
        self.assertIn("- forward: boom", md)


class InferConfigTest(unittest.TestCase):
    def test_published_weights_at_512_and_128(self):
        from baseline_model import FPN, infer_config  # Debian's torch
        sd = FPN(512, 512, 32, 64, 19, 10, 32, 256).state_dict()
        self.assertEqual(infer_config(sd, 512), [512, 512, 32, 64, 19, 10, 64, 256])
        self.assertEqual(infer_config(sd, 128), [128, 128, 8, 64, 19, 10, 64, 256])
        with self.assertRaises(ValueError):
            infer_config(sd, 100)


if __name__ == "__main__":
    unittest.main()
