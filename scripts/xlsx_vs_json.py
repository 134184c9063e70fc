#!/usr/bin/env python3
"""Compares report.xlsx with report.json, reading the workbook with openpyxl (not the writer).

    xlsx_vs_json.py REPORT.xlsx REPORT.json

Every cell of 问题记录 and 规则结果 is checked against report.json: texts equal, counts numeric
and equal, measured/expected in words (`shown`), 依据, 例外 and 指纹, coordinates numeric and inside the bounding box
of the finding's geometry (the representative point itself is nrqc's choice). Of 质量评定, the
unit's score S, the grade and each sub-element's defect counts and score S₁. Prints each
mismatch and exits 1 if there is any; exits 0 saying what it compared otherwise. Used by
tests/xlsx.rs.
"""

import json
import os
import re
import sys
from fractions import Fraction

import openpyxl

FINDING_HEADER = ["序号", "规则", "规则名称", "问题类别", "质量元素", "图层", "要素标识",
                  "问题描述", "依据", "实测", "应为", "坐标X", "坐标Y", "处理意见", "例外", "指纹"]
RULE_HEADER = ["规则", "名称", "检查类型", "问题类别", "质量元素", "子元素", "状态", "问题数",
               "检查数", "未检查", "原因"]
STATUS = {"passed": "通过", "failed": "不通过", "not_run": "未运行", "not_applicable": "不适用"}
GRADE = {"excellent": "优", "good": "良", "qualified": "合格", "unqualified": "不合格"}

errors = []


def fail(where, message):
    errors.append(f"{where}: {message}")


def excel_text(value):
    """A string cell as Excel shows it: openpyxl leaves the _xHHHH_ escapes in place."""
    if value is None:
        return None
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def text_cell(where, cell, expected):
    """A text cell: empty for None or "", else a string cell equal to `expected`."""
    if expected is None or expected == "":
        if cell.value not in (None, ""):
            fail(where, f"expected an empty cell, found {cell.value!r}")
        return
    if cell.data_type != "s":
        fail(where, f"expected text {expected!r}, found a cell of type {cell.data_type}: {cell.value!r}")
    elif excel_text(cell.value) != expected:
        fail(where, f"expected {expected!r}, found {excel_text(cell.value)!r}")


def is_number(cell):
    return cell.data_type == "n" and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)


def number_cell(where, cell, expected):
    """A numeric cell equal to `expected` (exactly for integers, within 1e-9 otherwise), or empty
    for None."""
    if expected is None:
        if cell.value is not None:
            fail(where, f"expected an empty cell, found {cell.value!r}")
        return
    if not is_number(cell):
        fail(where, f"expected the number {expected}, found {cell.value!r} (type {cell.data_type})")
    elif abs(float(cell.value) - float(expected)) > 1e-9:
        fail(where, f"expected {expected}, found {cell.value}")


def places(finding):
    """Finding::places of src/report/model.rs, rebuilt from report.json."""
    parts = [f"{i['key']} (FID {i['fid']})" if "key" in i else f"FID {i['fid']}"
             for i in finding["feature_ids"]]
    related = finding.get("related")
    if related:
        ids = [i.get("key", f"FID {i['fid']}") for i in related["feature_ids"]]
        parts.append(f"↔ {related['layer']} {', '.join(ids)}")
    return "; ".join(parts) if parts else "—"


def read_terms():
    """src/i18n/terms.tsv: {("key" | "code", english): chinese}."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "i18n", "terms.tsv")
    terms = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line and not line.startswith("#"):
            kind, english, chinese = line.split("\t")
            terms[(kind, english)] = chinese
    return terms


TERMS = read_terms()


def shown(value, depth=0, coded=False):
    """A measured or expected value in words, as the 质检记录表 gives it: strings as they are,
    numbers as JSON writes them (exponents without + or leading zeros, as serde_json), lists
    joined by 、, objects as key：value joined by ； (nested ones in （）, joined by ，); keys, and
    the codes under reason, reasons and unit, in the words of terms.tsv."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return re.sub(r"e\+?(-?)0*(\d)", r"e\1\2", json.dumps(value))
    if isinstance(value, str):
        return TERMS.get(("code", value), value) if coded else value
    if isinstance(value, list):
        return "、".join(shown(v, depth + 1, coded) for v in value)
    pairs = [f"{TERMS.get(('key', k), k)}：{shown(v, depth + 1, k in ('reason', 'reasons', 'unit'))}"
             for k, v in value.items()]
    return "；".join(pairs) if depth == 0 else "（" + "，".join(pairs) + "）"


def coordinates(geometry):
    """Every (x, y) of a GeoJSON geometry."""
    if geometry is None:
        return []
    if geometry["type"] == "GeometryCollection":
        return [c for g in geometry["geometries"] for c in coordinates(g)]

    def walk(c):
        if c and isinstance(c[0], (int, float)):
            yield c[0], c[1]
        else:
            for part in c:
                yield from walk(part)

    return list(walk(geometry["coordinates"]))


def header(sheet, expected):
    found = [c.value for c in sheet[1][: len(expected)]]
    if found != expected:
        fail(f"{sheet.title}!1", f"header {found} != {expected}")


def check_findings(sheet, report):
    header(sheet, FINDING_HEADER)
    titles = {r["id"]: r["title"] for r in report["rules"]}
    bases = {r["id"]: r.get("basis") for r in report["rules"]}
    findings = report["findings"]
    if sheet.max_row - 1 != len(findings):
        fail(sheet.title, f"{sheet.max_row - 1} rows below the header, report.json has {len(findings)} findings")
    for i, (f, row) in enumerate(zip(findings, sheet.iter_rows(min_row=2)), start=1):
        at = lambda col: f"{sheet.title}!{row[col].coordinate} (finding {i}, {f['rule_id']})"
        number_cell(at(0), row[0], i)
        for col, value in [(1, f["rule_id"]), (2, titles[f["rule_id"]]), (3, f["class"]),
                           (4, f["element"]), (5, f["layer"]), (6, places(f)),
                           (7, f["message"])]:
            text_cell(at(col), row[col], value)
        text_cell(at(8), row[8], bases[f["rule_id"]])
        for col, key in [(9, "measured"), (10, "expected")]:
            text_cell(at(col), row[col], shown(f.get(key)))
            # No internal key (computed, tolerance_parts) is left for a person to decode.
            inner = re.search(r"(^|[；（，])([a-z][a-z_0-9]*)：", str(row[col].value or ""))
            if inner:
                fail(at(col), f"the key {inner.group(2)!r} is not in words")
        points = coordinates(f.get("geometry"))
        x, y = row[11], row[12]
        if not points:
            number_cell(at(11), x, None)
            number_cell(at(12), y, None)
        elif not (is_number(x) and is_number(y)):
            fail(at(11), f"expected numeric coordinates, found {x.value!r}, {y.value!r}")
        else:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            if not (min(xs) <= x.value <= max(xs) and min(ys) <= y.value <= max(ys)):
                fail(at(11), f"({x.value}, {y.value}) outside the geometry's bbox "
                             f"[{min(xs)}, {max(xs)}] × [{min(ys)}, {max(ys)}]")
        text_cell(at(13), row[13], None)
        w = f.get("exception")
        text_cell(at(14), row[14], f"{w['reason']}（{w['by']}，{w['date']}）" if w else None)
        text_cell(at(15), row[15], f["fingerprint"])
    return len(findings)


def check_rules(sheet, report):
    header(sheet, RULE_HEADER)
    rules = report["rules"]
    if sheet.max_row - 1 != len(rules):
        fail(sheet.title, f"{sheet.max_row - 1} rows below the header, report.json has {len(rules)} rules")
    for r, row in zip(rules, sheet.iter_rows(min_row=2)):
        at = lambda col: f"{sheet.title}!{row[col].coordinate} ({r['id']})"
        for col, value in [(0, r["id"]), (1, r["title"]), (2, r["kind"]), (3, r["class"]),
                           (4, r["element"]), (5, r["sub_element"]), (6, STATUS[r["status"]]),
                           (10, r.get("reason"))]:
            text_cell(at(col), row[col], value)
        number_cell(at(7), row[7], r["findings"])
        number_cell(at(8), row[8], r["coverage"]["checked"])
        skipped = r["coverage"].get("skipped", [])
        cell = excel_text(row[9].value)
        if not skipped:
            text_cell(at(9), row[9], None)
        elif cell is None or any(f"{s['count']} " not in cell or s["reason"] not in cell for s in skipped):
            fail(at(9), f"{cell!r} does not give each of {skipped}")
    return len(rules)


def check_grading(sheet, report):
    g = report["grading"]
    labelled = {}
    for row in sheet.iter_rows():
        if row[0].value is not None and row[0].data_type == "s":
            labelled.setdefault(row[0].value, row)
    row = labelled.get("单位成果得分 S")
    if row is None:
        fail(sheet.title, "no row 单位成果得分 S")
    elif "score" in g:
        number_cell(f"{sheet.title}!{row[1].coordinate} (S)", row[1], Fraction(g["score"]))
    else:
        text_cell(f"{sheet.title}!{row[1].coordinate} (S)", row[1], "无得分")
    row = labelled.get("评定")
    if row is None:
        fail(sheet.title, "no row 评定")
    else:
        text_cell(f"{sheet.title}!{row[1].coordinate} (评定)", row[1], GRADE[g["grade"]])
    # The sub-element table: from its header to the first empty row.
    rows = list(sheet.iter_rows())
    start = next((i for i, r in enumerate(rows) if [c.value for c in r[:3]] == ["质量元素", "子元素", "A"]), None)
    expected = [(e["element"], s) for e in g["elements"] for s in e["sub_elements"]]
    if start is None:
        fail(sheet.title, "no sub-element table (header 质量元素, 子元素, A, …)")
        return 0
    for n, (element, s) in enumerate(expected, start=start + 1):
        row = rows[n] if n < len(rows) else None
        at = lambda col: f"{sheet.title}!{row[col].coordinate} ({element}/{s['sub_element']})"
        if row is None:
            fail(sheet.title, f"no row for {element}/{s['sub_element']}")
            continue
        text_cell(at(0), row[0], element)
        text_cell(at(1), row[1], s["sub_element"])
        for col, cls in enumerate("ABCD", start=2):
            number_cell(at(col), row[col], s["defects"][cls])
        number_cell(at(7), row[7], Fraction(s["score"]) if "score" in s else None)
    return len(expected)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    workbook = openpyxl.load_workbook(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        report = json.load(f)
    names = workbook.sheetnames
    if names != ["问题记录", "规则结果", "质量评定"]:
        fail("workbook", f"sheets {names}")
        print("\n".join(errors))
        sys.exit(1)
    findings = check_findings(workbook["问题记录"], report)
    rules = check_rules(workbook["规则结果"], report)
    subs = check_grading(workbook["质量评定"], report)
    if errors:
        shown = errors[:50]
        print("\n".join(shown))
        if len(errors) > len(shown):
            print(f"… and {len(errors) - len(shown)} more")
        print(f"{len(errors)} mismatches between {sys.argv[1]} and {sys.argv[2]}")
        sys.exit(1)
    print(f"report.xlsx matches report.json: {findings} findings, {rules} rules, "
          f"{subs} sub-elements, score and grade")


if __name__ == "__main__":
    main()
