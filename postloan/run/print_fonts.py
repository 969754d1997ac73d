"""The font the PDFs are printed with: Noto Sans CJK SC, with TrueType outlines.

Debian's Noto Sans CJK (fonts-noto-cjk) is OpenType with CFF outlines, and Chromium's PDF
writer (Skia) embeds TrueType outlines only: it draws every CFF glyph as a Type 3 font
procedure. A printed chunk of 120 officer pages held 161 Type 3 fonts and 856 glyph streams,
a viewer draws such text as unhinted paths, and binding a book copies every one of those
objects: qpdf took 690 MB to bind the large sample bank's 4,057-page officer book, against
100 MB once the font is embedded (and the book is half the size).

`build` converts the SC faces (Regular and Bold) of the installed Noto Sans CJK to TrueType
outlines with fontTools: the same glyphs (cubic curves turned quadratic within one font
unit), the same advances and layout tables, so every page lays out as before, under the
family name `FAMILY`. Beside them it writes a fontconfig file that reads the system's own
and maps "Noto Sans CJK SC" to that family. Only the printing Chromium is given that file
(`chromium_env`); screens and dashboards keep the system's fonts.

Built once per environment by `postloan fonts` (`make run`, `make test` and `make bench` run it;
about 30 s per face, both faces at once). A run without them prints with the system's fonts as before and says so.
The fonts are licensed as Noto is (SIL Open Font License 1.1; the name records of copyright
and licence are kept); the family is renamed, as the licence asks of a modified version.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FAMILY = "Postloan Print Sans SC"
SOURCE_FAMILY = "Noto Sans CJK SC"
FACES = {"Regular": "", "Bold": ":weight=bold"}     # face -> fontconfig pattern suffix
FONTS_ENV = "POSTLOAN_PRINT_FONTS"
BUILDER = 1                                        # bump when the conversion changes: fonts are rebuilt


def fonts_dir() -> Path:
    """Where the built fonts live: $POSTLOAN_PRINT_FONTS, else inside the Python environment."""
    return Path(os.environ.get(FONTS_ENV) or Path(sys.prefix) / "share" / "postloan" / "print-fonts")


def _source(face: str) -> tuple[Path, int] | None:
    """The installed file and collection index of Noto Sans CJK SC's `face`, from fontconfig."""
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}|%{style}",
                              SOURCE_FAMILY + FACES[face]], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split("|")
    if len(parts) != 4 or SOURCE_FAMILY not in parts[2].split(",") or face.lower() not in parts[3].lower():
        return None
    return Path(parts[0]), int(parts[1] or 0)


def _stamp(sources: dict) -> str:
    """What the built fonts were made from: the builder's version and each source file's size and time."""
    facts = {face: [str(p), i, p.stat().st_size, int(p.stat().st_mtime)] for face, (p, i) in sources.items()}
    return hashlib.sha256(json.dumps([BUILDER, facts], sort_keys=True).encode()).hexdigest()[:16]


def _file(face: str) -> str:
    return f"PostloanPrintSansSC-{face}.ttf"


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- The printing Chromium's fonts (postloan.run.print_fonts): the system's, plus Noto Sans CJK SC
     with TrueType outlines, which Chromium embeds in a PDF instead of drawing Type 3 glyphs. -->
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{dir}</dir>
  <cachedir>{dir}/cache</cachedir>
  <match target="pattern">
    <test name="family" qual="any"><string>{source}</string></test>
    <edit name="family" mode="prepend" binding="strong"><string>{family}</string></edit>
  </match>
</fontconfig>
"""


def status() -> tuple[Path | None, str]:
    """(the fontconfig file for the printing Chromium, "") when the fonts are built from the fonts
    installed now; (None, why not) otherwise."""
    sources = {face: _source(face) for face in FACES}
    if None in sources.values():
        return None, f"未找到 {SOURCE_FAMILY} 字体（fonts-noto-cjk）"
    d = fonts_dir()
    try:
        built = (d / "stamp").read_text(encoding="utf-8").strip()
    except OSError:
        return None, f"打印字体尚未生成（运行 postloan fonts，生成到 {d}）"
    if built != _stamp(sources) or not all((d / _file(f)).is_file() for f in FACES):
        return None, f"打印字体与已安装的 {SOURCE_FAMILY} 不一致（重新运行 postloan fonts）"
    return d / "fonts.conf", ""


def chromium_env() -> dict | None:
    """The environment of a printing Chromium: the process's own with FONTCONFIG_FILE set to the
    built fonts' file; None (the process's own, unchanged) when they are not built."""
    conf, _ = status()
    return None if conf is None else {**os.environ, "FONTCONFIG_FILE": str(conf)}


def convert(source: Path, index: int, target: Path, face: str) -> None:
    """One face of the collection `source` (font `index`) with TrueType outlines, renamed, to `target`."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(str(source), fontNumber=index, lazy=False)
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))   # TrueType winds the other way
        glyf.glyphs[name] = pen.glyph()
    del font["CFF "]
    for tag in ("VORG",):                        # CFF-only table
        if tag in font:
            del font[tag]
    font["glyf"], font["loca"] = glyf, newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0               # no glyph names: a CJK font's would be 65,535 strings
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    ps = f"PostloanPrintSansSC-{face}"
    names = font["name"]
    for nid in (1, 2, 3, 4, 6, 16, 17):
        names.removeNames(nameID=nid)
    for nid, text in ((1, FAMILY), (2, face), (3, f"{ps};postloan"),
                      (4, f"{FAMILY} {face}" if face != "Regular" else FAMILY), (6, ps),
                      (16, FAMILY), (17, face)):
        names.setName(text, nid, 3, 1, 0x409)
        names.setName(text, nid, 1, 0, 0)
    font.save(str(target))


def build(dest: Path | None = None, say=print) -> Path:
    """Build both faces (in parallel) and the fontconfig file into `dest` (default `fonts_dir()`),
    replacing what was there only once all is written; the fontconfig file's path."""
    from concurrent.futures import ProcessPoolExecutor

    sources = {face: _source(face) for face in FACES}
    missing = [f for f, s in sources.items() if s is None]
    if missing:
        raise RuntimeError(f"未找到 {SOURCE_FAMILY} 的 {', '.join(missing)} 字形 (print_font_source_missing)："
                           "请安装 Debian 软件包 fonts-noto-cjk")
    dest = Path(dest or fonts_dir())
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".print-fonts-", dir=dest.parent))
    try:
        say(f"生成打印字体：{SOURCE_FAMILY} → TrueType 轮廓（{', '.join(FACES)}），约半分钟 …")
        with ProcessPoolExecutor(max_workers=len(FACES)) as pool:
            jobs = [pool.submit(convert, src, idx, work / _file(face), face) for face, (src, idx) in sources.items()]
            for job in jobs:
                job.result()
        (work / "fonts.conf").write_text(FONTS_CONF.format(dir=dest, source=SOURCE_FAMILY, family=FAMILY),
                                         encoding="utf-8")
        (work / "stamp").write_text(_stamp(sources) + "\n", encoding="utf-8")
        old = dest.with_name(dest.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if dest.exists():
            dest.rename(old)
        work.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
        # fontconfig's cache of the new folder, so that no printing Chromium scans 40 MB of fonts
        subprocess.run(["fc-cache", str(dest)], env={**os.environ, "FONTCONFIG_FILE": str(dest / "fonts.conf")},
                       capture_output=True, timeout=120)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"打印字体已生成：{dest}")
    return dest / "fonts.conf"
