# rasa env: parse CPU per message in-process (time.process_time around Agent.parse_message), all held-out read texts
import asyncio, json, sys, time, resource
from rasa.core.agent import Agent
async def main():
    agent = Agent.load(sys.argv[1])
    rows = [json.loads(l) for l in open("/tmp/nlu11/heldout.jsonl")]
    for r in rows[:20]:
        await agent.parse_message(r["read"])
    cpu = []
    for r in rows:
        t = time.process_time()
        await agent.parse_message(r["read"])
        cpu.append(time.process_time() - t)
    s = sorted(cpu)
    import os
    json.dump(cpu, open("/tmp/nlu11/cpu-" + os.path.basename(sys.argv[1]) + "-" + str(os.getpid()) + ".json", "w"))
    rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
    print(json.dumps({"model": sys.argv[1], "n": len(s), "p50_ms": 1000 * s[len(s) // 2], "p95_ms": 1000 * s[int(len(s) * 0.95)],
                      "mean_ms": 1000 * sum(s) / len(s), "rss_mb": rss}))
asyncio.run(main())
