"""The GPU monitor, on scripted `nvidia-smi` answers: parsing, the summary and its warnings."""

from __future__ import annotations

import jsonschema
import pytest

from auditor.verify import monitor, report
from auditor.verify.monitor import DeviceMonitor, DeviceSample

STATE_SCHEMA = report.report_schema()["$defs"]["environment"]["properties"]["device_state"]


def _sample(clock: float = 1980, temp: float = 45, reasons: tuple[str, ...] = ()) -> DeviceSample:
    return DeviceSample(clock, 1980.0, temp, 300.0, reasons)


def test_a_query_line_is_parsed_and_its_reason_mask_decoded() -> None:
    s = monitor.parse("1755, 1980, 61, 412.57, 0x0000000000000024\n")
    assert s == DeviceSample(1755.0, 1980.0, 61.0, 412.57, ("sw_power_cap", "sw_thermal_slowdown"))
    assert monitor.parse("[N/A], 1980, 40, [N/A], 0x0") == DeviceSample(
        None, 1980.0, 40.0, None, ()
    )
    assert monitor.parse("No devices were found") is None
    assert monitor.decode_reasons("Not Active") == ()


def test_the_monitor_queries_its_gpu_and_stops_after_a_failure() -> None:
    answers = ["1980, 1980, 44, 300.1, 0x0000000000000000\n", None, "1980, 1980, 44, 300, 0x0"]
    calls: list[list[str]] = []

    def run(args: list[str]) -> str | None:
        calls.append(args)
        return answers[len(calls) - 1]

    mon = DeviceMonitor("GPU-1234", run=run)
    mon.sample()
    mon.sample()
    mon.sample()  # not asked: the second query failed
    assert len(calls) == 2 and mon.failed and len(mon.samples) == 1
    assert calls[0][0] == "--id=GPU-1234" and calls[0][1] == f"--query-gpu={monitor.QUERY}"


def test_a_steady_cool_device_gets_a_summary_and_no_warning() -> None:
    state = monitor.summarise([_sample(1980, 40), _sample(1965, 52), _sample(1980, 47)])
    assert state is not None
    jsonschema.validate(state, STATE_SCHEMA)
    assert state["sm_clock_mhz"] == [1965, 1980, 1980]
    assert state["temperature_c"] == [40, 47, 52]
    assert state["warnings"] == [] and state["throttle_reasons"] == []
    assert monitor.describe(state) == (
        "SM clock 1980 MHz (1965-1980) of 1980 max, 40-52 C, 300-300 W, no clock limits seen; "
        "3 samples between rounds"
    )
    assert monitor.summarise([]) is None


def test_a_moving_clock_thermal_slowdown_and_heat_are_warned_about() -> None:
    # a power cap alone is the normal state of a loaded GPU: reported, not warned about
    capped = monitor.summarise([_sample(1980, reasons=("sw_power_cap", "gpu_idle"))] * 3)
    assert capped is not None and capped["throttle_reasons"] == ["sw_power_cap"]
    assert capped["warnings"] == []
    hot = monitor.summarise(
        [_sample(1980, 70), _sample(1410, 88, ("sw_thermal_slowdown",)), _sample(1600, 86)]
    )
    assert hot is not None
    jsonschema.validate(hot, STATE_SCHEMA)
    text = " | ".join(hot["warnings"])
    assert "the SM clock moved between rounds (1410-1980 MHz)" in text
    assert "slowed itself down during the run (sw_thermal_slowdown)" in text
    assert "reached 88 C" in text


@pytest.mark.parametrize("clocks", [[1980, 1800], [1980, 1700]])
def test_the_clock_warning_starts_below_ninety_percent(clocks: list[float]) -> None:
    state = monitor.summarise([_sample(c) for c in clocks])
    assert state is not None
    warned = min(clocks) < 0.9 * max(clocks)
    assert bool(state["warnings"]) is warned
