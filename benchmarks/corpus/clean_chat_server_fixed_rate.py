"""Clean: an OpenAI-compatible chat server's p99 under a fixed request rate, timed from each request's scheduled start."""
import asyncio
import statistics
import time

from openai import AsyncOpenAI

client = AsyncOpenAI(base_url="http://127.0.0.1:8000/v1", api_key="EMPTY")
REQUEST_RATE = 5.0
questions = [f"Give me three facts about the year {1900 + i}." for i in range(100)]


async def ask(question, scheduled, out):
    await client.chat.completions.create(
        model="mistral", messages=[{"role": "user", "content": question}], max_tokens=128, temperature=0.0
    )
    out.append(time.perf_counter() - scheduled)


async def main():
    for _ in range(4):
        await client.chat.completions.create(model="mistral", messages=[{"role": "user", "content": "hi"}], max_tokens=8)
    out, tasks = [], []
    start = time.perf_counter()
    for i, question in enumerate(questions):
        scheduled = start + i / REQUEST_RATE
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        tasks.append(asyncio.create_task(ask(question, scheduled, out)))
    await asyncio.gather(*tasks)
    cuts = statistics.quantiles(out, n=100)
    print(f"median {statistics.median(out):.2f}s p99 {cuts[98]:.2f}s")


asyncio.run(main())
