import json
from pathlib import Path
from bench.nlu_eval import load_examples, NLU, DATA
from bot.nlu.prepare import prepare_training_data
from bot.content.catalog import load_catalog
from bot.content.typing import load_readers
from bot.core.latin_typing import read_message
prepare_training_data(NLU / "data", Path("/tmp/nlu11/data"), DATA)
catalog = load_catalog(DATA, "en")
readers = load_readers(DATA, catalog.languages)
ex = load_examples()
with open("/tmp/nlu11/heldout.jsonl", "w") as f:
    for e in ex:
        f.write(json.dumps({"group": e.group, "intent": e.intent, "text": e.text,
                            "read": read_message(e.text, catalog.languages, readers)}, ensure_ascii=False) + "\n")
print(len(ex))
