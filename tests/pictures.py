"""Test pictures made with Pillow: real JPEG/PNG/WebP files, and broken ones."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageDraw

GPS_LATITUDE = (48.0, 51.0, 29.0)


def picture(width=1600, height=900, fmt="PNG", color=(30, 120, 200), **save_kwargs) -> bytes:
    image = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 4, height // 4, width // 2, height // 2), fill=(250, 250, 250))
    out = io.BytesIO()
    image.save(out, fmt, **save_kwargs)
    return out.getvalue()


def jpeg_with_gps(width=400, height=200, orientation=6) -> bytes:
    """A JPEG whose EXIF has a GPS position, a camera comment and an orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    return picture(width, height, "JPEG", exif=exif.tobytes(), comment=b"secret comment")


def bomb_png(width=20000, height=20000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (400 megapixels)."""
    data = bytearray(picture(8, 8, "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = picture(800, 600, "JPEG", quality=95)
    return data[: len(data) // 2]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def upload(data: bytes, name="picture.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
