"""The GPU's own state while it is measured: SM clock, temperature, power and throttle reasons.

A verdict from a throttled or shared device is not a verdict about the code. The worker samples
the device through NVML's command-line front end (`nvidia-smi`) once before the timed rounds and
after every round, always outside a timed call (the round has been synchronised), so sampling
costs wall time but never a measurement. The samples go into the report
(`environment.device_state`) as a summary, and `summarise` says when they cast doubt on the
numbers: an SM clock that moved by more than 10% across the rounds, thermal or hardware
slowdown, or a device hotter than 85 C.

`nvidia-smi` rather than the NVML Python bindings: the driver always ships it and the bindings
are an extra package; one query costs tens of milliseconds, which only a round boundary pays.
This module is torch-free; the worker tells it which GPU (by UUID) to query.
"""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

QUERY = "clocks.sm,clocks.max.sm,temperature.gpu,power.draw,clocks_throttle_reasons.active"

#: NVML's clocks-event (throttle) reason bits, as `clocks_throttle_reasons.active` reports them.
REASONS = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}
#: Reasons that slow a device for reasons outside the workload: heat, the board's protection.
#: (A power cap under full load is the normal state of a busy data-centre GPU: it is reported,
#: and its effect shows up as clock movement if it matters.)
SLOWDOWNS = frozenset(
    {"hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown"}
)
#: The SM clock's lowest sample below this fraction of its highest: the clock moved under the run.
CLOCK_STEADY = 0.90
HOT_C = 85.0
QUERY_TIMEOUT_S = 5.0

Runner = Callable[[list[str]], str | None]


@dataclass(frozen=True, slots=True)
class DeviceSample:
    sm_clock_mhz: float | None
    max_sm_clock_mhz: float | None
    temperature_c: float | None
    power_w: float | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sm_clock_mhz": self.sm_clock_mhz,
            "max_sm_clock_mhz": self.max_sm_clock_mhz,
            "temperature_c": self.temperature_c,
            "power_w": self.power_w,
            "reasons": list(self.reasons),
        }


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:  # "[N/A]", "[Not Supported]"
        return None


def decode_reasons(text: str) -> tuple[str, ...]:
    try:
        mask = int(text.strip(), 16)
    except ValueError:
        return ()
    return tuple(name for bit, name in REASONS.items() if mask & bit)


def parse(line: str) -> DeviceSample | None:
    """One line of `nvidia-smi --query-gpu=QUERY --format=csv,noheader,nounits`."""
    parts = [p.strip() for p in line.strip().split(",")]
    if len(parts) != 5:
        return None
    clock, max_clock, temp, power, reasons = parts
    return DeviceSample(
        _number(clock), _number(max_clock), _number(temp), _number(power), decode_reasons(reasons)
    )


def _run_nvidia_smi(args: list[str]) -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", *args],
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


@dataclass(slots=True)
class DeviceMonitor:
    """Samples one GPU on demand; after one failed query it stops asking (and says so)."""

    gpu: str | None  # an nvidia-smi --id (a UUID "GPU-..." or an index); None: the first GPU
    run: Runner = _run_nvidia_smi
    samples: list[DeviceSample] = field(default_factory=list)
    failed: bool = False

    def sample(self) -> None:
        if self.failed:
            return
        args = [f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"]
        if self.gpu is not None:
            args.insert(0, f"--id={self.gpu}")
        text = self.run(args)
        lines = text.strip().splitlines() if text else []
        sample = parse(lines[0]) if lines else None
        if sample is None:
            self.failed = True
            return
        self.samples.append(sample)


def _span(values: Sequence[float]) -> list[float]:
    return [min(values), statistics.median(values), max(values)]


def summarise(samples: Sequence[DeviceSample]) -> dict[str, Any] | None:
    """The report's `environment.device_state`: each reading's [min, median, max], the throttle
    reasons seen, and `warnings` (sentences) where the state casts doubt on the timings."""
    if not samples:
        return None
    clocks = [s.sm_clock_mhz for s in samples if s.sm_clock_mhz is not None]
    temps = [s.temperature_c for s in samples if s.temperature_c is not None]
    power = [s.power_w for s in samples if s.power_w is not None]
    max_clock = max((s.max_sm_clock_mhz for s in samples if s.max_sm_clock_mhz), default=None)
    reasons = sorted({r for s in samples for r in s.reasons} - {"gpu_idle"})
    warnings: list[str] = []
    if clocks and min(clocks) < CLOCK_STEADY * max(clocks):
        warnings.append(
            f"the SM clock moved between rounds ({min(clocks):.0f}-{max(clocks):.0f} MHz): "
            "timings from different rounds ran at different speeds"
        )
    slow = [r for r in reasons if r in SLOWDOWNS]
    if slow:
        warnings.append(
            "the device slowed itself down during the run (" + ", ".join(slow) + "): "
            "a hot or protected device, not the code, set part of these timings"
        )
    if temps and max(temps) >= HOT_C:
        warnings.append(f"the device reached {max(temps):.0f} C")
    return {
        "source": "nvidia-smi",
        "samples": len(samples),
        "sm_clock_mhz": _span(clocks) if clocks else None,
        "max_sm_clock_mhz": max_clock,
        "temperature_c": _span(temps) if temps else None,
        "power_w": _span(power) if power else None,
        "throttle_reasons": reasons,
        "warnings": warnings,
    }


def describe(state: dict[str, Any]) -> str:
    """One line for the text report."""
    parts: list[str] = []
    clock = state.get("sm_clock_mhz")
    if clock:
        text = f"SM clock {clock[1]:.0f} MHz ({clock[0]:.0f}-{clock[2]:.0f})"
        if state.get("max_sm_clock_mhz"):
            text += f" of {state['max_sm_clock_mhz']:.0f} max"
        parts.append(text)
    temp = state.get("temperature_c")
    if temp:
        parts.append(f"{temp[0]:.0f}-{temp[2]:.0f} C")
    power = state.get("power_w")
    if power:
        parts.append(f"{power[0]:.0f}-{power[2]:.0f} W")
    reasons = state.get("throttle_reasons") or []
    parts.append("clock limits seen: " + ", ".join(reasons) if reasons else "no clock limits seen")
    return f"{', '.join(parts)}; {state.get('samples')} samples between rounds"
