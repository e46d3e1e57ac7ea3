"""Just enough PNG decoding to count the pixels of a colour on a screenshot, with the
standard library only (no PIL on the test machines): 8-bit RGB or RGBA, not interlaced,
which is what Chromium's --screenshot writes."""
import collections
import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}   # PNG colour type -> bytes per pixel at bit depth 8


def _chunks(data):
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length   # length, type, body, CRC
        if kind == b"IEND":
            return


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(kind, line, prev, bpp):
    """Undoes one scanline's filter in place (PNG spec 9.2); `prev` is the row above, unfiltered."""
    if kind == 0:
        return line
    if kind == 2:   # the most common in screenshots, and needs no left neighbour: done in one go
        return bytearray((a + b) & 0xFF for a, b in zip(line, prev))
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            upleft = prev[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + _paeth(left, prev[i], upleft)) & 0xFF
        else:
            raise ValueError(f"bad PNG: filter type {kind}")
    return line


def decode(data):
    """(width, height, channels, rows): rows are bytearrays of width*channels bytes, RGB(A)."""
    if data[:8] != SIGNATURE:
        raise ValueError("not a PNG")
    header, idat = None, []
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    if header is None:
        raise ValueError("bad PNG: no IHDR")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace} "
                         "(only 8-bit RGB/RGBA, not interlaced)")
    channels = CHANNELS[colour]
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) < height * (stride + 1):
        raise ValueError(f"bad PNG: {len(raw)} bytes of image data for {width}x{height}")
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        prev = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), prev, channels)
        rows.append(prev)
    return width, height, channels, rows


def histogram(path):
    """Counter of (r, g, b) -> pixels of the PNG at `path` (alpha ignored)."""
    _, _, channels, rows = decode(open(path, "rb").read())
    counts = collections.Counter()
    for row in rows:
        counts.update(zip(row[0::channels], row[1::channels], row[2::channels]))
    return counts


def colour_counts(path, colours, tolerance=8):
    """How many pixels are within `tolerance` (per channel) of each (r, g, b) colour."""
    hist = histogram(path)
    return {c: sum(n for p, n in hist.items() if all(abs(p[k] - c[k]) <= tolerance for k in range(3)))
            for c in colours}
