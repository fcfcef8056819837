"""The server-drawn bar chart: bars in proportion on a round scale, every value spoken, text escaped."""

from __future__ import annotations

import re

import pytest

from storefront.reporting.charts import HEIGHT, Bar, bar_chart, compact_money, nice_ceiling


def _bars(svg: str) -> list[tuple[float, str]]:
    return [
        (float(height), title)
        for height, title in re.findall(
            r'<rect class="chart__bar[^"]*"[^>]*height="([\d.]+)"[^>]*><title>([^<]*)</title>', svg
        )
    ]


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (1, 1), (7, 10), (11, 20), (180, 200), (201, 250), (2_400, 2_500), (2_600, 5_000)],
)
def test_the_scale_ends_on_a_round_number(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling


def test_bars_are_in_proportion_and_each_is_spoken() -> None:
    svg = bar_chart(
        [Bar("Jan", 1_000, "January: 10"), Bar("Feb", 0, "February: 0"), Bar("Mar", 2_000, "March: 20")],
        chart_id="sales",
        title="Sales",
        description="Three months.",
    )
    bars = _bars(svg)
    assert [title for _, title in bars] == ["January: 10", "February: 0", "March: 20"]
    assert bars[1][0] == 0 and bars[0][0] == pytest.approx(bars[2][0] / 2)
    assert bars[2][0] <= HEIGHT
    assert 'class="chart__bar chart__bar--current"' in svg.split("<rect")[-1]  # the last month stands out
    assert re.findall(r'class="chart__label"[^>]*>([^<]+)<', svg) == ["Jan", "Feb", "Mar"]


def test_the_chart_names_itself_for_screen_readers() -> None:
    svg = bar_chart([Bar("Jan", 5, "January: 5")], chart_id="sales", title="Sales", description="One month.")
    assert 'role="img" aria-labelledby="sales-title sales-desc"' in svg
    assert '<title id="sales-title">Sales</title><desc id="sales-desc">One month.</desc>' in svg


def test_the_value_axis_is_written_by_the_caller() -> None:
    svg = bar_chart(
        [Bar("Jan", 150_000, "January")],
        chart_id="c",
        title="t",
        description="d",
        axis_label=lambda value: compact_money(value, "MYR"),
    )
    assert re.findall(r'class="chart__axis"[^>]*>([^<]+)<', svg) == [
        "RM 0",
        "RM 500",
        "RM 1k",
        "RM 1.5k",
        "RM 2k",
    ]


def test_text_is_escaped() -> None:
    svg = bar_chart([Bar("<b>", 1, "a & <b>")], chart_id="x", title="<script>", description="d")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; &lt;b&gt;" in svg


def test_money_on_the_axis_is_short() -> None:
    assert compact_money(0, "MYR") == "RM 0"
    assert compact_money(12_345, "MYR") == "RM 123"
    assert compact_money(250_000_000, "MYR") == "RM 2.5M"
    assert compact_money(1_500_000, "IDR") == "Rp 1.5M"
