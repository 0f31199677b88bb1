"""BA304: an OpenAI-compatible chat server's p95/p99 from a client that sends one request at a time."""
import statistics
import time

from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="EMPTY")
questions = [f"Give me three facts about the year {1900 + i}." for i in range(100)]

for _ in range(4):
    client.chat.completions.create(model="mistral", messages=[{"role": "user", "content": "hi"}], max_tokens=8)

ttlt = []
for question in questions:
    start = time.perf_counter()
    client.chat.completions.create(
        model="mistral", messages=[{"role": "user", "content": question}], max_tokens=128, temperature=0.0
    )
    ttlt.append(time.perf_counter() - start)  # expect: BA304
cuts = statistics.quantiles(ttlt, n=100)
print(f"median {statistics.median(ttlt):.2f}s p95 {cuts[94]:.2f}s p99 {cuts[98]:.2f}s")
