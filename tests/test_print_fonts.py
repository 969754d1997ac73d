"""The print fonts (postloan.run.print_fonts): Noto Sans CJK SC converted to TrueType outlines,
so that Chromium embeds the font in the PDFs instead of drawing each glyph as a Type 3 font."""
from __future__ import annotations

import json
import shutil

import pytest

from postloan.run import print_fonts
from tests.conftest import servers_required


def _cff_font(path):
    """A small OpenType font with CFF outlines: two glyphs besides .notdef, one of them Chinese."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen
    fb = FontBuilder(1000, isTTF=False)
    order = [".notdef", "A", "uni8D37"]                     # 贷
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap({ord("A"): "A", 0x8D37: "uni8D37"})
    strings = {}
    for name, width in zip(order, (500, 600, 1000)):
        pen = T2CharStringPen(width, None)
        pen.moveTo((50, 0))
        pen.curveTo((50, 400), (300, 700), (width - 50, 700))   # a cubic curve: must become quadratic
        pen.lineTo((width - 50, 0))
        pen.closePath()
        strings[name] = pen.getCharString()
    fb.setupCFF("TestCFF-Regular", {"FullName": "Test CFF"}, strings, {})
    fb.setupHorizontalMetrics({n: (w, 50) for n, w in zip(order, (500, 600, 1000))})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Test CFF", "styleName": "Regular",
                       "copyright": "Copyright test; SIL Open Font License 1.1"})
    fb.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))
    return path


def test_a_cff_face_becomes_truetype_with_the_same_glyphs_and_advances(tmp_path):
    from fontTools.ttLib import TTFont
    src = _cff_font(tmp_path / "test.otf")
    out = tmp_path / "out.ttf"
    print_fonts.convert(src, 0, out, "Bold")
    before, after = TTFont(str(src)), TTFont(str(out))
    assert "CFF " not in after and "glyf" in after and after.sfntVersion == "\x00\x01\x00\x00"
    assert after.getGlyphOrder() == before.getGlyphOrder()
    assert after["cmap"].getBestCmap() == before["cmap"].getBestCmap()
    assert {g: after["hmtx"][g][0] for g in after.getGlyphOrder()} == {".notdef": 500, "A": 600, "uni8D37": 1000}
    glyph = after["glyf"]["uni8D37"]
    coords, _, flags = glyph.getCoordinates(after["glyf"])
    assert glyph.numberOfContours == 1 and len(coords) > 4          # the curve kept, as quadratic pieces
    assert any(not f & 1 for f in flags)                            # off-curve points: a quadratic spline
    xs, ys = [x for x, _ in coords], [y for _, y in coords]
    assert (min(xs), max(xs), min(ys), max(ys)) == (50, 950, 0, 700)   # the outline's extent, within 1 unit
    names = after["name"]
    assert names.getDebugName(1) == print_fonts.FAMILY and names.getDebugName(2) == "Bold"
    assert names.getDebugName(6) == "PostloanPrintSansSC-Bold"
    assert "Open Font License" in names.getDebugName(0)              # copyright and licence kept


def _noto_installed():
    return all(print_fonts._source(face) for face in print_fonts.FACES)


def test_fonts_missing_or_made_from_other_files_are_reported_and_not_used(tmp_path, monkeypatch):
    if not _noto_installed():
        pytest.skip("fonts-noto-cjk is not installed")
    monkeypatch.setenv(print_fonts.FONTS_ENV, str(tmp_path / "fonts"))
    conf, why = print_fonts.status()
    assert conf is None and "postloan fonts" in why and print_fonts.chromium_env() is None
    (tmp_path / "fonts").mkdir()
    for face in print_fonts.FACES:
        (tmp_path / "fonts" / print_fonts._file(face)).write_bytes(b"")
    (tmp_path / "fonts" / "stamp").write_text("0123456789abcdef\n", encoding="utf-8")   # another Noto's
    conf, why = print_fonts.status()
    assert conf is None and "重新运行 postloan fonts" in why


def _built():
    conf, why = print_fonts.status()
    if conf is None:
        reason = f"print fonts not built: {why}"
        if servers_required():
            pytest.fail(reason + " (CI builds them with make: this fails instead of skipping)")
        pytest.skip(reason)
    return conf


def _fonts(pdf_path):
    """(subtype, descendant subtype) of every font on every page of a PDF."""
    import pikepdf
    seen = set()
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for font in page.obj.get("/Resources", {}).get("/Font", {}).values():
                sub = str(font.get("/Subtype"))
                desc = str(font.DescendantFonts[0].get("/Subtype")) if "/DescendantFonts" in font else ""
                name = str(font.DescendantFonts[0].get("/BaseFont", "")) if desc else ""
                seen.add((sub, desc, name.split("+")[-1]))
    return seen


@pytest.mark.slow
def test_the_published_pdfs_embed_the_print_font_and_no_type3_glyphs(published_run):
    _built()
    manifest = json.loads((published_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["print_font"] == print_fonts.FAMILY
    pdfs = [published_run / o["path"] for o in manifest["outputs"] if o["kind"] == "pdf"]
    books = [p for p in pdfs if p.stem.endswith(("_cases", "_pages"))]
    assert books and len(pdfs) > len(books)
    for pdf in pdfs:
        fonts = _fonts(pdf)
        assert fonts, pdf.name
        assert all(sub == "/Type0" and desc == "/CIDFontType2" for sub, desc, _ in fonts), (pdf.name, fonts)
        assert {name for *_, name in fonts} <= {"PostloanPrintSansSC-Regular", "PostloanPrintSansSC-Bold"}, pdf.name


@pytest.mark.slow
def test_a_page_prints_the_same_with_and_without_the_print_fonts(tmp_path, monkeypatch):
    """Same glyph advances: the same lines break at the same places, the same page count, the same text."""
    _built()
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    import subprocess
    from postloan.run.export import page_html, print_pdfs
    text = "".join(f"<p>第 {i} 行：贷后管理例会材料，不良贷款余额 1,234.56 万元，<b>须本月下调分类</b>。</p>"
                   for i in range(120))
    html = tmp_path / "page.html"
    html.write_text(page_html("测试", text), encoding="utf-8")
    print_pdfs([(html, tmp_path / "embedded.pdf")])
    monkeypatch.setenv(print_fonts.FONTS_ENV, str(tmp_path / "none"))
    print_pdfs([(html, tmp_path / "type3.pdf")])
    assert {s for s, *_ in _fonts(tmp_path / "type3.pdf")} == {"/Type3"}
    assert {d for _, d, _ in _fonts(tmp_path / "embedded.pdf")} == {"/CIDFontType2"}

    def boxes(pdf):   # every word's text and position, in points
        out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        return [line.strip() for line in out.splitlines() if line.strip().startswith(("<word", "<page"))]
    a, b = boxes(tmp_path / "embedded.pdf"), boxes(tmp_path / "type3.pdf")
    assert len(a) == len(b) and sum(x.startswith("<page") for x in a) >= 2

    def parsed(line):
        import re
        nums = [float(v) for v in re.findall(r'="([\d.]+)"', line)]
        return re.sub(r"<[^>]+>", "", line), nums
    for x, y in zip(a, b):
        (tx, nx), (ty, ny) = parsed(x), parsed(y)
        assert tx == ty
        assert all(abs(u - v) < 1.0 for u, v in zip(nx[:1] + nx[2:3], ny[:1] + ny[2:3])), (x, y)   # x positions
