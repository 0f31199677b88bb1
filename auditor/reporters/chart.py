"""The speedup chart of the HTML report as a PNG (`--chart PATH.png`), drawn with matplotlib.

matplotlib is an optional dependency (`pip install 'benchaudit[report]'`), imported only here
and only when a chart is asked for, with the Agg backend (no display needed).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

from auditor.reporters.common import Payload, speedup_points
from auditor.reporters.svg import NICE_TICKS


class ChartError(Exception):
    """A chart that cannot be drawn; the message is one line for the user."""


def write_speedup_png(payload: Payload, path: Path) -> None:
    if payload.get("kind") != "verify":
        raise ChartError("--chart needs a verify report (it plots measured speedups)")
    points = speedup_points(payload)
    if not points:
        raise ChartError("the report has no measured speedups to plot")
    missing = "--chart needs matplotlib: pip install 'benchaudit[report]'"
    if importlib.util.find_spec("matplotlib") is None:
        raise ChartError(missing)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter, NullFormatter
    except ImportError as exc:  # installed but broken (a missing native dependency)
        raise ChartError(f"{missing} ({exc})") from None

    groups = list(dict.fromkeys(p.group for p in points))
    series = list(dict.fromkeys(p.series for p in points))
    colors = ("#d1495b", "#00798c", "#edae49", "#66a182")
    markers = ("D", "o", "s", "^")
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.9 * len(groups)), dpi=120)
    try:
        step = 0.8 / max(len(series), 1)
        for si, name in enumerate(series):
            ys, xs, lo, hi = [], [], [], []
            for p in points:
                if p.series != name:
                    continue
                ys.append(groups.index(p.group) + (si - (len(series) - 1) / 2) * step)
                xs.append(p.value)
                lo.append(p.value - p.ci[0] if p.ci else 0.0)
                hi.append(p.ci[1] - p.value if p.ci else 0.0)
            ax.errorbar(
                xs,
                ys,
                xerr=[lo, hi],
                fmt=markers[si % len(markers)],
                color=colors[si % len(colors)],
                capsize=4,
                label=name,
            )
        ax.axvline(1.0, color="#57606a", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        values = [v for p in points for v in (p.value, *(p.ci or ()))] + [1.0]
        lo, hi = min(values) / 1.15, max(values) * 1.15
        ax.set_xlim(lo, hi)
        ax.set_xticks([t for t in NICE_TICKS if lo <= t <= hi])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks(range(len(groups)), labels=groups)
        ax.set_ylim(len(groups) - 0.5, -0.5)
        ax.grid(axis="x", color="#eaeef2")
        ax.set_xlabel("speedup over the baseline (baseline time / candidate time), 95% interval")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(series), frameon=False)
        fig.tight_layout()
        _save_atomic(fig, path)
    finally:
        plt.close(fig)


def _save_atomic(fig: object, path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=folder)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        fig.savefig(tmp, format="png")  # type: ignore[attr-defined]
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for secrets, not charts
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
