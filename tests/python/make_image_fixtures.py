#!/usr/bin/python3
"""Writes small test images that OpenCV cannot produce itself.

Usage: make_image_fixtures.py OUT_DIR

core/image/image_decoder_test.cc runs this with /usr/bin/python3 (which has
PIL) into a temporary folder and skips the tests that need it if it fails.
Every image is 64x48 (width x height) unless said otherwise, left half red
(200, 30, 30) and right half blue (30, 30, 200), so a test can check both
the size and the channel order after decoding.

  cmyk.jpg         the picture converted to CMYK, saved as a CMYK JPEG
  progressive.jpg  the picture as a progressive JPEG
  palette.png      the picture as a palette (mode P) PNG
  gray_alpha.png   a gray + alpha (mode LA) PNG, gray 100, alpha 50
  rotated.jpg      the picture with EXIF orientation 6 (rotate 90 degrees
                   clockwise to display), so it displays 48x64
"""

import os
import sys

from PIL import Image

WIDTH, HEIGHT = 64, 48
RED, BLUE = (200, 30, 30), (30, 30, 200)


def picture():
    image = Image.new("RGB", (WIDTH, HEIGHT), RED)
    image.paste(BLUE, (WIDTH // 2, 0, WIDTH, HEIGHT))
    return image


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    rgb = picture()
    rgb.convert("CMYK").save(os.path.join(out, "cmyk.jpg"), quality=95)
    rgb.save(os.path.join(out, "progressive.jpg"), quality=95,
             progressive=True)
    rgb.quantize(colors=4).save(os.path.join(out, "palette.png"))
    Image.new("LA", (WIDTH, HEIGHT), (100, 50)).save(
        os.path.join(out, "gray_alpha.png"))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display.
    rgb.save(os.path.join(out, "rotated.jpg"), quality=95, exif=exif.tobytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
