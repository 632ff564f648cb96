#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Walks enhanced-hevc-opus.flv by the FLV spec (v10.1 Annex E) and the
# Enhanced RTMP v2 layouts, independently of our FLV code, and checks every
# tag is what tests/files/README.md says. Prints one line per tag.
import struct
import sys

EXPECTED = [
    ("script", 0, "onMetaData"),
    ("video", 0, "key SequenceStart hvc1"),
    ("audio", 0, "SequenceStart Opus"),
] + [
    t
    for i in range(4)
    for t in (
        ("video", i * 40,
         "key CodedFrames hvc1 cts 33" if i == 0 else "inter CodedFramesX hvc1"),
        ("audio", i * 40 + 20, "CodedFrames Opus"),
    )
] + [("video", 160, "key SequenceEnd hvc1")]

VIDEO_PACKETS = {0: "SequenceStart", 1: "CodedFrames", 2: "SequenceEnd",
                 3: "CodedFramesX"}
AUDIO_PACKETS = {0: "SequenceStart", 1: "CodedFrames"}
FRAMES = {1: "key", 2: "inter"}


def describe(kind, body):
    if kind == "script":
        assert body[0] == 0x02  # AMF0 string
        (n,) = struct.unpack(">H", body[1:3])
        return body[3:3 + n].decode()
    if kind == "video":
        assert body[0] & 0x80, "not an ex header"
        frame, packet = (body[0] >> 4) & 0x07, body[0] & 0x0F
        text = "%s %s %s" % (FRAMES[frame], VIDEO_PACKETS[packet],
                             body[1:5].decode())
        if packet == 1:  # SI24 composition time for avc1/hvc1
            cts = int.from_bytes(body[5:8], "big", signed=True)
            text += " cts %d" % cts
        return text
    assert body[0] >> 4 == 9, "not an ex audio header"
    return "%s %s" % (AUDIO_PACKETS[body[0] & 0x0F], body[1:5].decode())


def main(path):
    data = open(path, "rb").read()
    assert data[:3] == b"FLV" and data[3] == 1
    flags, offset = data[4], struct.unpack(">I", data[5:9])[0]
    assert flags == 0x05, "header flags %#x" % flags
    assert data[offset:offset + 4] == b"\0\0\0\0"
    pos, tags = offset + 4, []
    while pos < len(data):
        kind = {8: "audio", 9: "video", 18: "script"}[data[pos]]
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        ts = int.from_bytes(data[pos + 4:pos + 7], "big") | data[pos + 7] << 24
        body = data[pos + 11:pos + 11 + size]
        (prev,) = struct.unpack(">I", data[pos + 11 + size:pos + 15 + size])
        assert prev == size + 11
        tags.append((kind, ts, describe(kind, body)))
        print("%-6s %4d ms  %s" % tags[-1])
        pos += 15 + size
    assert tags == EXPECTED, "unexpected tags"
    print("ok: %d tags" % len(tags))


main(sys.argv[1] if len(sys.argv) > 1 else
     __file__.rsplit("/", 1)[0] + "/enhanced-hevc-opus.flv")
