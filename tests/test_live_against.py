"""The side-by-side latency bench reads what both live benches print and judges the median p95."""

from __future__ import annotations

import pytest

from bench.live.against import THIS, Figures, parse, report
from bench.live.latency import Run
from bench.live.latency import report as live_report

# the lines of the baseline revision's own report (29c5971's docs/BENCH_LIVE.md), as it prints them
BASELINE_REPORT = """\
| 640x480 @ 30 | 13 / 24 | 182 / 731 | 173 / 721 | 9 / 11 | 30.0 | 30.0 | 2 of 3812 | 17 % (0.33 cores) |
| 1280x720 @ 30 | 14 / 24 | 159 / 302 | 147 / 291 | 10 / 15 | 30.0 | 30.0 | 0 of 3810 | 24 % (0.48 cores) |

All sizes and event lengths together: 27 prompted events, **latency p50 169 ms, p95 406 ms** (target: p95 <= 250 ms: missed).
"""


def test_parse_reads_the_baseline_revisions_report():
    assert parse(BASELINE_REPORT) == Figures(27, 169, 406, {"640x480": 9, "1280x720": 10})


def _run(size: tuple[int, int], latencies_s: list[float], app_s: list[float]) -> Run:
    n = len(latencies_s)
    return Run(size, latencies_s, [0.2] * n, [x - 0.01 for x in latencies_s], [0.1] * n, app_s, n, 24,
               30.0, 30.0, 0, 3810, 0.3, 0.6)


def test_parse_reads_this_checkouts_report():
    """What `python -m bench live` prints now parses back to its own figures."""
    runs = [_run((640, 480), [0.1, 0.2, 0.3], [0.012, 0.013, 0.014]),
            _run((1280, 720), [0.15, 0.25, 0.41], [0.020, 0.021, 0.022])]
    figures = parse(live_report(runs, "python -m bench live", "test machine"))
    assert figures.events == 6
    assert (figures.p50_ms, figures.p95_ms) == (225, 382)  # 0.3 + 0.75 x (0.41 - 0.3): numpy's p95 of six
    assert figures.app_p50_ms == {"640x480": 13, "1280x720": 21}


def test_parse_refuses_a_report_without_the_total():
    with pytest.raises(ValueError, match="latency p50"):
        parse("| 640x480 @ 30 | 13 / 24 | 182 / 731 |")


@pytest.mark.parametrize("ours, verdict", [((410, 410), "**not worse** (-2 ms)"), ((414, 420), "**worse by 5 ms**")])
def test_report_judges_the_median_p95_of_the_rounds(ours, verdict):
    rounds = [{"rev": Figures(27, 174, 412, {"640x480": 15}), THIS: Figures(28, 173, p95, {"640x480": 16})}
              for p95 in ours]
    text = report(rounds, "rev", "python -m bench live_against", "test machine")
    assert f"Median p95: rev 412 ms, this checkout {sum(ours) / 2:g} ms: {verdict}." in text
    assert f"minus rev's: {ours[0] - 412:+d} to {ours[1] - 412:+d} ms." in text
    assert text.count("| rev | 27 | 174 / 412 | 15 |") == 2
