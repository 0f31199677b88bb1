"""The timing vocabulary: every clock, timer and harness the analyses recognise, by fully
qualified name, as data (standard library only, so that the screen in `screen.py` can read it
without importing libcst). The analyses import these names from here; the screen derives its
words from them, so a timer added here is both recognised and never screened out."""

from __future__ import annotations

#: Host clocks that measure wall time. `process_time` is CPU time and is not a benchmark timer.
HOST_TIMERS: frozenset[str] = frozenset(
    {
        "time.time",
        "time.perf_counter",
        "time.monotonic",
        "time.time_ns",
        "time.perf_counter_ns",
        "time.monotonic_ns",
        "timeit.default_timer",
        # `datetime.now()` readings subtract to a timedelta (`(end - start).total_seconds()`)
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
    }
)

CUDA_EVENT_CLASSES: frozenset[str] = frozenset(
    {"torch.cuda.Event", "torch.Event", "torch.cuda.streams.Event"}
)

TIMEIT_FUNCS = frozenset({"timeit.timeit", "timeit.repeat"})
TIMER_CLASSES = frozenset({"timeit.Timer", "torch.utils.benchmark.Timer"})
DO_BENCH = frozenset({"triton.testing.do_bench", "triton.testing.do_bench_cudagraph"})

#: Timing context managers from installed libraries: qualified name -> the clock they read.
#: None of them synchronises a device before its closing read. (A catalogue as data, like the
#: model names: add a library here, with the clock its `__exit__` reads.)
LIBRARY_CONTEXT_TIMERS: dict[str, str] = {
    "contexttimer.Timer": "timeit.default_timer",
    "codetiming.Timer": "time.perf_counter",
    "optimum.habana.utils.HabanaGenerationTime": "time.perf_counter",
    "optimum.habana.utils.HabanaProfile": "time.perf_counter",
    "pytorch_lightning.utilities.timer.Timer": "time.monotonic",
    "torchtnt.utils.timer.Timer": "time.perf_counter",
}

#: Names (variables, attributes, keys) that speak of a time: a token rate read from recorded
#: results (`rec["generated_tokens"] / rec["elapsed"]`) is found by such a divisor, with no
#: clock in the file.
TIME_WORD_PATTERN = r"time|elapsed|latency|duration|seconds|secs\b|_s$"
#: And what such a rate counts (`analyses.tokens`: recorded keys, tokenizer calls).
TOKEN_WORD_PATTERN = r"tok|^enc(?:oder)?$"

#: Every timing source above.
TIMING_SOURCES: frozenset[str] = (
    HOST_TIMERS
    | CUDA_EVENT_CLASSES
    | TIMEIT_FUNCS
    | TIMER_CLASSES
    | DO_BENCH
    | frozenset(LIBRARY_CONTEXT_TIMERS)
)
