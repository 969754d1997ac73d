"""Detect the text encoding of a CSV file: UTF-8 (with or without BOM) or GB18030/GBK."""
from __future__ import annotations

import codecs

_CHUNK = 1 << 22


def detect_encoding(path) -> str:
    """'utf-8-sig' when the whole file decodes as UTF-8, else 'gb18030' (a superset of GBK).

    The whole file is checked in chunks (an ASCII head with GBK text further down
    must not be mistaken for UTF-8); GB18030 decodes any byte string it is given
    the chance to, so a file that is neither fails later with readable mojibake
    only if it is not GB18030 either, which `read_text_table` reports.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        head = fh.read(3)
        if head == codecs.BOM_UTF8:
            head = b""
        try:
            decoder.decode(head)
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            return "gb18030"
