"""Cross-module analysis: timing helpers and settings imported from the audited project's own
modules are parsed (never imported or run) and followed, and a helper's file reports the flaws
its users expose."""

from __future__ import annotations

import ast
from pathlib import Path

from fixture_expectations import ROOT

from auditor.api import check as check_paths
from auditor.project import ProjectCache, ProjectModules

SENTINEL = "import pathlib\npathlib.Path({path!r}).write_text('ran')\n"

UNSYNCED_TIMER = """import time
from contextlib import contextmanager

import torch


@contextmanager
def timer(samples):
    start = time.perf_counter()
    yield
    samples.append(time.perf_counter() - start)
"""

SYNCED_TIMER = """import time

import torch


class Timer:
    def __enter__(self):
        torch.cuda.synchronize()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        torch.cuda.synchronize()
        self.seconds = time.perf_counter() - self.t0
"""

BENCH = """import torch

from {module} import {name}

model = torch.nn.Linear(4096, 4096).cuda()
x = torch.randn(256, 4096, device="cuda")
prompts = ["a", "b", "c"]
for _ in range(5):
    model(x)
torch.cuda.synchronize()
samples = []
for _ in range(10):
    with {call}:
        model(x)
"""


def write(folder: Path, **files: str) -> None:
    for name, text in files.items():
        (folder / f"{name}.py").write_text(text)


def findings(*paths: Path) -> set[tuple[str, int, str]]:
    report = check_paths([str(p) for p in paths], select=["ALL"])
    assert report.errors == []
    return {(Path(f.path).name, f.line, f.code) for f in report.findings}


def test_unsynchronised_helper_is_reported_in_the_helper(tmp_path: Path) -> None:
    sentinel = tmp_path / "ran"
    write(
        tmp_path,
        timing_utils=SENTINEL.format(path=str(sentinel)) + UNSYNCED_TIMER,
        bench=BENCH.format(module="timing_utils", name="timer", call="timer(samples)"),
    )
    assert findings(tmp_path) == {("timing_utils.py", 13, "BA101")}
    report = check_paths([str(tmp_path / "timing_utils.py")], select=["ALL"])
    assert "`bench.py` times CUDA work in it" in report.findings[0].message
    assert findings(tmp_path / "bench.py") == set()  # the caller's `with` line stays clean
    assert not sentinel.exists()


def test_synced_class_timer_from_a_sibling_is_clean(tmp_path: Path) -> None:
    write(
        tmp_path,
        timer=SYNCED_TIMER,
        bench=BENCH.format(module="timer", name="Timer", call="Timer() as t"),
    )
    assert findings(tmp_path) == set()


def test_relative_import_from_a_package(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    write(pkg, timing=SYNCED_TIMER.replace("perf_counter", "time"))
    write(pkg, bench=BENCH.format(module=".timing", name="Timer", call="Timer()"))
    # the helper's own interval is read from the wall clock, and nothing else is wrong
    assert findings(pkg) == {("timing.py", 14, "BA103")}


def test_settings_imported_from_a_config_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        config='NEW = 64\nGEN = {"max_new_tokens": NEW, "min_new_tokens": NEW}\n',
        bench=(
            "import time\n"
            "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
            "from config import GEN\n\n"
            'tok = AutoTokenizer.from_pretrained("gpt2")\n'
            'model = AutoModelForCausalLM.from_pretrained("gpt2").to("cuda")\n'
            'inputs = tok("hi", return_tensors="pt").to("cuda")\n'
            "for _ in range(3):\n    model.generate(**inputs, **GEN)\n"
            "t0 = time.perf_counter()\n"
            "model.generate(**inputs, **GEN)\n"
            'print(f"{64 / (time.perf_counter() - t0):.1f} tokens/s")\n'
        ),
    )
    one_run = ("bench.py", 12, "BA302")  # a single timed run, whatever the length settings
    assert findings(tmp_path) == {one_run}
    (tmp_path / "config.py").write_text('GEN = {"max_new_tokens": 64}\n')
    assert findings(tmp_path / "bench.py") == {("bench.py", 11, "BA206"), one_run}


def test_modules_are_parsed_once_per_run_and_recorded(tmp_path: Path) -> None:
    write(tmp_path, helper="X = 1\n", a="from helper import X\n", b="import helper\n")
    cache = ProjectCache()
    first = ProjectModules(tmp_path / "a.py", cache)
    second = ProjectModules(tmp_path / "b.py", cache)
    found = first.find("helper")
    again = second.find("helper")
    assert found is not None and again is not None and again.module is found.module
    assert first.used == {(tmp_path / "helper.py").resolve()}
    assert first.find("numpy") is None and first.find("a") is None  # not itself
    importers = ProjectModules(tmp_path / "helper.py", cache).importer_paths()
    assert sorted(path.name for path in importers) == ["a.py", "b.py"]


def test_importers_naming_parses_only_importers_that_name_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        bench="def main():\n    pass\n",
        cli="from bench import (\n    main,\n)\n",
        own="import bench\n\n\ndef main():\n    bench.X = 1\n",
        other="from bench import X\n",
    )
    project = ProjectModules(tmp_path / "bench.py", ProjectCache())
    named = project.importers_naming("main", imported=True)
    assert [m.path.name for m in named] == ["cli.py"]  # not `own.py`'s own `def main`
    assert sorted(m.path.name for m in project.importers_naming("main")) == ["cli.py", "own.py"]
    assert {p.name for p in project.used} >= {"cli.py", "own.py", "other.py"}  # all read


def test_project_resolver_never_imports_the_analyses() -> None:
    tree = ast.parse((ROOT / "auditor" / "project.py").read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    # (`auditor.record`, its data classes, imports nothing of benchaudit's)
    imported.discard("auditor.record")
    assert not any(m.startswith(("auditor.", "importlib", "runpy")) for m in imported)


TIMING_HELPER = """import time

import torch


def time_pipeline(pipe, prompts, rounds):
    durations = []
    for i in range(rounds):
        torch.cuda.synchronize()
        start = time.perf_counter()
        pipe(prompts, output_type="latent")
        torch.cuda.synchronize()
        durations.append(time.perf_counter() - start)
    print(sum(durations) / len(durations), min(durations), max(durations))
"""

CALLER = """import torch
from diffusers import DiffusionPipeline

from {module} import time_pipeline

pipe = DiffusionPipeline.from_pretrained("sd", torch_dtype=torch.float16).to("cuda")
prompts = ["a red fox"] * 4
{warmup}time_pipeline(pipe, prompts, 10)
"""


def test_a_helper_package_sees_its_callers_at_the_repository_root(tmp_path: Path) -> None:
    """`libs/bench.py` times a model its caller, `run.py` beside `libs/`, builds and passes in
    (imported as `libs.bench`, as the interpreter finds it when `run.py` runs): the warm-up is
    looked for before that call."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "libs").mkdir()
    write(tmp_path / "libs", bench=TIMING_HELPER)
    write(tmp_path, run=CALLER.format(module="libs.bench", warmup=""))
    got = findings(tmp_path / "libs" / "bench.py")
    assert got == {("bench.py", 10, "BA102")}
    report = check_paths([str(tmp_path / "libs" / "bench.py")], select=["BA102"])
    message = report.findings[0].message
    assert "nor before the call at ../run.py:8 that passes the model in" in message
    warm = "for _ in range(3):\n    pipe(prompts, output_type='latent')\ntorch.cuda.synchronize()\n"
    write(tmp_path, run=CALLER.format(module="libs.bench", warmup=warm))
    assert findings(tmp_path / "libs" / "bench.py") == set()


def test_absolute_imports_resolve_from_the_project_root(tmp_path: Path) -> None:
    """`benchmarks/run.py` importing `src.timing` (run from the root, or installed in
    development mode) reads `src/timing.py`; nothing above the project root is read."""
    (tmp_path / "proj").mkdir()
    root = tmp_path / "proj"
    (root / "setup.py").write_text("")
    for folder in ("src", "benchmarks"):
        (root / folder).mkdir()
    write(root / "src", timing=UNSYNCED_TIMER)
    write(
        root / "benchmarks",
        bench=BENCH.format(module="src.timing", name="timer", call="timer(samples)"),
    )
    cache = ProjectCache()
    found = ProjectModules(root / "benchmarks" / "bench.py", cache).find("src.timing")
    assert found is not None and found.path == (root / "src" / "timing.py").resolve()
    # the helper's file reports what its user in another folder exposes
    assert findings(root / "src" / "timing.py") == {("timing.py", 11, "BA101")}
    write(tmp_path, outside="X = 1\n")  # above the root marker: not the project's code
    assert ProjectModules(root / "benchmarks" / "bench.py", cache).find("outside") is None
    importers = ProjectModules(root / "src" / "timing.py", cache).importer_paths()
    assert [path.name for path in importers] == ["bench.py"]


def test_io_in_a_helper_of_another_folder_is_named_with_its_path(tmp_path: Path) -> None:
    """The timed call runs a function of `gen/utils.py` that saves its image: BA203 at the call,
    naming the helper and where the save is, relative to the checked file."""
    (tmp_path / "gen").mkdir()
    write(
        tmp_path / "gen",
        utils=(
            "def render(pipe, prompt, path):\n"
            "    image = pipe(prompt).images[0]\n"
            "    image.save(path)\n"
            "    return image\n"
        ),
    )
    write(
        tmp_path,
        bench=(
            "import statistics\nimport time\n\nimport torch\n"
            "from diffusers import DiffusionPipeline\n\nfrom gen.utils import render\n\n"
            'pipe = DiffusionPipeline.from_pretrained("sd").to("cuda")\n'
            'for _ in range(3):\n    pipe("warm")\ntorch.cuda.synchronize()\n'
            "times = []\n"
            "for i in range(10):\n"
            "    t0 = time.perf_counter()\n"
            '    render(pipe, "a cat", f"out/{i}.png")\n'
            "    torch.cuda.synchronize()\n"
            "    times.append(time.perf_counter() - t0)\n"
            "print(statistics.median(times), statistics.stdev(times))\n"
        ),
    )
    report = check_paths([str(tmp_path / "bench.py")], select=["BA203"])
    assert [(f.line, f.code) for f in report.findings] == [(16, "BA203")]
    assert "(in `render`, gen/utils.py:3)" in report.findings[0].message


ARMS_HELPER = """\
import statistics
import time

import torch


def benchmark(pipe, prompt, runs=10):
    for _ in range(3):
        pipe(prompt, num_inference_steps=30)
    times = []
    for _ in range(runs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        pipe(prompt, num_inference_steps=30)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    print(statistics.median(times), statistics.stdev(times))
"""
ARMS_SCRIPT = """\
import torch
{imports}
from libs.bench import benchmark

checkpoint = "{checkpoint}"
pipe = {build}
pipe = pipe.to("cuda")
benchmark(pipe, "a harbour at dawn")
"""
TILED = """\
import torch


class TiledPipeline:
    @staticmethod
    def from_pretrained(path, torch_dtype=torch.float16):
        return TiledPipeline()

    def __call__(self, prompt, num_inference_steps=50):
        return prompt
"""


def _arm_script(build: str, checkpoint: str = "runwayml/stable-diffusion-v1-5") -> str:
    imports = "from diffusers import StableDiffusionPipeline\nfrom libs.tiled import TiledPipeline"
    return ARMS_SCRIPT.format(imports=imports, checkpoint=checkpoint, build=build)


def test_scripts_that_share_a_timing_function_are_compared_arms(tmp_path: Path) -> None:
    """`baseline.py` and `tiled.py` pass one checkpoint, built by two classes, to the same
    `libs/bench.py` function: the scripts are the arms, and the project class's
    `from_pretrained` loads float16 by default where the library's loads float32."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "libs").mkdir()
    write(tmp_path / "libs", bench=ARMS_HELPER, tiled=TILED)
    write(
        tmp_path,
        baseline=_arm_script("StableDiffusionPipeline.from_pretrained(checkpoint)"),
        tiled=_arm_script("TiledPipeline.from_pretrained(checkpoint)"),
    )
    bench = tmp_path / "libs" / "bench.py"
    assert findings(bench) == {("bench.py", 14, "BA207")}
    message = check_paths([str(bench)], select=["BA207"]).findings[0].message
    assert "passed at ../tiled.py:9 differs from the one passed at ../baseline.py:9" in message
    assert "dtype (float16, against float32)" in message
    # the same dtype asked for explicitly on both sides: the class alone is the comparison
    write(
        tmp_path,
        baseline=_arm_script(
            "StableDiffusionPipeline.from_pretrained(checkpoint, torch_dtype=torch.float16)"
        ),
    )
    assert findings(bench) == set()
    # two scripts that benchmark different checkpoints are a table of models, not two arms
    write(
        tmp_path,
        baseline=_arm_script(
            "StableDiffusionPipeline.from_pretrained(checkpoint)", "stabilityai/sd-turbo"
        ),
    )
    assert findings(bench) == set()


def test_a_function_re_exported_by_a_package_init_is_followed(tmp_path: Path) -> None:
    """`from decoding import greedy` where `decoding/__init__.py` re-exports it from
    `decoding/greedy_impl.py`: the harness that times the handed function sees it as the
    project function it is (and asks for its warm-up)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "decoding").mkdir()
    write(
        tmp_path / "decoding",
        __init__="from decoding.greedy_impl import greedy\n\n__all__ = ['greedy']\n",
        greedy_impl="def greedy(model, ids, n):\n"
        "    return model.generate(ids, max_new_tokens=n)\n",
    )
    write(
        tmp_path,
        bench="""\
import time

import torch
from transformers import AutoModelForCausalLM

from decoding import greedy

model = AutoModelForCausalLM.from_pretrained("gpt2").cuda()
ids = torch.randint(0, 50000, (1, 64), device="cuda")


def bench(fn, *args, runs=10):
    times = []
    for _ in range(runs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn(*args)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    print(min(times), max(times), sorted(times)[runs // 2])


bench(greedy, model, ids, 32)
""",
    )
    report = check_paths([str(tmp_path / "bench.py")], select=["BA102"])
    assert [(f.line, f.code) for f in report.findings] == [(16, "BA102")]
    assert "first timed region of `greedy`" in report.findings[0].message


def test_folders_added_to_sys_path_are_searched(tmp_path: Path) -> None:
    """`sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))` in
    `benchmarks/run.py`, then `from decoding import greedy`: the module is `src/decoding`,
    found as the interpreter finds it (never imported)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "src" / "decoding").mkdir(parents=True)
    (tmp_path / "benchmarks").mkdir()
    write(
        tmp_path / "src" / "decoding",
        __init__="def greedy(model, ids, n):\n    return model.generate(ids, max_new_tokens=n)\n",
    )
    script = """\
import os
import sys
import time

import torch
from transformers import AutoModelForCausalLM

sys.path.insert(0, {path})
from decoding import greedy  # noqa: E402

model = AutoModelForCausalLM.from_pretrained("gpt2").cuda()
ids = torch.randint(0, 50000, (1, 64), device="cuda")


def bench(fn, *args, runs=10):
    times = []
    for _ in range(runs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn(*args)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    print(min(times), max(times), sorted(times)[runs // 2])


bench(greedy, model, ids, 32)
"""
    for path in (
        'os.path.join(os.path.dirname(__file__), "..", "src")',
        'str(Path(__file__).resolve().parents[1] / "src")',
        '"src"',  # relative: run from the project root
    ):
        text = script.format(path=path)
        if "Path(" in path:
            text = "from pathlib import Path\n" + text
        write(tmp_path / "benchmarks", run=text)
        report = check_paths([str(tmp_path / "benchmarks" / "run.py")], select=["BA102"])
        assert [f.code for f in report.findings] == ["BA102"], path
        assert "first timed region of `greedy`" in report.findings[0].message
    write(tmp_path / "benchmarks", run=script.format(path='"/nowhere"'))
    # `src/` is searched as a src layout's installed package even without the sys.path line
    report = check_paths([str(tmp_path / "benchmarks" / "run.py")], select=["BA102"])
    assert [f.code for f in report.findings] == ["BA102"]
    (tmp_path / "src").rename(tmp_path / "lib")  # elsewhere, only the added folder finds it
    assert check_paths([str(tmp_path / "benchmarks" / "run.py")], select=["BA102"]).findings == []


REQUEST_FN = """import time

import httpx


async def complete(client: httpx.AsyncClient, base_url: str, prompt: str):
    url = base_url.rstrip("/") + "/v1/completions"
    start = time.perf_counter()
    response = await client.post(url, json={"prompt": prompt, "max_tokens": 64})
    return response.json(), time.perf_counter() - start
"""

SWEEP = """import asyncio

import httpx

from {module} import complete


async def run_cell(complete_fn, url, prompts, warmup):
    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(complete_fn(client, url, p) for p in prompts[:warmup]))
        return await asyncio.gather(*(complete_fn(client, url, p) for p in prompts))


results = asyncio.run(run_cell(complete, "http://localhost:8000", ["hi"] * 64, 4))
"""


def test_request_function_handed_on_by_its_importer_is_not_judged_alone(tmp_path: Path) -> None:
    """A request function nothing in its file calls, which a script in another folder hands
    to a sweep as a value (`run_cell(complete, ...)`): its warm-up and repeats are the
    sweep's, so its file reports neither a missing warm-up nor a single run. Called directly
    by an importer instead, the importer's call decides (here: once, cold)."""
    root = tmp_path / "proj"
    (root / "bench").mkdir(parents=True)
    (root / "scripts").mkdir()
    (root / "pyproject.toml").write_text("")
    write(root / "bench", client=REQUEST_FN)
    write(root / "scripts", sweep=SWEEP.format(module="bench.client"))
    assert findings(root / "bench" / "client.py") == set()
    write(
        root / "scripts",
        sweep="import asyncio\nimport httpx\nfrom bench.client import complete\n\n\n"
        "async def main():\n    async with httpx.AsyncClient() as c:\n"
        "        print(await complete(c, 'http://localhost:8000', 'hi'))\n\n\n"
        "asyncio.run(main())\n",
    )
    assert {code for _, _, code in findings(root / "bench" / "client.py")} == {"BA102", "BA302"}


def test_importers_beside_a_package_are_found_without_a_root_marker(tmp_path: Path) -> None:
    """With no `.git` or `pyproject.toml` (a copied tree), the folder holding the module's top
    package is the project: `scripts/sweep.py` beside the `bench` package imports
    `bench.client` from there, and hands the request function on, so the client file is not
    judged alone. Without the package's `__init__.py`, nothing marks that folder and only the
    folders above the file are searched: the sweep is not seen, and its timing looks cold."""
    root = tmp_path / "copy"
    (root / "bench").mkdir(parents=True)
    (root / "scripts").mkdir()
    write(root / "bench", client=REQUEST_FN, __init__="")
    write(root / "scripts", sweep=SWEEP.format(module="bench.client"))
    assert findings(root / "bench" / "client.py") == set()
    (root / "bench" / "__init__.py").unlink()
    assert {code for _, _, code in findings(root / "bench" / "client.py")} == {"BA102"}


ROOT_BENCH = """import time

import torch


def benchmark(model, size, runs=100):
    x = torch.randn(size, device="cuda")
    times = []
    for _ in range(runs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        model(x)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[runs // 2]
"""

ROOT_BENCH_USER = """import sys

import torch

sys.path.append("..")
from my_bench import benchmark

model = torch.nn.Conv2d(3, 64, 3).cuda().eval()
{warmup}print(benchmark(model, (8, 3, 224, 224)))
"""


def test_importers_below_a_root_level_module_are_found(tmp_path: Path) -> None:
    """A timing module at the top of a copied tree (no root marker) is imported by scripts in
    the folders below it through `sys.path.append("..")`: the first of them decides whether
    the model it hands in was warmed up."""
    root = tmp_path / "copy"
    (root / "resnet").mkdir(parents=True)
    write(root, my_bench=ROOT_BENCH)
    write(root / "resnet", main=ROOT_BENCH_USER.format(warmup=""))
    assert {code for _, _, code in findings(root / "my_bench.py")} == {"BA102"}
    warm = "for _ in range(3):\n    model(torch.randn(8, 3, 224, 224, device='cuda'))\n"
    write(root / "resnet", main=ROOT_BENCH_USER.format(warmup=warm))
    assert findings(root / "my_bench.py") == set()


SETTINGS = """import time
from dataclasses import dataclass


@dataclass
class BenchmarkSettings:
    warmup_iterations: int = 3
    benchmark_iterations: int = 10

    def apply(self, test_fn):
        for _ in range(self.warmup_iterations):
            test_fn()
        timings = []
        for _ in range(self.benchmark_iterations):
            t0 = time.perf_counter()
            test_fn()
            timings.append(time.perf_counter() - t0)
        return timings
"""

BACKEND = """from PIL import Image
import numpy as np
import torch

from benchmarks.settings import BenchmarkSettings


def run_backend(settings: BenchmarkSettings, sampler, decoder, latent):
    @torch.inference_mode()
    def inference_func():
        images = decoder(sampler(latent))
        for image in images:
            img = Image.fromarray(np.clip(255.0 * image.cpu().numpy(), 0, 255).astype(np.uint8))
        return img

    return settings.apply(inference_func)
"""


def test_function_handed_to_a_harness_of_another_module(tmp_path: Path) -> None:
    """A backend hands its inference function to a settings object's `apply` (its type named
    by the parameter's annotation, its class in another module) that times each call of the
    function: the PIL conversion inside the function is inside that timing."""
    root = tmp_path / "proj"
    (root / "benchmarks").mkdir(parents=True)
    (root / "setup.py").write_text("")
    (root / "benchmarks" / "__init__.py").write_text("")
    write(root / "benchmarks", settings=SETTINGS, backend=BACKEND)
    got = findings(root / "benchmarks" / "backend.py")
    assert ("backend.py", 13, "BA203") in got
    # the same function converting after the harness returns: nothing timed converts
    write(
        root / "benchmarks",
        backend=BACKEND.replace(
            "            img = Image.fromarray", "            img = np.asarray"
        ),
    )
    assert not any(code == "BA203" for _, _, code in findings(root / "benchmarks" / "backend.py"))


SRC_MODEL = """from torch import nn


class VideoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 64, 3, padding=1)

    def forward(self, video):
        return self.conv(video)
"""

SRC_DEMO = """import time

import torch
from mypkg.models import VideoEncoder

encoder = VideoEncoder().cuda().eval()
video = torch.randn(1, 3, 16, 256, 256, device="cuda")
torch.cuda.synchronize()
with torch.inference_mode():
    samples = []
    for _ in range(10):
        t0 = time.perf_counter()
        latents = encoder(video)
        samples.append(time.perf_counter() - t0)
print(min(samples), max(samples))
"""


def test_src_layout_package_is_found_from_a_demo_folder(tmp_path: Path) -> None:
    """`from mypkg.models import VideoEncoder` in `demos/` of a project whose package lives in
    `src/mypkg` (a `src` layout, installed with `pip install -e .`): the class is read from
    `src/`, so its instances are models, and the unsynchronised, cold loop is reported."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mypkg'\n")
    pkg = tmp_path / "src" / "mypkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    write(pkg, models=SRC_MODEL)
    demos = tmp_path / "demos"
    demos.mkdir()
    write(demos, encode=SRC_DEMO)
    assert findings(demos / "encode.py") == {
        ("encode.py", 12, "BA102"),
        ("encode.py", 14, "BA101"),
    }
    (pkg / "models.py").write_text(SRC_MODEL.replace("nn.Module", "object"))
    assert findings(demos / "encode.py") == set()  # not a module: nothing is known to run
