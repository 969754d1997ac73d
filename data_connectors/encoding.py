"""Detect the text encoding of a CSV file: UTF-8 (with or without BOM) or GB18030/GBK."""
from __future__ import annotations

import codecs

_CHUNK = 1 << 22


class EncodingProblem(ValueError):
    """The file is in an encoding the contract does not accept, or mixes two."""


def detect_encoding(path) -> str:
    """'utf-8-sig' when the whole file decodes as UTF-8, else 'gb18030' (a superset of GBK).

    The whole file is checked in chunks (an ASCII head with GBK text further down
    must not be mistaken for UTF-8); GB18030 decodes any byte string it is given
    the chance to, so a file that is neither fails later with readable mojibake
    only if it is not GB18030 either, which `read_text_table` reports.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen = {"cjk": False, "odd": False}

    def look(text: str) -> None:
        # short GBK text can also be valid UTF-8 ("住宅" is D7A1 D5AC, read as Hebrew and Armenian):
        # note CJK and two-byte scripts no Chinese bank extract uses
        if not seen["cjk"] and any("\u4e00" <= ch <= "\u9fff" for ch in text):
            seen["cjk"] = True
        if not seen["odd"] and any("\u0370" <= ch <= "\u07ff" for ch in text):
            seen["odd"] = True
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
            raise EncodingProblem("文件为 UTF-16（Unicode）编码；请另存为 UTF-8 或 GB18030/GBK 编码的 CSV")
        bom = head.startswith(codecs.BOM_UTF8)
        try:
            look(decoder.decode(head[3:] if bom else head))
            while chunk := fh.read(_CHUNK):
                if b"\x00" in chunk:
                    raise EncodingProblem("文件含有空字节（NUL），不是文本 CSV 或为 UTF-16 编码；请另存为 UTF-8 或 GB18030/GBK")
                look(decoder.decode(chunk))
            look(decoder.decode(b"", final=True))
            if not bom and seen["odd"] and not seen["cjk"] and _gb_has_cjk(path):
                return "gb18030"
            return "utf-8-sig"
        except UnicodeDecodeError:
            if bom:
                raise EncodingProblem("文件以 UTF-8 标记（BOM）开头，但内容不是 UTF-8（疑为 GBK 文本加了 UTF-8 标记）；"
                                      "请整体另存为一种编码") from None
            return "gb18030"


def _gb_has_cjk(path) -> bool:
    """Whether the file, read as GB18030, holds Chinese characters (then it is GBK text that
    happened to be valid UTF-8, not Hebrew or Armenian)."""
    with open(path, "rb") as fh:
        text = fh.read().decode("gb18030", errors="replace")
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
