"""Reading and writing the file formats users bring and take away (CSV of samples), and
writing any file whole or not at all (:func:`write_text_atomic`)."""

from shopfloor.files.atomic import write_text_atomic

__all__ = ["write_text_atomic"]
