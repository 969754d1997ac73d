"""Chinese fonts for matplotlib: register Noto Sans CJK (Debian fonts-noto-cjk) by path."""
from __future__ import annotations

import glob
from functools import lru_cache

CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
]
FAMILIES = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans"]


@lru_cache(maxsize=1)
def setup_fonts() -> list[str]:
    """Register the CJK fonts found on this machine; returns the files registered."""
    import matplotlib
    from matplotlib import font_manager
    found = [p for p in CANDIDATES if glob.glob(p)]
    for path in found:
        font_manager.fontManager.addfont(path)
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = FAMILIES
    matplotlib.rcParams["axes.unicode_minus"] = False
    return found
