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
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
            raise EncodingProblem("文件为 UTF-16（Unicode）编码；请另存为 UTF-8 或 GB18030/GBK 编码的 CSV")
        bom = head.startswith(codecs.BOM_UTF8)
        try:
            decoder.decode(head[3:] if bom else head)
            while chunk := fh.read(_CHUNK):
                if b"\x00" in chunk:
                    raise EncodingProblem("文件含有空字节（NUL），不是文本 CSV 或为 UTF-16 编码；请另存为 UTF-8 或 GB18030/GBK")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            if bom:
                raise EncodingProblem("文件以 UTF-8 标记（BOM）开头，但内容不是 UTF-8（疑为 GBK 文本加了 UTF-8 标记）；"
                                      "请整体另存为一种编码") from None
            return "gb18030"
