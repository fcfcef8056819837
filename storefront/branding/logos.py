"""Logo uploads: only real PNG, JPEG or WebP images within the byte and pixel limits.

Every check that can be made from the bytes and the image header runs before any pixel
is decoded; the image is then decoded in full and re-encoded by ``set_logo``, so what a
shop serves is always an image this server wrote.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from werkzeug.datastructures import FileStorage

from ..models import Reseller
from .brand import set_logo

FORMATS = ("PNG", "JPEG", "WEBP")
MAX_BYTES = 2_000_000
MAX_SIDE = 4096
MAX_PIXELS = 16_000_000

MISSING = "Choose an image file to upload."
EMPTY = "That file is empty. Choose a PNG, JPEG or WebP image."
TOO_LARGE = "That file is larger than 2 MB. Save the logo smaller (512 pixels wide is plenty) and try again."
NOT_AN_IMAGE = (
    "That file is not a PNG, JPEG or WebP image. SVG and other formats are not accepted: "
    "export the logo as PNG and upload that."
)
TOO_MANY_PIXELS = (
    "That image is {width} × {height} pixels; a logo may have at most 4096 pixels on a side "
    "and 16 million pixels in all. Save it smaller and try again."
)
BOMB = "That image declares far more pixels than a logo may have (at most 16 million). Save it smaller."
TRUNCATED = "That image is incomplete: the file is cut short. Save it again and upload the new file."
EXTRA_DATA = (
    "That file carries extra data after the image, so it is not accepted. "
    "Save it again as a plain PNG, JPEG or WebP image."
)
DAMAGED = "That image could not be read: the file is damaged. Save it again and upload the new file."


class LogoRejected(ValueError):
    """The upload is not a logo we accept; the message tells the owner why and what to do."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def read_upload(upload: FileStorage | None) -> bytes:
    """Return the uploaded file's bytes, reading at most one byte past the limit."""
    if upload is None or not upload.filename:
        raise LogoRejected(MISSING)
    data = upload.stream.read(MAX_BYTES + 1)
    if not data:
        raise LogoRejected(EMPTY)
    if len(data) > MAX_BYTES:
        raise LogoRejected(TOO_LARGE, 413)
    return data


def decode_logo(data: bytes) -> Image.Image:
    """Return the fully decoded image, checking format, size and completeness first."""
    image = _open_header(data)
    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise LogoRejected(TOO_MANY_PIXELS.format(width=width, height=height))
    _check_ends_where_the_file_ends(image.format, data)
    try:
        image.load()
    except Exception:  # a decoder may raise anything on hostile bytes; none of it may become a 500
        raise LogoRejected(DAMAGED) from None
    return image


def replace_logo(reseller: Reseller, data: bytes) -> None:
    """Store an uploaded image as the shop's logo and favicon, or raise LogoRejected."""
    set_logo(reseller, decode_logo(data))


def remove_logo(reseller: Reseller) -> None:
    """Forget the shop's logo; the favicon falls back to a square of the brand colour."""
    reseller.logo_image = None
    reseller.favicon_ico = None
    reseller.logo_mime = None
    reseller.logo_etag = None


def _open_header(data: bytes) -> Image.Image:
    """Identify the image from its header only; no pixel is decoded here."""
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoRejected(BOMB) from None
    except Exception:  # unidentified or malformed headers raise a variety of errors
        image = None
    if image is None or image.format not in FORMATS:
        _explain_unreadable(data)
    return image


def _explain_unreadable(data: bytes) -> None:
    """Raise why Pillow could not open the file: not one of ours at all, or one of ours broken."""
    image_format = next((name for name, sign in _SIGNATURES.items() if sign(data)), None)
    if image_format is None:
        raise LogoRejected(NOT_AN_IMAGE)
    _check_ends_where_the_file_ends(image_format, data)
    raise LogoRejected(DAMAGED)


def _check_ends_where_the_file_ends(image_format: str, data: bytes) -> None:
    """Refuse a file that stops before its image ends, or carries anything after it."""
    end = _END_OF[image_format](data)
    if end > len(data):
        raise LogoRejected(TRUNCATED)
    if end < len(data):
        raise LogoRejected(EXTRA_DATA)


def _png_end(data: bytes) -> int:
    """Return the offset just past the IEND chunk, walking the chunk lengths."""
    position = 8
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return position
    return len(data) + 1


def _jpeg_end(data: bytes) -> int:
    """Return the offset just past the EOI marker, walking segments and entropy-coded scans."""
    position = 2
    while position < len(data):
        if data[position] != 0xFF:
            raise LogoRejected(DAMAGED)
        while position < len(data) and data[position] == 0xFF:
            position += 1  # fill bytes before a marker
        if position >= len(data):
            break
        marker = data[position]
        position += 1
        if marker == 0xD9:
            return position
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue  # markers without a length
        position += int.from_bytes(data[position : position + 2], "big")
        if marker == 0xDA:
            position = _end_of_scan(data, position)
    return len(data) + 1


def _end_of_scan(data: bytes, position: int) -> int:
    """Return where the entropy-coded data after a start-of-scan segment stops."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            return len(data)
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2  # a stuffed byte or a restart marker: still inside the scan
        elif following == 0xFF:
            position += 1
        else:
            return position


def _webp_end(data: bytes) -> int:
    """Return the end the RIFF header declares."""
    return 8 + int.from_bytes(data[4:8], "little")


_END_OF: dict[str, Callable[[bytes], int]] = {"PNG": _png_end, "JPEG": _jpeg_end, "WEBP": _webp_end}
_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "PNG": lambda data: data.startswith(b"\x89PNG\r\n\x1a\n"),
    "JPEG": lambda data: data.startswith(b"\xff\xd8\xff"),
    "WEBP": lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP",
}
