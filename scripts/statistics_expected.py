#!/usr/bin/env python3
"""Expected results of the statistics-table checks on tables of the Linxia plan, computed
independently of nrqc (exact decimal arithmetic, written from the rules' documentation).

The tables in tests/data/statistics/ are transcribed from ../shared/docs/linxia-plan.txt:
table 3 (采矿权, counts; its header repeats 部级发证 where 省级发证 is meant, corrected here),
table 4 (国有荒地, 公顷, with blanks) and the grassland shares of section 5 (万亩, %).

For each table and each planted error: every equation (a total against the sum of its parts, a
share against 100 x value / total), which of them can be evaluated when blanks are read as zero
or as missing, which fail, and the one cell that all failing equations share.

Usage: python3 scripts/statistics_expected.py > tests/data/statistics/expected.json
"""

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "statistics"

TABLES = {
    "table3": {
        "file": "linxia_table3.csv",
        "names": "行政区",
        "total_row": "临夏州",
        "parts": ["部级发证", "省级发证", "市级发证", "县级发证"],
        "total": "合计",
        "shares": [],
        "plants": [{"row": "永靖县", "column": "县级发证", "by": "1"}],
    },
    "table4": {
        "file": "linxia_table4.csv",
        "names": "县市",
        "total_row": "合计",
        "parts": ["空闲地", "裸岩石砾地", "裸土地"],
        "total": "合计",
        "shares": [],
        "plants": [{"row": "永靖县", "column": "裸土地", "by": "1.00"}],
    },
    "grassland": {
        "file": "linxia_grassland.csv",
        "names": "草原类型",
        "total_row": "合计",
        "parts": [],
        "total": None,
        "down": ["面积"],
        "shares": [("占比", "面积")],
        "plants": [{"row": "高寒灌丛草甸", "column": "占比", "by": "0.02"}],
    },
}


def decimals(text):
    return len(text.split(".", 1)[1]) if "." in text else 0


def read(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows


def cell(text, blank):
    """A cell's value, or the reason it cannot be read."""
    text = text.strip()
    if text == "":
        return (Decimal(0), "zero") if blank == "zero" else (None, "blank")
    try:
        return Decimal(text), None
    except ArithmeticError:
        return None, "text"


def equations(cfg, rows):
    names = [r[cfg["names"]] for r in rows]
    total_row = names.index(cfg["total_row"])
    others = [i for i in range(len(rows)) if i != total_row]
    eqs = []
    if cfg["total"]:
        for i in range(len(rows)):
            eqs.append(("sum", (i, cfg["total"]), [(i, c) for c in cfg["parts"]]))
    down = cfg.get("down") or cfg["parts"] + [cfg["total"]]
    for c in down:
        eqs.append(("sum", (total_row, c), [(i, c) for i in others]))
    for share, of in cfg["shares"]:
        for i in range(len(rows)):
            eqs.append(("share", (i, share), [(i, of), (total_row, of)]))
    return eqs


def evaluate(cfg, rows, blank):
    names = [r[cfg["names"]] for r in rows]
    cols = rows[0].keys()
    dec = {c: max(decimals(r[c].strip()) for r in rows) for c in cols}
    out = {"equations": 0, "evaluated": 0, "skipped_blank": 0, "skipped_text": 0,
           "zeroed": set(), "failing": []}
    for kind, target, parts in equations(cfg, rows):
        out["equations"] += 1
        cells = [target] + parts
        values, why, zeroed = [], None, []
        for (i, c) in cells:
            v, w = cell(rows[i][c], blank)
            if w == "zero":
                zeroed.append((i, c))
            elif w:
                why = why or w
            values.append(v)
        if why:
            out["skipped_" + why] += 1
            continue
        out["evaluated"] += 1
        out["zeroed"].update(zeroed)
        declared = values[0]
        if kind == "sum":
            computed = sum(values[1:], Decimal(0))
            tol = sum((Decimal("0.5") * Decimal(10) ** -dec[c] if dec[c] else Decimal(0))
                      for (_, c) in parts)
            signs = [1] + [-1] * len(parts)
        else:
            computed = Decimal(100) * values[1] / values[2]
            tol = Decimal(10) ** -dec[target[1]]
            signs = [None] * 3
        diff = declared - computed
        if abs(diff) > tol:
            out["failing"].append({
                "row": names[target[0]], "column": target[1],
                "declared": float(declared), "computed": float(round(computed, 6)),
                "difference": float(round(diff, 6)), "tolerance": float(tol),
                "cells": [(names[i], c, s) for (i, c), s in zip(cells, signs)],
            })
    out["zeroed"] = len(out["zeroed"])
    # The cell every failing sum shares, and the error each one implies for it.
    failing = out.pop("failing")
    out["failing"] = [{k: f[k] for k in ("row", "column", "difference", "tolerance")}
                      for f in failing]
    common = None
    for f in failing:
        cells = {(r, c) for r, c, s in f["cells"] if s is not None}
        common = cells if common is None else common & cells
    if failing and common and len(common) == 1:
        (r, c), = common
        implied = [f["difference"] * s for f in failing for (rr, cc, s) in f["cells"]
                   if (rr, cc) == (r, c)]
        out["pinned"] = {"row": r, "column": c, "difference": implied[0],
                         "agree": max(implied) - min(implied) <= 2 * max(f["tolerance"] for f in failing)}
    return out


def main():
    result = {}
    for name, cfg in TABLES.items():
        rows = read(DATA / cfg["file"])
        cases = {"clean": rows}
        for p in cfg["plants"]:
            planted = [dict(r) for r in rows]
            for r in planted:
                if r[cfg["names"]] == p["row"]:
                    before = r[p["column"]].strip() or "0"
                    r[p["column"]] = str(Decimal(before) + Decimal(p["by"]))
            cases[f"{p['row']}.{p['column']}+{p['by']}"] = planted
        result[name] = {
            case: {blank: evaluate(cfg, rows_, blank) for blank in ("zero", "missing")}
            for case, rows_ in cases.items()
        }
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
