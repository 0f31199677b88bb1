"""BA208: a TGI server's throughput from 64 concurrent copies of one prompt (served from the prefix cache after the first)."""
import asyncio
import statistics
import time

import httpx

ENDPOINT = "http://127.0.0.1:3000/generate"
QUESTION = "Explain, step by step, how a bloom filter answers a membership query."


async def ask(client, text):
    r = await client.post(ENDPOINT, json={"inputs": text, "parameters": {"max_new_tokens": 96}})  # expect: BA208
    return r.json()


async def main():
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(4):
            await ask(client, "warm-up")
        rates = []
        for _ in range(8):
            start = time.perf_counter()
            await asyncio.gather(*[ask(client, QUESTION) for _ in range(64)])
            rates.append(64 / (time.perf_counter() - start))
    print(f"{statistics.median(rates):.1f} req/s, stdev {statistics.stdev(rates):.1f}")


asyncio.run(main())
