import asyncio, json, os, sys, time
from rasa.core.agent import Agent
async def main():
    agent = Agent.load(sys.argv[1])
    rows = [json.loads(l) for l in open("/tmp/nlu11/heldout.jsonl")]
    out = open(sys.argv[2], "w")
    t = time.process_time()
    for r in rows:
        p = await agent.parse_message(r["read"])
        out.write(json.dumps({"intent": p["intent"]["name"], "conf": p["intent"]["confidence"]}) + "\n")
    print("cpu", time.process_time() - t, "n", len(rows))
asyncio.run(main())
