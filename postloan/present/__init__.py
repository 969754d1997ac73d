"""Presentation: formatting, tables, charts and the sections of each product.

Everything here only shows what the marts computed; nothing here computes a
reported figure from the extract.
"""
