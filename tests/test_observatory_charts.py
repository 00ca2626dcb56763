"""The statistics page's SVG charts: well-formed, named for screen readers, labels escaped, axes that fit."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from console.observatory.charts import Series, _nice_max, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on anything that is not well-formed XML


def test_a_line_chart_is_well_formed_named_and_draws_one_line_per_series():
    chart = parsed(
        line_chart(
            "Parcours par jour",
            ["01/12", "02/12", "03/12"],
            [Series("Hameçonnage", [3, 9, 4]), Series("Spam", [1, 0, 2])],
        )
    )
    assert chart.get("role") == "img" and chart.get("aria-label") == "Parcours par jour"
    assert chart.find(f"{SVG}title").text == "Parcours par jour"
    lines = chart.findall(f"{SVG}polyline")
    assert len(lines) == 2 and len(lines[0].get("points").split()) == 3
    ys = [float(p.split(",")[1]) for p in lines[0].get("points").split()]
    assert ys[1] < ys[0] < ys[2] or ys[1] < ys[2] < ys[0]  # 9 is the highest point (smallest y)
    assert min(ys) >= 0
    texts = [t.text for t in chart.iter(f"{SVG}text")]
    assert "Hameçonnage" in texts and "01/12" in texts


def test_labels_from_victims_are_escaped_and_never_become_markup():
    hostile = '<script>alert(1)</script>" onload="x'
    for markup in (bar_chart("Plateformes", [(hostile, 7)]), line_chart("T", ["a"], [Series(hostile, [1])])):
        chart = parsed(markup)
        assert not list(chart.iter(f"{SVG}script")) and "onload" not in chart.attrib
        assert all("onload" not in element.attrib for element in chart.iter())
        assert "<script>" not in str(markup)


def test_empty_and_single_point_charts_render():
    assert parsed(line_chart("Vide", [], [])).get("role") == "img"
    assert parsed(bar_chart("Vide", [])).get("role") == "img"
    single = parsed(line_chart("Un jour", ["01/12"], [Series("Spam", [4])]))
    assert single.findall(f"{SVG}circle")


def test_bars_are_proportional_and_the_axis_top_is_a_round_number():
    chart = parsed(bar_chart("Moyens de paiement", [("Carte bancaire", 100), ("Virement", 50), ("Autres", 10)]))
    widths = [float(rect.get("width")) for rect in chart.iter(f"{SVG}rect")]
    assert abs(widths[0] / widths[1] - 2) < 0.01 and widths[2] < widths[1]
    assert [_nice_max(v) for v in (0, 1, 3, 7, 12, 99, 101, 4500)] == [1, 1, 5, 10, 20, 100, 200, 5000]


def test_the_value_axis_shows_whole_numbers():
    chart = parsed(line_chart("T", ["a", "b"], [Series("S", [3, 10])]))
    ticks = [t.text for t in chart.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "5", "10"]
