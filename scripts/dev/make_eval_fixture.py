#!/usr/bin/env python3
"""Dev-only: build a small evaluation fixture with expected numbers for the Swift tests.

Runs /work/shared/tools/make_map_case.py (or uses an existing case directory), optionally marks
some annotations as crowd, and writes expected.json in the layout of shared/oracle/map:

  coco      pycocotools 2.0.11 COCOeval (bbox): the 12 stats and per-class AP/AP50/AP75/AR100
  darknet   "iou_0.50"/"iou_0.75": a straightforward Python model of AlexeyAB darknet's
            validate_detector_map written from shared/spec/map-semantics.md (float32 box_iou on
            the YOLO label files, one global stable sort, full rank x class PR arrays, points
            0/11/101 with source and -Ofast recall levels). It is a second implementation, not
            darknet itself.

Needs numpy and pycocotools (pip install pycocotools==2.0.11). Not used by the Swift test suite.

  make_eval_fixture.py --out DIR --seed S --images N --classes C [make_map_case options...]
                       [--crowd-every K]   mark every K-th annotation iscrowd=1 (dropped from labels)
"""
import argparse
import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np

MAKE_CASE = "/work/shared/tools/make_map_case.py"
F32 = np.float32


# ------------------------------------------------------------------------------------- COCO --
def coco_expected(gt_path, dets_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dets = json.load(open(dets_path))
        dt = gt.loadRes(dets)
        E = COCOeval(gt, dt, "bbox")
        E.evaluate()
        E.accumulate()
        E.summarize()
    names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
    stats = {n: float(v) for n, v in zip(names, E.stats)}
    cats = sorted(gt.loadCats(gt.getCatIds()), key=lambda c: c["id"])
    per_class = []
    for k, c in enumerate(cats):
        p = E.eval["precision"][:, :, k, 0, -1]
        r = E.eval["recall"][:, k, 0, -1]

        def mean(a):
            a = a[a > -1]
            return float(np.mean(a)) if a.size else None
        per_class.append(dict(
            class_index=k, category_id=c["id"], name=c["name"],
            num_gt=len(gt.getAnnIds(catIds=[c["id"]])),
            num_dets=sum(1 for d in dets if d["category_id"] == c["id"]),
            AP=mean(p), AP50=mean(p[0]), AP75=mean(p[5]), AR100=mean(r)))
    return dict(source="pycocotools", stats=stats, per_class=per_class)


# ---------------------------------------------------------------------------------- darknet --
def overlap(x1, w1, x2, w2):
    l1 = x1 - w1 / F32(2)
    l2 = x2 - w2 / F32(2)
    left = l1 if l1 > l2 else l2
    r1 = x1 + w1 / F32(2)
    r2 = x2 + w2 / F32(2)
    right = r1 if r1 < r2 else r2
    return right - left


def box_iou(a, b):
    w = overlap(a[0], a[2], b[0], b[2])
    h = overlap(a[1], a[3], b[1], b[3])
    inter = F32(0) if (w < 0 or h < 0) else w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    if inter == 0 or union == 0:
        return F32(0)
    return inter / union


def read_labels(case_dir, image_path):
    stem, _ = os.path.splitext(image_path)
    path = os.path.join(case_dir, stem + ".txt")
    out = []
    if os.path.exists(path):
        for line in open(path):
            f = line.split()
            if f:
                out.append((int(f[0]), tuple(F32(float(v)) for v in f[1:5])))
    return out


def darknet_expected(case_dir, gt_path, dets_path, iou_thresh, thresh=F32(0.25), floor=F32(0.005)):
    gt = json.load(open(gt_path))
    dets = json.load(open(dets_path))
    cats = sorted(c["id"] for c in gt["categories"])
    cls_of = {c: i for i, c in enumerate(cats)}
    classes = len(cats)
    images = sorted(gt["images"], key=lambda im: im["id"])
    size = {im["id"]: (im["width"], im["height"]) for im in images}
    paths = [l.strip() for l in open(os.path.join(case_dir, "images.txt")) if l.strip()]
    by_img = {}
    for d in dets:
        by_img.setdefault(d["image_id"], []).append(d)
    iou_thresh = F32(iou_thresh)

    truth_count = [0] * classes
    records = []          # dicts: p, cls, truth, box, image
    unique_truth = 0
    tp_at = [0] * classes
    fp_at = [0] * classes
    avg_iou = F32(0)
    diag = dict(iou_exactly_thresh=0, fp_best_gt_taken=0, fp_best_gt_taken_other_gt_free=0)
    labels_of = []
    for im, path in zip(images, paths):
        labels = read_labels(case_dir, path)
        labels_of.append((unique_truth, labels))
        for c, _ in labels:
            truth_count[c] += 1
        W, H = size[im["id"]]
        checkpoint = len(records)
        for d in by_img.get(im["id"], []):
            x, y, w, h = d["bbox"]
            box = (F32((x + w / 2) / W), F32((y + h / 2) / H), F32(w / W), F32(h / H))
            p = F32(d["score"])
            c = cls_of[d["category_id"]]
            if not (p > floor and p > 0):
                continue
            truth, best = -1, F32(0)
            for j, (lc, lb) in enumerate(labels):
                iou = box_iou(box, lb)
                if lc == c and iou == iou_thresh:
                    diag["iou_exactly_thresh"] += 1
                if iou > iou_thresh and c == lc and iou > best:
                    best, truth = iou, unique_truth + j
            records.append(dict(p=p, cls=c, truth=truth, box=box, image=len(labels_of) - 1))
            if p > thresh:
                found = any(records[z]["truth"] == truth for z in range(checkpoint, len(records) - 1))
                if truth > -1 and not found:
                    avg_iou += best
                    tp_at[c] += 1
                else:
                    fp_at[c] += 1
        unique_truth += len(labels)

    order = sorted(range(len(records)), key=lambda i: -records[i]["p"])   # stable, like glibc qsort
    n = len(records)
    tp = [[0] * n for _ in range(classes)]
    fp = [[0] * n for _ in range(classes)]
    prec = [[0.0] * n for _ in range(classes)]
    rec = [[0.0] * n for _ in range(classes)]
    flags = [0] * unique_truth
    for rank, i in enumerate(order):
        d = records[i]
        if rank > 0:
            for c in range(classes):
                tp[c][rank] = tp[c][rank - 1]
                fp[c][rank] = fp[c][rank - 1]
        if d["truth"] >= 0 and flags[d["truth"]] == 0:
            flags[d["truth"]] = 1
            tp[d["cls"]][rank] += 1
        else:
            fp[d["cls"]][rank] += 1
            if d["truth"] >= 0:
                diag["fp_best_gt_taken"] += 1
                base, labels = labels_of[d["image"]]
                for j, (lc, lb) in enumerate(labels):
                    if base + j != d["truth"] and flags[base + j] == 0 and lc == d["cls"] \
                            and box_iou(d["box"], lb) > iou_thresh:
                        diag["fp_best_gt_taken_other_gt_free"] += 1
                        break
        for c in range(classes):
            t, f = tp[c][rank], fp[c][rank]
            prec[c][rank] = t / (t + f) if t + f > 0 else 0.0
            rec[c][rank] = t / truth_count[c] if truth_count[c] > 0 else 0.0

    def ap_points0(c):
        if n == 0:
            return 0.0
        last_r, last_p, ap = rec[c][n - 1], prec[c][n - 1], 0.0
        for rank in range(n - 2, -1, -1):
            delta = last_r - rec[c][rank]
            last_r = rec[c][rank]
            if prec[c][rank] > last_p:
                last_p = prec[c][rank]
            ap += delta * last_p
        return ap + (last_r - 0) * last_p

    def ap_points(c, N, ofast):
        if n == 0:
            return 0.0
        s = 0.0
        for point in range(N):
            level = point * (1.0 / (N - 1)) if ofast else point * 1.0 / (N - 1)
            best = 0.0
            for rank in range(n):
                if rec[c][rank] >= level and prec[c][rank] > best:
                    best = prec[c][rank]
            s += best
        return s * (1.0 / N) if ofast else s / N

    per_class, sums = [], dict(points_0=0.0, points_11=0.0, points_11_ofast=0.0, points_101=0.0, points_101_ofast=0.0)
    for c in range(classes):
        aps = dict(points_0=ap_points0(c), points_11=ap_points(c, 11, False), points_11_ofast=ap_points(c, 11, True),
                   points_101=ap_points(c, 101, False), points_101_ofast=ap_points(c, 101, True))
        for k, v in aps.items():
            sums[k] += v
        entry = dict(class_index=c, num_gt=truth_count[c], num_dets=sum(1 for r in records if r["cls"] == c),
                     tp=tp[c][n - 1] if n else 0, fp=fp[c][n - 1] if n else 0)
        entry.update({"ap_" + k: v for k, v in aps.items()})
        entry.update(tp_at_thresh=tp_at[c], fp_at_thresh=fp_at[c], category_id=cats[c])
        per_class.append(entry)
    TP, FP = sum(tp_at), sum(fp_at)
    FN = unique_truth - TP
    if TP + FP > 0:
        avg_iou = avg_iou / F32(TP + FP)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = F32(TP) / (F32(TP) + F32(FP))
        recall = F32(TP) / (F32(TP) + F32(FN))
        f1 = F32(2) * precision * recall / (precision + recall)
    return {
        "iou_thresh": float(iou_thresh), "classes": classes, "detections_count": n, "unique_truth_count": unique_truth,
        "mAP": {k: v / classes for k, v in sums.items()},
        "per_class": per_class,
        "at_conf_thresh": dict(conf_thresh=float(thresh), TP=TP, FP=FP, FN=FN, precision=float(precision),
                               recall=float(recall), f1=float(f1), avg_iou=float(avg_iou)),
        "diagnostics": diag,
    }


# ------------------------------------------------------------------------------------ main --
def mark_crowd(case_dir, every):
    """Sets iscrowd=1 on every K-th annotation and removes those boxes from the YOLO labels."""
    gt_path = os.path.join(case_dir, "gt_coco.json")
    gt = json.load(open(gt_path))
    crowd = set()
    for i, a in enumerate(gt["annotations"]):
        if (i + 1) % every == 0:
            a["iscrowd"] = 1
            crowd.add(a["id"])
    json.dump(gt, open(gt_path, "w"))
    by_img = {}
    for a in gt["annotations"]:
        by_img.setdefault(a["image_id"], []).append(a)
    for im in gt["images"]:
        stem = os.path.splitext(im["file_name"])[0]
        path = os.path.join(case_dir, "images", stem + ".txt")
        lines = open(path).read().splitlines(keepends=True)
        kept = [l for l, a in zip(lines, by_img.get(im["id"], [])) if a["id"] not in crowd]
        open(path, "w").write("".join(kept))
    return len(crowd)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--existing", action="store_true", help="use the case already in --out")
    ap.add_argument("--crowd-every", type=int, default=0)
    args, rest = ap.parse_known_args()
    if not args.existing:
        subprocess.run([sys.executable, MAKE_CASE, "--out", args.out] + rest, check=True, stdout=subprocess.DEVNULL)
        os.remove(os.path.join(args.out, "meta.json"))
    crowd = mark_crowd(args.out, args.crowd_every) if args.crowd_every > 0 else 0
    gt_path, dets_path = os.path.join(args.out, "gt_coco.json"), os.path.join(args.out, "dets_coco.json")
    expected = {
        "generator": {"make_map_case_args": rest, "crowd_annotations": crowd},
        "coco": coco_expected(gt_path, dets_path),
        "darknet": {f"iou_{t:.2f}": darknet_expected(args.out, gt_path, dets_path, t) for t in (0.5, 0.75)},
    }
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
