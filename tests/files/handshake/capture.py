#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Captures real RTMP handshakes for tests/check/protocol/handshake.c.

An independent (Python hmac) implementation of the digest handshake that
builds its own packets from random.bin exactly as protocol/rtmphandshake.h
documents (C1/S1 bytes 8.. from random[8..1536), a digest C2/S2 body from
random[1536..3040), a simple C2/S2 an exact copy of the peer's C1/S1), so that the unit tests can both replay the peer's bytes
and check that our packets equal these.

  capture.py client PORT simple|digest PREFIX   talk to a server (nginx-rtmp,
                                                ffmpeg -listen): writes
                                                PREFIX-c0c1.bin and
                                                PREFIX-s0s1s2.bin
  capture.py server PORT PREFIX                 accept one client (ffmpeg):
                                                writes PREFIX-c0c1.bin,
                                                PREFIX-s0s1s2.bin and
                                                PREFIX-c2.bin
"""

import hashlib
import hmac
import os
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TAIL = bytes.fromhex("F0EEC24A8068BEE82E00D0D1029E7E576EEC5D2D29806FAB93B8E636CFEB31AE")
CLIENT_KEY = b"Genuine Adobe Flash Player 001" + TAIL
SERVER_KEY = b"Genuine Adobe Flash Media Server 001" + TAIL
CLIENT_VERSION = 0x09007C02
SERVER_VERSION = 0x05000301
EPOCH = 1000
SIZE = 1536


def digest_offset(packet, schema):
    base = 8 if schema == 0 else 772
    return base + 4 + sum(packet[base:base + 4]) % 728


def packet_digest(packet, offset, key):
    return hmac.new(key, packet[:offset] + packet[offset + 32:], hashlib.sha256).digest()


def find_digest(packet, key):
    for schema in (0, 1):
        offset = digest_offset(packet, schema)
        if hmac.compare_digest(packet_digest(packet, offset, key), packet[offset:offset + 32]):
            return schema, packet[offset:offset + 32]
    return None, None


def packet1(random, version, schema, key):
    p = bytearray(struct.pack(">II", EPOCH, version) + random[8:SIZE])
    if version:
        offset = digest_offset(p, schema)
        p[offset:offset + 32] = packet_digest(p, offset, key)
    return bytes(p)


def response(random, full_key, peer_digest):
    body = random[SIZE:2 * SIZE - 32]
    key = hmac.new(full_key, peer_digest, hashlib.sha256).digest()
    return body + hmac.new(key, body, hashlib.sha256).digest()


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("peer closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def save(prefix, name, data):
    with open(os.path.join(HERE, "%s-%s.bin" % (prefix, name)), "wb") as f:
        f.write(data)


def client(port, kind, prefix):
    random = open(os.path.join(HERE, "random.bin"), "rb").read()
    c1 = packet1(random, CLIENT_VERSION if kind == "digest" else 0, 0,
                 CLIENT_KEY[:30])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"\x03" + c1)
    s0s1s2 = read_exactly(sock, 1 + 2 * SIZE)
    s1 = s0s1s2[1:1 + SIZE]
    schema, s1_digest = find_digest(s1, SERVER_KEY[:36])
    if kind == "digest" and s1_digest is not None:
        c2 = response(random, CLIENT_KEY, s1_digest)
    else:
        c2 = s1
    sock.sendall(c2)
    sock.close()
    save(prefix, "c0c1", b"\x03" + c1)
    save(prefix, "s0s1s2", s0s1s2)
    print("S1 version %08x, digest schema %s" % (struct.unpack(">I", s1[4:8])[0], schema))


def server(port, prefix):
    random = open(os.path.join(HERE, "random.bin"), "rb").read()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    sock, _ = listener.accept()
    c0c1 = read_exactly(sock, 1 + SIZE)
    c1 = c0c1[1:]
    schema, c1_digest = (None, None)
    if c1[4:8] != b"\0\0\0\0":
        schema, c1_digest = find_digest(c1, CLIENT_KEY[:30])
    if c1_digest is not None:
        s1 = packet1(random, SERVER_VERSION, schema, SERVER_KEY[:36])
        s2 = response(random, SERVER_KEY, c1_digest)
    else:
        s1 = packet1(random, 0, 0, None)
        s2 = c1
    s0s1s2 = b"\x03" + s1 + s2
    sock.sendall(s0s1s2)
    c2 = read_exactly(sock, SIZE)
    sock.close()
    save(prefix, "c0c1", c0c1)
    save(prefix, "s0s1s2", s0s1s2)
    save(prefix, "c2", c2)
    print("C1 version %08x, digest schema %s" % (struct.unpack(">I", c1[4:8])[0], schema))


if __name__ == "__main__":
    if sys.argv[1] == "client":
        client(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        server(int(sys.argv[2]), sys.argv[3])
