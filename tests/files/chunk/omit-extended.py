#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Rewrites a chunk stream the way older librtmp forks send it: without the
extended timestamp that RTMP 1.0 §5.3.1.3 repeats on type 3 chunks.

    omit-extended.py IN OUT

Handles what the captures here hold (one-byte chunk stream ids, Set Chunk
Size messages in a single chunk); it is not a general chunk parser.
"""

import sys

HEADER_SIZES = [11, 7, 3, 0]


def main():
    data = open(sys.argv[1], 'rb').read()
    out = bytearray()
    streams = {}
    chunk_size = 128
    pos = 0
    removed = 0
    while pos < len(data):
        fmt, csid = data[pos] >> 6, data[pos] & 0x3f
        assert csid >= 2, 'one-byte chunk stream ids only'
        s = streams.setdefault(csid, {'length': 0, 'type': 0, 'extended': False, 'left': 0})
        start = pos
        header = data[pos + 1:pos + 1 + HEADER_SIZES[fmt]]
        pos += 1 + HEADER_SIZES[fmt]
        if fmt < 3:
            if fmt <= 1:
                s['length'] = int.from_bytes(header[3:6], 'big')
                s['type'] = header[6]
            s['extended'] = int.from_bytes(header[0:3], 'big') == 0xffffff
            if s['extended']:
                pos += 4
            out += data[start:pos]
        else:
            out += data[start:start + 1]
            if s['extended']:
                pos += 4
                removed += 1
        if s['left'] == 0:
            s['left'] = s['length']
        n = min(chunk_size, s['left'])
        payload = data[pos:pos + n]
        out += payload
        pos += n
        s['left'] -= n
        if s['type'] == 1 and s['left'] == 0 and n == 4:
            chunk_size = int.from_bytes(payload, 'big') & 0x7fffffff
    open(sys.argv[2], 'wb').write(out)
    print('removed %d repeated extended timestamps' % removed)


if __name__ == '__main__':
    main()
