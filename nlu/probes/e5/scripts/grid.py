# .venv: simulate gate / weight / refusal / C on the dumped probabilities, bot thresholds
import json, sys, itertools, numpy as np
from collections import defaultdict
from bot.nlu.client import parse_response
from bot.core.understanding import Thresholds, interpret
from bot.core.nlu_scores import accuracy, macro_f1, oos_recall
from bot.settings import Settings
d = Settings.model_fields
TH = Thresholds(float(d["nlu_confidence_threshold"].default), float(d["nlu_ambiguity_margin"].default), float(d["nlu_refusal_margin"].default))
held = [json.loads(l) for l in open("/tmp/nlu11/heldout.jsonl")]
dump = [json.loads(l) for l in open("/tmp/nlu11/dump.jsonl")]
assert len(held) == len(dump) and all(h["read"] == x["text"] for h, x in zip(held, dump))
pz = np.load("/tmp/nlu11/e5probs.npz")
classes = list(pz["classes"])
P = np.array([x["counts"] for x in dump]); E0 = np.array([x["e5"] for x in dump])
OOS = classes.index("out_of_scope")
def combined(c, e, w, refusal):
    if refusal is None:
        l = (1 - w) * np.log(c + 1e-12) + w * np.log(e + 1e-12); l -= l.max(1, keepdims=True); o = np.exp(l); return o / o.sum(1, keepdims=True)
    r = combined(np.delete(c, refusal, 1), np.delete(e, refusal, 1), w, None) * (1 - c[:, [refusal]])
    return np.insert(r, refusal, c[:, refusal], 1)
def decisions(Q):
    out = []
    for h, row in zip(held, Q):
        order = np.argsort(-row)[:10]
        p = parse_response({"intent_ranking": [{"name": classes[i], "confidence": float(row[i])} for i in order]})
        out.append((h["intent"], interpret(p, TH).topic))
    return out
GATES = eval(__import__("os").environ.get("GATES","[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]")); MGS = eval(__import__("os").environ.get("MGS","[0.0]"))
def old(g): return "fresh7" not in g and "fresh8" not in g
groups = sorted({h["group"] for h in held})
def score(pairs, sel): return sum(a == b for (a, b), s in zip(pairs, sel) if s)
sel_old = [old(h["group"]) for h in held]; sel_new = [not s for s in sel_old]
top2 = -np.sort(-P, 1)[:, :2]
base = decisions(P)
print("counts only: old", score(base, sel_old), "/", sum(sel_old), "new", score(base, sel_new), "/", sum(sel_new))
results = []
for C, w, ref in itertools.product([k for k in pz.files if k.startswith("C")], eval(__import__("os").environ.get("WS","[0.3, 0.5, 0.7, 1.0]")), [None, OOS]):
    E = pz[C]
    M = combined(P, E, w, ref)
    dm = decisions(M)
    for gate, mg in itertools.product(GATES, MGS):
        unsure = (top2[:, 0] < gate) | (top2[:, 0] - top2[:, 1] < mg)
        pairs = [m if u else b for b, m, u in zip(base, dm, unsure)]
        results.append((score(pairs, sel_old), C, w, "counts" if ref is not None else "product", gate, mg, round(unsure[sel_old].mean(), 3), round(unsure.mean(), 3), score(pairs, sel_new)))
results.sort(key=lambda r: -r[0])
print("old_correct C w refusal gate margin rate_old rate_all new_correct")
for r in results[:40]: print(*r)
print("best per gate:")
for g in GATES:
    print(max((r for r in results if r[4] == g), key=lambda r: r[0]))
