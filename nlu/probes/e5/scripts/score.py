# .venv: score the bench's parse dumps: per group, pooled, latency
import json, sys
from collections import defaultdict
from bot.nlu.client import parse_response
from bot.core.understanding import Thresholds, interpret
from bot.core.nlu_scores import accuracy, macro_f1, oos_recall
from bot.settings import Settings
d = Settings.model_fields
TH = Thresholds(float(d["nlu_confidence_threshold"].default), float(d["nlu_ambiguity_margin"].default), float(d["nlu_refusal_margin"].default))
out = sys.argv[1]; names = sys.argv[2:]
runs = {}
for n in names:
    rows = [json.loads(l) for l in open(f"{out}/{n}-parses.jsonl")]
    for r in rows:
        p = parse_response({"intent_ranking": [{"name": a, "confidence": b} for a, b in r["ranking"]]})
        r["pair"] = (r["intent"], interpret(p, TH).topic)
    runs[n] = rows
def lang(g):
    return "bg_latn" if g.endswith("bg_latn") else ("bg" if g.endswith("_bg") or g == "bg" else "en")
def pools(r):
    g = r["group"]; ps = ["all", g]
    new = "fresh7" in g or "fresh8" in g
    ps.append(("fresh7+8 " if new else "older ") + lang(g))
    ps.append("fresh7+8 all" if new else "older all")
    if "near_miss" in g: ps.append("near-miss sets")
    return ps
keys = []
table = defaultdict(dict)
for n, rows in runs.items():
    by = defaultdict(list)
    for r in rows:
        for p in pools(r): by[p].append(r["pair"])
    for p, pairs in by.items():
        if p not in keys: keys.append(p)
        table[p][n] = (len(pairs), accuracy(pairs), macro_f1(pairs), oos_recall(pairs), sum(a == b for a, b in pairs))
order = sorted(keys, key=lambda k: (k.startswith("older") or k.startswith("fresh7+8") or k in ("all", "near-miss sets"), k))
print("| group | n | " + " | ".join(names) + " |")
for k in order:
    cells = [f"{table[k][n][1]:.3f} / {table[k][n][2]:.3f} / {table[k][n][3]:.0%} ({table[k][n][4]})" for n in names]
    print(f"| {k} | {table[k][names[0]][0]} | " + " | ".join(cells) + " |")
for n, rows in runs.items():
    s = sorted(r["seconds"] for r in rows)
    print(n, "HTTP parse p50 %.1f p95 %.1f ms mean %.1f" % (1000 * s[len(s)//2], 1000 * s[int(len(s)*0.95)], 1000*sum(s)/len(s)))
