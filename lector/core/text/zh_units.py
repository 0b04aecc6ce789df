"""Unit symbols in Chinese text and their Mandarin readings: the one table.

normalize_zh reads every symbol of ``UNIT_READINGS`` after a number (70kg -> 七十公斤);
zh_mixed and segment use the subsets derived below, each narrower for the reason given there.
"""

from __future__ import annotations

UNIT_READINGS: dict[str, str] = {
    "km/h": "公里每小时",
    "m/s": "米每秒",
    "kWh": "千瓦时",
    "mAh": "毫安时",
    "GHz": "吉赫兹",
    "MHz": "兆赫兹",
    "kHz": "千赫兹",
    "Hz": "赫兹",
    "kg": "公斤",
    "mg": "毫克",
    "km": "公里",
    "cm": "厘米",
    "mm": "毫米",
    "ml": "毫升",
    "mL": "毫升",
    "km²": "平方公里",
    "km³": "立方公里",
    "cm²": "平方厘米",
    "cm³": "立方厘米",
    "mm²": "平方毫米",
    "m²": "平方米",
    "㎡": "平方米",
    "m³": "立方米",
    "kW": "千瓦",
    "min": "分钟",
    "ms": "毫秒",
    "g": "克",
    "t": "吨",
    "m": "米",
    "L": "升",
    "l": "升",
    "W": "瓦",
    "V": "伏",
    "h": "小时",
    "s": "秒",
    "°F": "华氏度",
    "°C": "摄氏度",
    "℃": "摄氏度",
    "℉": "华氏度",
    "°": "度",
    "‰": "千分之",
    "%": "百分之",
}

# zh_mixed: symbols read as Chinese units wherever they stand in an English run, longest first so
# km/h wins over km. Only multi-letter ASCII symbols: single letters (m, s) are words or letters too
# often and are spelled. min and ms stay out so a hyphenated word (min-max) stays one piece; a whole
# piece "min" / "ms" is still read as a unit by zh_mixed._piece_pron.
MIXED_UNIT_SYMBOLS: tuple[str, ...] = tuple(
    sorted(
        (u for u in UNIT_READINGS if len(u) > 1 and u.isascii() and u not in ("min", "ms")),
        key=len,
        reverse=True,
    )
)

# segment: letter symbols written straight after a digit (70kg) that keep the run Chinese, so
# normalize_zh reads them. "s" is left out: 1990s is a decade, read by zh_mixed as 年代.
AFTER_DIGIT_UNITS: frozenset[str] = frozenset(
    u
    for u in UNIT_READINGS
    if u != "s" and ((u.isascii() and u.isalpha()) or (u[:-1].isalpha() and u[-1] in "²³"))
)
# the per-unit part of a compound written after the symbol (m/s, kg/m)
AFTER_DIGIT_PER_UNITS: tuple[str, ...] = ("s", "h", "min", "kg", "m", "L")
