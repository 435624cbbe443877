#!/usr/bin/env python3
"""Dev-only: compare a Swift JSON report (eval-bench --json) with pycocotools / faster-coco-eval.

  crosscheck_report.py GT_COCO.json DETS_COCO.json SWIFT_REPORT.json [--faster]

Prints the time of the Python JSON load, of evaluate()+accumulate(), and the largest difference
between the Swift stats/per-class values and the reference. Needs pycocotools (and
faster-coco-eval with --faster).
"""
import argparse
import contextlib
import io
import json
import time

import numpy as np


def run(gt_path, dets_path, use_faster):
    if use_faster:
        from faster_coco_eval import COCO, COCOeval_faster as COCOeval
    else:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        t = time.perf_counter()
        dets = json.load(open(dets_path))
        t_load = time.perf_counter() - t
        dt = gt.loadRes(dets)
        E = COCOeval(gt, dt, "bbox")
        t = time.perf_counter()
        E.evaluate()
        E.accumulate()
        t_eval = time.perf_counter() - t
        E.summarize()
    return E, t_load, t_eval


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gt")
    ap.add_argument("dets")
    ap.add_argument("swift")
    ap.add_argument("--faster", action="store_true", help="use faster-coco-eval instead of pycocotools")
    a = ap.parse_args()
    E, t_load, t_eval = run(a.gt, a.dets, a.faster)
    swift = json.load(open(a.swift))["coco"]
    names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
    diffs = [abs(swift["stats"][n] - float(v)) for n, v in zip(names, E.stats)]
    exact = sum(1 for n, v in zip(names, E.stats) if swift["stats"][n] == float(v))
    worst_class = 0.0
    precision, recall = np.asarray(E.eval["precision"]), np.asarray(E.eval["recall"])
    for k, c in enumerate(swift["per_class"]):
        p, r = precision[:, :, k, 0, -1], recall[:, k, 0, -1]
        for key, arr in (("AP", p), ("AP50", p[0]), ("AP75", p[5]), ("AR100", r)):
            sel = arr[arr > -1]
            ref = float(np.mean(sel)) if sel.size else None
            if (ref is None) != (c[key] is None):
                worst_class = float("inf")
            elif ref is not None:
                worst_class = max(worst_class, abs(ref - c[key]))
    tool = "faster-coco-eval" if a.faster else "pycocotools"
    print(f"{tool}: json.load(dets) {t_load:.2f} s, evaluate+accumulate {t_eval:.2f} s")
    print(f"stats: {exact}/12 bit-identical, max |diff| {max(diffs):.3g}; per-class max |diff| {worst_class:.3g}")


if __name__ == "__main__":
    main()
