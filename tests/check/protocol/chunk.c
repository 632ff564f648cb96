/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests for the chunk stream reader and writer: byte-exact vectors fed
 * whole, byte by byte and split at every point, limits, and writer to
 * reader round trips. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmpchunk.h"

/* Every check names the line of the test that asked for it. */
#define CHECK(line, cond) \
  fail_unless ((cond), "line %u: %s", (line), G_STRINGIFY (cond))
#define CHECK_MSG(line, cond, fmt, ...) \
  fail_unless ((cond), "line %u: " fmt, (line), __VA_ARGS__)

typedef struct
{
  guint8 type;
  guint32 timestamp;
  guint32 stream_id;
  guint32 csid;
  const gchar *payload;
  gsize len;
} Expect;

#define EXPECT(type, ts, sid, csid, payload) \
  { \
    (type), (ts), (sid), (csid), (payload), sizeof (payload) - 1 \
  }

/* ------------------------------------------------------------------------ */
/* Vectors. Each header is on its own line: basic header, then the message
 * header fields, then the extended timestamp, then payload. */

/* clang-format off */

/* Set Chunk Size 4 on chunk stream 2 (type 0 header): most vectors start
 * with it so that continuation chunks stay short. */
#define SCS4 \
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, \
  0x00, 0x00, 0x00, 0x04
#define EXPECT_SCS4 EXPECT (1, 0, 0, 2, "\x00\x00\x00\x04")

/* --- header types --- */

static const guint8 v_type0[] = {
  0x03,                   /* fmt 0, csid 3 */
  0x00, 0x03, 0xe8,       /* timestamp 1000 */
  0x00, 0x00, 0x03,       /* length 3 */
  0x14,                   /* command */
  0x01, 0x00, 0x00, 0x00, /* stream id 1, little-endian */
  'a', 'b', 'c',
};
static const Expect e_type0[] = {
  EXPECT (20, 1000, 1, 3, "abc"),
};

/* type 1 keeps the stream id, type 2 also length and type; both add a
 * delta */
static const guint8 v_type1_type2[] = {
  0x03, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x03, 0x14, 0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c',
  0x43,                   /* fmt 1, csid 3 */
  0x00, 0x00, 0x0a,       /* delta 10 */
  0x00, 0x00, 0x02,       /* length 2 */
  0x09,                   /* video */
  'd', 'e',
  0x83,                   /* fmt 2, csid 3 */
  0x00, 0x00, 0x05,       /* delta 5 */
  'f', 'g',
};
static const Expect e_type1_type2[] = {
  EXPECT (20, 1000, 1, 3, "abc"),
  EXPECT (9, 1010, 1, 3, "de"),
  EXPECT (9, 1015, 1, 3, "fg"),
};

static const guint8 v_type3_continuation[] = {
  SCS4,
  0x06, 0x00, 0x00, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x00, 0x00, 0x00,
  '0', '1', '2', '3',
  0xc6,                   /* fmt 3, csid 6 */
  '4', '5', '6', '7',
  0xc6,
  '8', '9',
};
static const Expect e_type3_continuation[] = {
  EXPECT_SCS4,
  EXPECT (9, 100, 1, 6, "0123456789"),
};

/* §5.3.1.2.4: a type 3 chunk that starts a new message repeats the whole
 * previous header including its delta; after a type 0 header the delta is
 * the type 0 timestamp. */
static const guint8 v_type3_new_message[] = {
  0x03, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x02, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'b',
  0x83, 0x00, 0x00, 0x14, /* type 2, delta 20 */
  'c', 'd',
  0xc3,                   /* new message, delta 20 again */
  'e', 'f',
  0xc3,
  'g', 'h',
  0x04, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  'i',
  0xc4,                   /* after type 0: delta = 1000 */
  'j',
};
static const Expect e_type3_new_message[] = {
  EXPECT (9, 1000, 1, 3, "ab"),
  EXPECT (9, 1020, 1, 3, "cd"),
  EXPECT (9, 1040, 1, 3, "ef"),
  EXPECT (9, 1060, 1, 3, "gh"),
  EXPECT (8, 1000, 1, 4, "i"),
  EXPECT (8, 2000, 1, 4, "j"),
};

/* Messages of length 0 complete with their header. */
static const guint8 v_empty_messages[] = {
  0x03, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x12, 0x01, 0x00, 0x00, 0x00,
  0xc3,
  0x43, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x12,
  'x',
};
static const Expect e_empty_messages[] = {
  EXPECT (18, 5, 1, 3, ""),
  EXPECT (18, 10, 1, 3, ""),
  EXPECT (18, 11, 1, 3, "x"),
};

/* Message types are not judged here: 0 and 200 come out as they are. */
static const guint8 v_odd_types[] = {
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
  'a',
  0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc8,
  'b',
};
static const Expect e_odd_types[] = {
  EXPECT (0, 0, 0, 3, "a"),
  EXPECT (200, 0, 0, 3, "b"),
};

/* --- chunk stream id encodings (§5.3.1.1) --- */

/* Also the writer's exact output for these messages at chunk size 4. */
static const guint8 v_csids[] = {
  SCS4,
  /* 63: the largest one-byte id */
  0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c', 'd',
  0xff,
  'e', 'f',
  /* 64: the smallest two-byte id */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c', 'd',
  0xc0, 0x00,
  'e', 'f',
  /* 319: the largest two-byte id */
  0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c', 'd',
  0xc0, 0xff,
  'e', 'f',
  /* 320: the smallest id that needs three bytes (little-endian) */
  0x01, 0x00, 0x01,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c', 'd',
  0xc1, 0x00, 0x01,
  'e', 'f',
  /* 65599: the largest id */
  0x01, 0xff, 0xff,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c', 'd',
  0xc1, 0xff, 0xff,
  'e', 'f',
};
static const Expect e_csids[] = {
  EXPECT_SCS4,
  EXPECT (9, 0, 1, 63, "abcdef"),
  EXPECT (9, 0, 1, 64, "abcdef"),
  EXPECT (9, 0, 1, 319, "abcdef"),
  EXPECT (9, 0, 1, 320, "abcdef"),
  EXPECT (9, 0, 1, 65599, "abcdef"),
};

/* The three-byte form may encode small ids too: the same chunk stream. */
static const guint8 v_csid_forms[] = {
  SCS4,
  0x00, 0x24,             /* csid 100 in two bytes */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c', 'd',
  0xc1, 0x24, 0x00,       /* csid 100 in three bytes */
  'e', 'f',
};
static const Expect e_csid_forms[] = {
  EXPECT_SCS4,
  EXPECT (9, 0, 1, 100, "abcdef"),
};

/* --- extended timestamps (§5.3.1.3) --- */

static const guint8 v_ext_type0[] = {
  SCS4,
  0x04, 0xff, 0xff, 0xff, 0x00, 0x00, 0x06, 0x08, 0x01, 0x00, 0x00, 0x00,
  0x12, 0x34, 0x56, 0x78, /* extended timestamp */
  'a', 'b', 'c', 'd',
  0xc4,
  0x12, 0x34, 0x56, 0x78, /* repeated on the continuation */
  'e', 'f',
};
static const Expect e_ext_type0[] = {
  EXPECT_SCS4,
  EXPECT (8, 0x12345678, 1, 4, "abcdef"),
};

/* Older librtmp forks leave the field out of type 3 chunks. The last chunk
 * has 2 bytes, so the 4 bytes looked at run into the next header. */
static const guint8 v_ext_type3_omitted_short[] = {
  SCS4,
  0x04, 0xff, 0xff, 0xff, 0x00, 0x00, 0x06, 0x08, 0x01, 0x00, 0x00, 0x00,
  0x12, 0x34, 0x56, 0x78,
  'a', 'b', 'c', 'd',
  0xc4,                   /* no extended timestamp */
  'e', 'f',
  0x05, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  'z',
};
static const Expect e_ext_type3_omitted_short[] = {
  EXPECT_SCS4,
  EXPECT (8, 0x12345678, 1, 4, "abcdef"),
  EXPECT (8, 1, 1, 5, "z"),
};

static const guint8 v_ext_type3_omitted[] = {
  SCS4,
  0x04, 0xff, 0xff, 0xff, 0x00, 0x00, 0x0c, 0x08, 0x01, 0x00, 0x00, 0x00,
  0x12, 0x34, 0x56, 0x78,
  'a', 'b', 'c', 'd',
  0xc4,
  'e', 'f', 'g', 'h',
  0xc4,
  'i', 'j', 'k', 'l',
};
static const Expect e_ext_type3_omitted[] = {
  EXPECT_SCS4,
  EXPECT (8, 0x12345678, 1, 4, "abcdefghijkl"),
};

/* The 4 bytes after a type 3 header without the field are one byte of
 * payload and three one-byte headers of empty messages: those complete from
 * the bytes the reader holds, after all input was consumed. */
static const guint8 v_ext_omitted_held_bytes[] = {
  SCS4,
  0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x01, 0x00, 0x00, 0x00,
  0x04, 0xff, 0xff, 0xff, 0x00, 0x00, 0x05, 0x08, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c', 'd',
  0xc4,                   /* no extended timestamp */
  'e',
  0xc5, 0xc5, 0xc5,       /* empty messages, delta 0 */
};
static const Expect e_ext_omitted_held_bytes[] = {
  EXPECT_SCS4,
  EXPECT (8, 0, 1, 5, ""),
  EXPECT (8, 0x01000000, 1, 4, "abcde"),
  EXPECT (8, 0, 1, 5, ""),
  EXPECT (8, 0, 1, 5, ""),
  EXPECT (8, 0, 1, 5, ""),
};

/* On type 1 and 2 headers the extended field is the delta. */
static const guint8 v_ext_type1[] = {
  SCS4,
  0x04, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  'a',
  0x44, 0xff, 0xff, 0xff, 0x00, 0x00, 0x06, 0x09,
  0x01, 0x00, 0x00, 0x00, /* delta 0x01000000 */
  'a', 'b', 'c', 'd',
  0xc4,
  0x01, 0x00, 0x00, 0x00,
  'e', 'f',
};
static const Expect e_ext_type1[] = {
  EXPECT_SCS4,
  EXPECT (8, 10, 1, 4, "a"),
  EXPECT (9, 0x0100000a, 1, 4, "abcdef"),
};

static const guint8 v_ext_type2[] = {
  0x04, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  'a',
  0x84, 0xff, 0xff, 0xff,
  0x00, 0xff, 0xff, 0xff, /* delta 0xffffff */
  'b',
  0xc4,                   /* a type 3 starting a message repeats it too */
  0x00, 0xff, 0xff, 0xff,
  'c',
  0x84, 0x00, 0x00, 0x01, /* a type 2 without it ends it */
  'd',
  0xc4,
  'e',
};
static const Expect e_ext_type2[] = {
  EXPECT (8, 10, 1, 4, "a"),
  EXPECT (8, 0x01000009, 1, 4, "b"),
  EXPECT (8, 0x02000008, 1, 4, "c"),
  EXPECT (8, 0x02000009, 1, 4, "d"),
  EXPECT (8, 0x0200000a, 1, 4, "e"),
};

/* Timestamp 0xFFFFFF itself needs the extended field. */
static const guint8 v_ext_boundary[] = {
  0x04, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  0x00, 0xff, 0xff, 0xff,
  'a',
  0x04, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  'b',
};
static const Expect e_ext_boundary[] = {
  EXPECT (8, 0xffffff, 1, 4, "a"),
  EXPECT (8, 0xfffffe, 1, 4, "b"),
};

/* Absolute timestamp = previous + delta, modulo 2^32. */
static const guint8 v_timestamp_wrap[] = {
  0x04, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  0xff, 0xff, 0xff, 0xf0,
  'a',
  0x84, 0x00, 0x00, 0x20, /* +0x20 wraps to 0x10 */
  'b',
  0xc4,
  'c',
  0x44, 0x7f, 0xff, 0xff, 0x00, 0x00, 0x01, 0x08, /* delta 0x7fffff */
  'd',
};
static const Expect e_timestamp_wrap[] = {
  EXPECT (8, 0xfffffff0, 1, 4, "a"),
  EXPECT (8, 0x10, 1, 4, "b"),
  EXPECT (8, 0x30, 1, 4, "c"),
  EXPECT (8, 0x80002f, 1, 4, "d"),
};

/* --- protocol control messages applied by the reader --- */

/* Set Chunk Size on chunk stream 2 arrives between two chunks of a message
 * on chunk stream 6; the rest of that message uses the new size. */
static const guint8 v_set_chunk_size_inside[] = {
  SCS4,
  0x06, 0x00, 0x00, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x00, 0x00, 0x00,
  '0', '1', '2', '3',
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x08,
  0xc6,                   /* one chunk of 6 <= 8 */
  '4', '5', '6', '7', '8', '9',
};
static const Expect e_set_chunk_size_inside[] = {
  EXPECT_SCS4,
  EXPECT (1, 0, 0, 2, "\x00\x00\x00\x08"),
  EXPECT (9, 100, 1, 6, "0123456789"),
};

/* §5.4.1: bit 31 must be 0; some encoders set it, it is masked off. */
static const guint8 v_set_chunk_size_bit31[] = {
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x80, 0x00, 0x00, 0x04,
  0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x09, 0x01, 0x00, 0x00, 0x00,
  '0', '1', '2', '3',
  0xc6,
  '4',
};
static const Expect e_set_chunk_size_bit31[] = {
  EXPECT (1, 0, 0, 2, "\x80\x00\x00\x04"),
  EXPECT (9, 0, 1, 6, "01234"),
};

/* Abort Message (§5.4.2) drops the partial message of chunk stream 6; the
 * next header there starts a new message. */
static const guint8 v_abort[] = {
  SCS4,
  0x06, 0x00, 0x00, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x00, 0x00, 0x00,
  '0', '1', '2', '3',
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x06, /* abort chunk stream 6 */
  0x46, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x09,
  'a', 'b',
  0xc6,                   /* after a type 1 header the delta is 1 */
  'c', 'd',
};
static const Expect e_abort[] = {
  EXPECT_SCS4,
  EXPECT (2, 0, 0, 2, "\x00\x00\x00\x06"),
  EXPECT (9, 101, 1, 6, "ab"),
  EXPECT (9, 102, 1, 6, "cd"),
};

/* After an abort a type 3 header starts the message again from scratch
 * with the previous header (delta = the type 0 timestamp). */
static const guint8 v_abort_type3[] = {
  SCS4,
  0x06, 0x00, 0x00, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x00, 0x00, 0x00,
  '0', '1', '2', '3',
  0xc6,
  '4', '5', '6', '7',
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x06,
  0xc6,
  'A', 'B', 'C', 'D',
  0xc6,
  'E', 'F', 'G', 'H',
  0xc6,
  'I', 'J',
  /* aborting a chunk stream without state or partial message: no-op */
  0x82, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x07,
  0x82, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x06,
};
static const Expect e_abort_type3[] = {
  EXPECT_SCS4,
  EXPECT (2, 0, 0, 2, "\x00\x00\x00\x06"),
  EXPECT (9, 200, 1, 6, "ABCDEFGHIJ"),
  EXPECT (2, 0, 0, 2, "\x00\x00\x00\x07"),
  EXPECT (2, 0, 0, 2, "\x00\x00\x00\x06"),
};

/* --- interleaving --- */

static const guint8 v_interleaved[] = {
  SCS4,
  0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x08, 0x09, 0x01, 0x00, 0x00, 0x00,
  'A', 'A', 'A', 'A',
  0x05, 0x00, 0x00, 0x02, 0x00, 0x00, 0x06, 0x08, 0x01, 0x00, 0x00, 0x00,
  'B', 'B', 'B', 'B',
  0x06, 0x00, 0x00, 0x03, 0x00, 0x00, 0x09, 0x12, 0x02, 0x00, 0x00, 0x00,
  'C', 'C', 'C', 'C',
  0xc4,
  'a', 'a', 'a', 'a',
  0xc6,
  'c', 'c', 'c', 'c',
  0xc5,
  'b', 'b',
  0xc6,
  'X',
};
static const Expect e_interleaved[] = {
  EXPECT_SCS4,
  EXPECT (9, 1, 1, 4, "AAAAaaaa"),
  EXPECT (8, 2, 1, 5, "BBBBbb"),
  EXPECT (18, 3, 2, 6, "CCCCccccX"),
};

/* --- malformed input --- */

static const guint8 v_type1_first[] = {
  0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09,
  'a',
};
static const guint8 v_type2_first[] = {
  0x83, 0x00, 0x00, 0x00,
  'a',
};
static const guint8 v_type3_first[] = {
  0xc3,
  'a',
};
/* state on another chunk stream does not count */
static const guint8 v_type2_other_csid[] = {
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09, 0x00, 0x00, 0x00, 0x00,
  'a',
  0x80, 0x00, 0x00, 0x00, 0x00, /* type 2 on csid 64 */
  'a',
};

/* a type 0/1/2 header before the message on its chunk stream is complete
 * (and without an Abort) */
static const guint8 v_header_inside_message[] = {
  SCS4,
  0x06, 0x00, 0x00, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x00, 0x00, 0x00,
  '0', '1', '2', '3',
  0x86, 0x00, 0x00, 0x01,
  '4', '5', '6', '7',
};

static const guint8 v_set_chunk_size_zero[] = {
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00,
};
static const guint8 v_set_chunk_size_bit31_only[] = {
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x80, 0x00, 0x00, 0x00,
};
static const guint8 v_set_chunk_size_short[] = {
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x04,
};
static const guint8 v_abort_short[] = {
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x06,
};

/* --- limits --- */

static const guint8 v_type0_9_bytes[] = {
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x09, 0x01, 0x00, 0x00, 0x00,
};
static const guint8 v_type1_9_bytes[] = {
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x09, 0x01, 0x00, 0x00, 0x00,
  '0', '1', '2', '3', '4', '5', '6', '7',
  0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x09,
};

static const guint8 v_three_chunk_streams[] = {
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a',
  0x00, 0xc8,             /* csid 264 */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00,
  'b',
  /* chunk streams with state are reused freely */
  0x43, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x09,
  'c',
  0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00,
  'd',
};

/* 6 + 4 bytes of partial messages */
static const guint8 v_buffered_10[] = {
  SCS4,
  0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'a', 'a', 'a',
  0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x09, 0x01, 0x00, 0x00, 0x00,
  'b', 'b', 'b', 'b',
  0xc4,
  'a', 'a',
};
static const Expect e_buffered_10[] = {
  EXPECT_SCS4,
  EXPECT (9, 0, 1, 5, "bbbb"),
  EXPECT (9, 0, 1, 4, "aaaaaa"),
};
/* 6 + 5 */
static const guint8 v_buffered_11[] = {
  SCS4,
  0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  'a', 'a', 'a', 'a',
  0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x09, 0x01, 0x00, 0x00, 0x00,
  'b', 'b', 'b', 'b',
};

/* --- captures of real peers (tests/files/chunk/, see the README there) --- */

typedef struct
{
  guint8 type;
  guint32 timestamp;
  guint32 stream_id;
  guint32 csid;
  gsize len;
} Summary;

/* FFmpeg 5.1 publishing: connect, Set Chunk Size 128, releaseStream,
 * FCPublish, createStream, _checkbw, publish, @setDataFrame, five video
 * frames (the first in 13 chunks), FCUnpublish, deleteStream. */
static const Summary s_ffmpeg_publish[] = {
  { 20, 0, 0, 3, 140 }, { 1, 0, 0, 2, 4 }, { 20, 0, 0, 3, 33 },
  { 20, 0, 0, 3, 29 }, { 20, 0, 0, 3, 25 }, { 20, 0, 0, 3, 21 },
  { 20, 0, 1, 8, 34 }, { 18, 0, 1, 4, 200 },
  { 9, 0, 1, 6, 1572 }, { 9, 200, 1, 6, 146 }, { 9, 400, 1, 6, 176 },
  { 9, 600, 1, 6, 172 }, { 9, 800, 1, 6, 176 },
  { 20, 0, 0, 3, 31 }, { 20, 0, 0, 3, 34 },
};

/* the same with timestamps from 17000 s: extended timestamps on the type 0
 * header and the 12 continuation chunks of the first frame */
static const Summary s_ffmpeg_publish_extended[] = {
  { 20, 0, 0, 3, 140 }, { 1, 0, 0, 2, 4 }, { 20, 0, 0, 3, 33 },
  { 20, 0, 0, 3, 29 }, { 20, 0, 0, 3, 25 }, { 20, 0, 0, 3, 21 },
  { 20, 0, 1, 8, 34 }, { 18, 0, 1, 4, 200 },
  { 9, 17000000, 1, 6, 1572 }, { 9, 17000200, 1, 6, 146 },
  { 9, 17000400, 1, 6, 176 }, { 9, 17000600, 1, 6, 172 },
  { 9, 17000800, 1, 6, 176 },
  { 20, 0, 0, 3, 31 }, { 20, 0, 0, 3, 34 },
};

/* librtmp 2.4 (GStreamer's rtmpsink) publishing the same frames: the first
 * frame has a type 1 header with an extended delta, repeated on its 12
 * continuation chunks. The -omitted variant has those 12 repeats cut out,
 * as older librtmp forks send it. */
static const Summary s_librtmp_publish_extended[] = {
  { 20, 0, 0, 3, 91 }, { 20, 0, 0, 3, 33 }, { 20, 0, 0, 3, 29 },
  { 20, 0, 0, 3, 25 }, { 20, 0, 0, 3, 21 },
  { 20, 0, 1, 4, 34 }, { 18, 0, 1, 4, 200 },
  { 9, 17000000, 1, 4, 1572 }, { 9, 17000200, 1, 4, 146 },
  { 9, 17000400, 1, 4, 176 }, { 9, 17000600, 1, 4, 172 },
  { 9, 17000800, 1, 4, 176 },
  { 20, 0, 0, 3, 31 }, { 20, 0, 0, 3, 34 },
};

/* FFmpeg 5.1 as a server (-listen 1) answering that publish: Window
 * Acknowledgement Size, Set Peer Bandwidth, Stream Begin, Set Chunk Size,
 * the command results and onStatus. */
static const Summary s_ffmpeg_server_publish[] = {
  { 5, 0, 0, 2, 4 }, { 6, 0, 0, 2, 5 }, { 4, 0, 0, 2, 6 }, { 1, 0, 0, 2, 4 },
  { 20, 0, 0, 3, 190 }, { 20, 0, 0, 3, 30 }, { 20, 0, 0, 3, 20 },
  { 20, 0, 0, 3, 14 }, { 20, 0, 0, 3, 29 }, { 20, 0, 0, 3, 20 },
  { 4, 0, 0, 2, 6 }, { 20, 0, 1, 3, 126 }, { 20, 0, 0, 3, 34 },
};

/* --- writer output --- */

static const guint8 w_header_types[] = {
  /* first message on the chunk stream: type 0 */
  0x03, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x02, 0x14, 0x00, 0x00, 0x00, 0x00,
  'a', 'b',
  /* same stream id, other length: type 1 */
  0x43, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x03, 0x14,
  'a', 'b', 'c',
  /* same length and type: type 2, even though the delta repeats too */
  0x83, 0x00, 0x00, 0x0a,
  'x', 'y', 'z',
  /* other stream id: type 0 */
  0x03, 0x00, 0x03, 0xfc, 0x00, 0x00, 0x03, 0x14, 0x01, 0x00, 0x00, 0x00,
  'x', 'y', 'z',
  /* timestamp went backwards: type 0 */
  0x03, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x03, 0x14, 0x01, 0x00, 0x00, 0x00,
  'x', 'y', 'z',
  /* other type: type 1 with delta 0 */
  0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x09,
  'x', 'y', 'z',
  0x83, 0x00, 0x00, 0x01,
  'x', 'y', 'z',
  /* no payload */
  0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
};

static const guint8 w_extended[] = {
  SCS4,
  /* type 0 with extended timestamp, repeated on the continuation */
  0x06, 0xff, 0xff, 0xff, 0x00, 0x00, 0x06, 0x09, 0x01, 0x00, 0x00, 0x00,
  0x12, 0x34, 0x56, 0x78,
  'a', 'b', 'c', 'd',
  0xc6, 0x12, 0x34, 0x56, 0x78,
  'e', 'f',
  /* a small delta: no extended timestamp anywhere */
  0x86, 0x00, 0x00, 0x01,
  'a', 'b', 'c', 'd',
  0xc6,
  'e', 'f',
  /* a delta of 0x01000000: type 2 with extended delta */
  0x86, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00,
  'a', 'b', 'c', 'd',
  0xc6, 0x01, 0x00, 0x00, 0x00,
  'e', 'f',
  /* delta 0xffffff: type 1 with extended delta */
  0x46, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x09, 0x00, 0xff, 0xff, 0xff,
  'g',
  /* timestamp 0xffffff is extended */
  0x07, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  0x00, 0xff, 0xff, 0xff,
  'a',
  /* 0xfffffe is not (and it went backwards) */
  0x07, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  'b',
  /* near the wrap, then past it: a forward delta of 0x20 */
  0x08, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
  0xff, 0xff, 0xff, 0xf0,
  'a',
  0x88, 0x00, 0x00, 0x20,
  'b',
};

static const guint8 w_default_csid[] = {
  0x06, 0x00, 0x00, 0x05, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00,
  'v',
};

static const guint8 w_set_chunk_size[] = {
  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x02,
  /* at chunk size 2 */
  0x82, 0x00, 0x00, 0x00,
  0x00, 0x00,
  0xc2,
  0x00, 0x03,
  /* at chunk size 3 */
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x14, 0x00, 0x00, 0x00, 0x00,
  'a', 'b', 'c',
  0xc3,
  'd', 'e', 'f',
  0xc3,
  'g',
};

/* clang-format on */

/* ------------------------------------------------------------------------ */
/* Feeding the reader */

typedef enum
{
  FEED_WHOLE,
  FEED_BYTES,
  FEED_SPLIT, /* two pieces, cut at @split */
} FeedMode;

/* The ways to feed a vector of @len bytes: whole, byte by byte, and split
 * at each of the len - 1 inner points. */
static guint
n_feeds (gsize len)
{
  return len + 1;
}

static void
get_feed (guint i, FeedMode *mode, gsize *split)
{
  *mode = i == 0 ? FEED_WHOLE : i == 1 ? FEED_BYTES : FEED_SPLIT;
  *split = i >= 2 ? i - 1 : 0;
}

static gchar *
describe_feed (FeedMode mode, gsize split)
{
  switch (mode) {
    case FEED_WHOLE:
      return g_strdup ("whole");
    case FEED_BYTES:
      return g_strdup ("byte by byte");
    default:
      return g_strdup_printf ("split at %" G_GSIZE_FORMAT, split);
  }
}

/* Feeds @data in the pieces @mode describes, calling the reader until it
 * asks for more after each piece, and checks the read contract on the
 * way. Returns FALSE with @error set when the reader failed. */
static gboolean
feed (guint line, RtmpChunkReader *reader, const guint8 *data, gsize len,
    FeedMode mode, gsize split, GPtrArray *messages, GError **error)
{
  gsize start = 0;

  do {
    gsize end, off;

    if (mode == FEED_WHOLE)
      end = len;
    else if (mode == FEED_BYTES)
      end = MIN (start + 1, len);
    else
      end = start < split ? split : len;

    for (off = start;;) {
      gsize consumed = G_MAXSIZE;
      RtmpMessage *message = (RtmpMessage *) &consumed; /* must be reset */
      RtmpReadResult res;

      res = rtmp_chunk_reader_read (reader, data + off, end - off, &consumed,
          &message, error);
      if (res == RTMP_READ_ERROR) {
        CHECK (line, message == NULL);
        CHECK (line, error == NULL || *error != NULL);
        return FALSE;
      }
      CHECK (line, consumed <= end - off);
      off += consumed;
      if (res == RTMP_READ_NEED_MORE) {
        /* everything is consumed when more is needed */
        CHECK (line, off == end);
        CHECK (line, message == NULL);
        break;
      }
      CHECK (line, res == RTMP_READ_OK);
      CHECK (line, message != NULL);
      g_ptr_array_add (messages, message);
    }
    start = end;
  } while (start < len);
  return TRUE;
}

static void
check_messages (guint line, GPtrArray *messages, const Expect *expect,
    guint n_expect, const gchar *how)
{
  guint i;

  CHECK_MSG (line, messages->len == n_expect, "%s: %u messages, expected %u",
      how, messages->len, n_expect);
  for (i = 0; i < n_expect; i++) {
    const RtmpMessage *m = messages->pdata[i];
    gsize len;
    const guint8 *data = g_bytes_get_data (m->payload, &len);

    CHECK_MSG (line, m->type == expect[i].type,
        "%s: message %u: type %u, expected %u", how, i, m->type,
        expect[i].type);
    CHECK_MSG (line, m->timestamp == expect[i].timestamp,
        "%s: message %u: timestamp %u, expected %u", how, i, m->timestamp,
        expect[i].timestamp);
    CHECK_MSG (line, m->stream_id == expect[i].stream_id,
        "%s: message %u: stream id %u, expected %u", how, i, m->stream_id,
        expect[i].stream_id);
    CHECK_MSG (line, m->csid == expect[i].csid,
        "%s: message %u: csid %u, expected %u", how, i, m->csid,
        expect[i].csid);
    CHECK_MSG (line, len == expect[i].len,
        "%s: message %u: %" G_GSIZE_FORMAT " payload bytes, expected "
        "%" G_GSIZE_FORMAT,
        how, i, len, expect[i].len);
    CHECK_MSG (line, len == 0 || memcmp (data, expect[i].payload, len) == 0,
        "%s: message %u: payload differs", how, i);
  }
}

/* A vector that parses into @expect, fed every way; afterwards the reader
 * holds no partial message, has counted every byte and uses
 * @chunk_size. */
static void
check_vector (guint line, const RtmpLimits *limits, const guint8 *data,
    gsize len, const Expect *expect, guint n_expect, guint32 chunk_size)
{
  guint i;

  for (i = 0; i < n_feeds (len); i++) {
    g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (limits);
    g_autoptr (GPtrArray) messages
        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *how = NULL;
    FeedMode mode;
    gsize split;

    get_feed (i, &mode, &split);
    how = describe_feed (mode, split);
    if (!feed (line, reader, data, len, mode, split, messages, &error))
      fail ("line %u: %s: %s", line, how, error->message);
    check_messages (line, messages, expect, n_expect, how);
    CHECK_MSG (line, rtmp_chunk_reader_get_bytes_read (reader) == len,
        "%s: %u bytes read, expected %" G_GSIZE_FORMAT, how,
        rtmp_chunk_reader_get_bytes_read (reader), len);
    CHECK (line, rtmp_chunk_reader_get_buffered_bytes (reader) == 0);
    CHECK_MSG (line, rtmp_chunk_reader_get_chunk_size (reader) == chunk_size,
        "%s: chunk size %u, expected %u", how,
        rtmp_chunk_reader_get_chunk_size (reader), chunk_size);
  }
}

#define CHECK_VECTOR(v, e, chunk_size) \
  check_vector (__LINE__, NULL, v, sizeof (v), e, G_N_ELEMENTS (e), chunk_size)

/* A vector that fails with @code after producing @n_before messages, with
 * @substring in the error message, fed every way. */
static void
check_error_vector (guint line, const RtmpLimits *limits, const guint8 *data,
    gsize len, guint n_before, gint code, const gchar *substring)
{
  guint i;

  for (i = 0; i < n_feeds (len); i++) {
    g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (limits);
    g_autoptr (GPtrArray) messages
        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *how = NULL;
    FeedMode mode;
    gsize split;

    get_feed (i, &mode, &split);
    how = describe_feed (mode, split);
    CHECK_MSG (line,
        !feed (line, reader, data, len, mode, split, messages, &error),
        "%s: no error", how);
    CHECK_MSG (line, g_error_matches (error, RTMP_ERROR, code),
        "%s: error '%s' (%d), expected code %d", how, error->message,
        error->code, code);
    CHECK_MSG (line, strstr (error->message, substring) != NULL,
        "%s: error '%s' does not say '%s'", how, error->message, substring);
    CHECK_MSG (line, messages->len == n_before,
        "%s: %u messages before the error, expected %u", how, messages->len,
        n_before);
  }
}

#define CHECK_ERROR_VECTOR(limits, v, n_before, code, substring) \
  check_error_vector (__LINE__, limits, v, sizeof (v), n_before, code, \
      substring)

/* ------------------------------------------------------------------------ */
/* Reader */

GST_START_TEST (test_type0)
{
  CHECK_VECTOR (v_type0, e_type0, RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_type1_type2)
{
  CHECK_VECTOR (v_type1_type2, e_type1_type2, RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_type3_continuation)
{
  CHECK_VECTOR (v_type3_continuation, e_type3_continuation, 4);
}

GST_END_TEST;

/* A 200-byte message at the default chunk size of 128. */
GST_START_TEST (test_default_chunk_size)
{
  static const guint8 header[] = {
    0x06,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0xc8,
    0x09,
    0x01,
    0x00,
    0x00,
    0x00,
  };
  g_autoptr (GByteArray) v = g_byte_array_new ();
  guint8 payload[200];
  Expect e[1] = { { 9, 0, 1, 6, (const gchar *) payload, sizeof (payload) } };
  guint i;

  for (i = 0; i < sizeof (payload); i++)
    payload[i] = i * 7;
  g_byte_array_append (v, header, sizeof (header));
  g_byte_array_append (v, payload, 128);
  g_byte_array_append (v, (const guint8 *) "\xc6", 1);
  g_byte_array_append (v, payload + 128, 72);
  check_vector (__LINE__, NULL, v->data, v->len, e, 1, RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_type3_new_message)
{
  CHECK_VECTOR (v_type3_new_message, e_type3_new_message,
      RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_empty_messages)
{
  CHECK_VECTOR (v_empty_messages, e_empty_messages, RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_odd_types)
{
  CHECK_VECTOR (v_odd_types, e_odd_types, RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_csids)
{
  CHECK_VECTOR (v_csids, e_csids, 4);
}

GST_END_TEST;

GST_START_TEST (test_csid_forms)
{
  CHECK_VECTOR (v_csid_forms, e_csid_forms, 4);
}

GST_END_TEST;

GST_START_TEST (test_ext_type0)
{
  CHECK_VECTOR (v_ext_type0, e_ext_type0, 4);
}

GST_END_TEST;

GST_START_TEST (test_ext_type3_omitted_short)
{
  CHECK_VECTOR (v_ext_type3_omitted_short, e_ext_type3_omitted_short, 4);
}

GST_END_TEST;

GST_START_TEST (test_ext_type3_omitted)
{
  CHECK_VECTOR (v_ext_type3_omitted, e_ext_type3_omitted, 4);
}

GST_END_TEST;

GST_START_TEST (test_ext_omitted_held_bytes)
{
  g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (NULL);
  g_autoptr (RtmpMessage) m = NULL;
  gsize consumed;
  guint i;

  CHECK_VECTOR (v_ext_omitted_held_bytes, e_ext_omitted_held_bytes, 4);

  /* Split after the type 3 header: the reader holds it, takes the next 4
   * bytes to look for the extended timestamp, finds 'e' and three headers
   * and completes the message with all input used; the three empty
   * messages then come out of no new input at all. */
  for (i = 0; i < 2; i++) {
    fail_unless_equals_int (rtmp_chunk_reader_read (reader,
                                v_ext_omitted_held_bytes + (i ? 16 : 0), 16,
                                &consumed, &m, NULL),
        RTMP_READ_OK);
    g_clear_pointer (&m, rtmp_message_free);
  }
  fail_unless_equals_int (rtmp_chunk_reader_read (reader,
                              v_ext_omitted_held_bytes + 28, 21, &consumed, &m,
                              NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (rtmp_chunk_reader_read (reader,
                              v_ext_omitted_held_bytes + 49, 4, &consumed, &m,
                              NULL),
      RTMP_READ_OK);
  fail_unless_equals_int (consumed, 4);
  fail_unless_equals_int (g_bytes_get_size (m->payload), 5);
  g_clear_pointer (&m, rtmp_message_free);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (
        rtmp_chunk_reader_read (reader, NULL, 0, &consumed, &m, NULL),
        RTMP_READ_OK);
    fail_unless_equals_int (consumed, 0);
    fail_unless_equals_int (m->csid, 5);
    g_clear_pointer (&m, rtmp_message_free);
  }
  fail_unless_equals_int (
      rtmp_chunk_reader_read (reader, NULL, 0, &consumed, &m, NULL),
      RTMP_READ_NEED_MORE);
}

GST_END_TEST;

GST_START_TEST (test_ext_type1)
{
  CHECK_VECTOR (v_ext_type1, e_ext_type1, 4);
}

GST_END_TEST;

GST_START_TEST (test_ext_type2)
{
  CHECK_VECTOR (v_ext_type2, e_ext_type2, RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_ext_boundary)
{
  CHECK_VECTOR (v_ext_boundary, e_ext_boundary, RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_timestamp_wrap)
{
  CHECK_VECTOR (v_timestamp_wrap, e_timestamp_wrap, RTMP_DEFAULT_CHUNK_SIZE);
}

GST_END_TEST;

GST_START_TEST (test_set_chunk_size_inside)
{
  CHECK_VECTOR (v_set_chunk_size_inside, e_set_chunk_size_inside, 8);
}

GST_END_TEST;

GST_START_TEST (test_set_chunk_size_bit31)
{
  CHECK_VECTOR (v_set_chunk_size_bit31, e_set_chunk_size_bit31, 4);
}

GST_END_TEST;

/* The largest chunk size: a 300-byte message in one chunk whose payload
 * looks like type 3 headers if it were misframed. */
GST_START_TEST (test_set_chunk_size_max)
{
  static const guint8 prefix[] = {
    0x02,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x04,
    0x01,
    0x00,
    0x00,
    0x00,
    0x00,
    0x7f,
    0xff,
    0xff,
    0xff,
    0x06,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    0x2c,
    0x09,
    0x01,
    0x00,
    0x00,
    0x00,
  };
  g_autoptr (GByteArray) v = g_byte_array_new ();
  guint8 payload[300];
  Expect e[2] = {
    EXPECT (1, 0, 0, 2, "\x7f\xff\xff\xff"),
    { 9, 0, 1, 6, (const gchar *) payload, sizeof (payload) },
  };

  memset (payload, 0xc6, sizeof (payload));
  g_byte_array_append (v, prefix, sizeof (prefix));
  g_byte_array_append (v, payload, sizeof (payload));
  check_vector (__LINE__, NULL, v->data, v->len, e, 2, 0x7fffffff);
}

GST_END_TEST;

GST_START_TEST (test_abort)
{
  CHECK_VECTOR (v_abort, e_abort, 4);
}

GST_END_TEST;

GST_START_TEST (test_abort_type3)
{
  CHECK_VECTOR (v_abort_type3, e_abort_type3, 4);
}

GST_END_TEST;

/* The partial message's memory is released by the abort. */
GST_START_TEST (test_abort_releases_memory)
{
  static const guint8 header[] = {
    0x06,
    0x00,
    0x00,
    0x00,
    0x00,
    0x10,
    0x00,
    0x09,
    0x01,
    0x00,
    0x00,
    0x00,
  };
  static const guint8 abort[] = {
    0x02,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x04,
    0x02,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x06,
  };
  g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (NULL);
  g_autoptr (RtmpMessage) message = NULL;
  guint8 chunk[RTMP_DEFAULT_CHUNK_SIZE] = {
    0,
  };
  gsize consumed;

  /* a 4096-byte message and its first chunk */
  fail_unless_equals_int (rtmp_chunk_reader_read (reader, header,
                              sizeof (header), &consumed, &message, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_uint64 (rtmp_chunk_reader_get_buffered_bytes (reader),
      4096);
  fail_unless_equals_int (rtmp_chunk_reader_read (reader, chunk, sizeof (chunk),
                              &consumed, &message, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (rtmp_chunk_reader_read (reader, abort, sizeof (abort),
                              &consumed, &message, NULL),
      RTMP_READ_OK);
  fail_unless_equals_int (consumed, sizeof (abort));
  fail_unless_equals_int (message->type, RTMP_MESSAGE_ABORT);
  fail_unless_equals_uint64 (rtmp_chunk_reader_get_buffered_bytes (reader), 0);
  fail_unless_equals_int (rtmp_chunk_reader_get_n_chunk_streams (reader), 2);
  fail_unless_equals_int (rtmp_chunk_reader_get_bytes_read (reader),
      sizeof (header) + sizeof (chunk) + sizeof (abort));
}

GST_END_TEST;

GST_START_TEST (test_interleaved)
{
  CHECK_VECTOR (v_interleaved, e_interleaved, 4);
}

GST_END_TEST;

GST_START_TEST (test_no_previous_header)
{
  CHECK_ERROR_VECTOR (NULL, v_type1_first, 0, RTMP_ERROR_MALFORMED,
      "chunk stream 3: type 1 chunk header without a previous type 0 header");
  CHECK_ERROR_VECTOR (NULL, v_type2_first, 0, RTMP_ERROR_MALFORMED,
      "chunk stream 3: type 2 chunk header without");
  CHECK_ERROR_VECTOR (NULL, v_type3_first, 0, RTMP_ERROR_MALFORMED,
      "chunk stream 3: type 3 chunk header without");
  CHECK_ERROR_VECTOR (NULL, v_type2_other_csid, 1, RTMP_ERROR_MALFORMED,
      "chunk stream 64: type 2 chunk header without");
}

GST_END_TEST;

GST_START_TEST (test_header_inside_message)
{
  CHECK_ERROR_VECTOR (NULL, v_header_inside_message, 1, RTMP_ERROR_MALFORMED,
      "chunk stream 6: type 2 chunk header inside a message (4 of 10 bytes");
}

GST_END_TEST;

GST_START_TEST (test_bad_control)
{
  CHECK_ERROR_VECTOR (NULL, v_set_chunk_size_zero, 0, RTMP_ERROR_MALFORMED,
      "chunk stream 2: set-chunk-size message: chunk size 0");
  CHECK_ERROR_VECTOR (NULL, v_set_chunk_size_bit31_only, 0,
      RTMP_ERROR_MALFORMED, "chunk size 0");
  CHECK_ERROR_VECTOR (NULL, v_set_chunk_size_short, 0, RTMP_ERROR_MALFORMED,
      "set-chunk-size message: payload of 2 bytes, need 4");
  CHECK_ERROR_VECTOR (NULL, v_abort_short, 0, RTMP_ERROR_MALFORMED,
      "abort message: payload of 3 bytes, need 4");
}

GST_END_TEST;

/* The reader logs the librtmp quirk once. */
static void
count_log (GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  guint *count = user_data;

  fail_unless (level == G_LOG_LEVEL_WARNING);
  fail_unless (strstr (message, "without the extended timestamp") != NULL);
  (*count)++;
}

GST_START_TEST (test_log_missing_extended)
{
  g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (NULL);
  g_autoptr (GPtrArray) messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  guint count = 0;

  rtmp_chunk_reader_set_log_func (reader, count_log, &count, NULL);
  fail_unless (feed (__LINE__, reader, v_ext_type3_omitted,
      sizeof (v_ext_type3_omitted), FEED_BYTES, 0, messages, NULL));
  fail_unless_equals_int (messages->len, 2);
  fail_unless_equals_int (count, 1);
}

GST_END_TEST;

/* Feeds a capture every way and checks the messages it holds; returns the
 * messages of the whole feed. */
static GPtrArray *
check_file_vector (guint line, const gchar *name, const Summary *expect,
    guint n_expect)
{
  g_autofree gchar *path
      = g_build_filename (RTMP_TEST_FILES_DIR, "chunk", name, NULL);
  g_autofree gchar *contents = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *whole = NULL;
  const guint8 *data;
  gsize len;
  guint i, k;

  if (!g_file_get_contents (path, &contents, &len, &error))
    fail ("line %u: %s", line, error->message);
  data = (const guint8 *) contents;

  for (i = 0; i < n_feeds (len); i++) {
    g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (NULL);
    GPtrArray *messages
        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
    g_autofree gchar *how = NULL;
    FeedMode mode;
    gsize split;

    get_feed (i, &mode, &split);
    how = describe_feed (mode, split);
    if (!feed (line, reader, data, len, mode, split, messages, &error))
      fail ("line %u: %s: %s: %s", line, name, how, error->message);
    CHECK_MSG (line, messages->len == n_expect, "%s: %s: %u messages", name,
        how, messages->len);
    for (k = 0; k < n_expect; k++) {
      const RtmpMessage *m = messages->pdata[k];

      CHECK_MSG (line,
          m->type == expect[k].type && m->timestamp == expect[k].timestamp
              && m->stream_id == expect[k].stream_id
              && m->csid == expect[k].csid
              && g_bytes_get_size (m->payload) == expect[k].len,
          "%s: %s: message %u is type %u ts %u stream %u csid %u length "
          "%" G_GSIZE_FORMAT,
          name, how, k, m->type, m->timestamp, m->stream_id, m->csid,
          g_bytes_get_size (m->payload));
    }
    CHECK (line, rtmp_chunk_reader_get_bytes_read (reader) == len);
    CHECK (line, rtmp_chunk_reader_get_buffered_bytes (reader) == 0);
    CHECK (line, rtmp_chunk_reader_get_chunk_size (reader) == 128);
    if (whole == NULL)
      whole = messages;
    else
      g_ptr_array_unref (messages);
  }
  return whole;
}

#define CHECK_FILE_VECTOR(name, s) \
  check_file_vector (__LINE__, name, s, G_N_ELEMENTS (s))

static gboolean
payload_starts_with (const RtmpMessage *m, const gchar *prefix, gsize len)
{
  return g_bytes_get_size (m->payload) >= len
      && memcmp (g_bytes_get_data (m->payload, NULL), prefix, len) == 0;
}

GST_START_TEST (test_ffmpeg_publish)
{
  g_autoptr (GPtrArray) plain
      = CHECK_FILE_VECTOR ("ffmpeg-publish.bin", s_ffmpeg_publish);
  g_autoptr (GPtrArray) extended = CHECK_FILE_VECTOR (
      "ffmpeg-publish-extended.bin", s_ffmpeg_publish_extended);
  guint i;

  /* AMF0 string "connect" */
  fail_unless (payload_starts_with (plain->pdata[0],
      "\x02\x00\x07"
      "connect",
      10));
  /* the media payloads do not depend on the timestamps (the commands
   * differ: connect names the port of each capture) */
  for (i = 7; i < plain->len - 2; i++) {
    const RtmpMessage *a = plain->pdata[i], *b = extended->pdata[i];

    fail_unless (g_bytes_equal (a->payload, b->payload), "message %u", i);
  }
}

GST_END_TEST;

GST_START_TEST (test_librtmp_publish_extended)
{
  g_autoptr (GPtrArray) with = CHECK_FILE_VECTOR (
      "librtmp-publish-extended.bin", s_librtmp_publish_extended);
  g_autoptr (GPtrArray) without = CHECK_FILE_VECTOR (
      "librtmp-publish-extended-omitted.bin", s_librtmp_publish_extended);
  guint i;

  fail_unless (payload_starts_with (with->pdata[0],
      "\x02\x00\x07"
      "connect",
      10));
  /* with or without the repeated field, the same messages */
  for (i = 0; i < with->len; i++) {
    const RtmpMessage *a = with->pdata[i], *b = without->pdata[i];

    fail_unless (g_bytes_equal (a->payload, b->payload), "message %u", i);
  }
}

GST_END_TEST;

GST_START_TEST (test_ffmpeg_server_publish)
{
  g_autoptr (GPtrArray) messages = CHECK_FILE_VECTOR (
      "ffmpeg-server-publish.bin", s_ffmpeg_server_publish);
  RtmpUserControl event;

  fail_unless (rtmp_user_control_parse (messages->pdata[2], &event, NULL));
  fail_unless_equals_int (event.type, RTMP_USER_CONTROL_STREAM_BEGIN);
  /* AMF0 string "_result" */
  fail_unless (
      payload_starts_with (messages->pdata[4], "\x02\x00\x07_result", 10));
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Limits */

GST_START_TEST (test_limit_message_size)
{
  RtmpLimits limits;

  rtmp_limits_init_default (&limits);
  limits.max_message_bytes = 8;
  CHECK_ERROR_VECTOR (&limits, v_type0_9_bytes, 0, RTMP_ERROR_LIMIT,
      "chunk stream 3: message length 9 exceeds limit 8");
  CHECK_ERROR_VECTOR (&limits, v_type1_9_bytes, 1, RTMP_ERROR_LIMIT,
      "chunk stream 3: message length 9 exceeds limit 8");
}

GST_END_TEST;

/* 0xFFFFFF, the largest length the wire can say, fits the default limits:
 * its memory is reserved when the first chunk arrives. */
GST_START_TEST (test_largest_message)
{
  static const guint8 header[] = {
    0x03,
    0x00,
    0x00,
    0x00,
    0xff,
    0xff,
    0xff,
    0x09,
    0x01,
    0x00,
    0x00,
    0x00,
  };
  g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (NULL);
  g_autoptr (RtmpMessage) message = NULL;
  g_autofree guint8 *payload = g_malloc (0xffffff);
  g_autoptr (GByteArray) rest = g_byte_array_new ();
  gsize consumed, pos;

  for (pos = 0; pos < 0xffffff; pos++)
    payload[pos] = pos >> 8;
  fail_unless_equals_int (rtmp_chunk_reader_read (reader, header,
                              sizeof (header), &consumed, &message, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_uint64 (rtmp_chunk_reader_get_buffered_bytes (reader),
      0xffffff);

  /* the payload in chunks of 128 */
  for (pos = 0; pos < 0xffffff; pos += 128) {
    if (pos > 0)
      g_byte_array_append (rest, (const guint8 *) "\xc3", 1);
    g_byte_array_append (rest, payload + pos, MIN (128, 0xffffff - pos));
  }
  fail_unless_equals_int (rtmp_chunk_reader_read (reader, rest->data, rest->len,
                              &consumed, &message, NULL),
      RTMP_READ_OK);
  fail_unless_equals_uint64 (consumed, rest->len);
  fail_unless_equals_uint64 (g_bytes_get_size (message->payload), 0xffffff);
  fail_unless (
      memcmp (g_bytes_get_data (message->payload, NULL), payload, 0xffffff)
      == 0);
  fail_unless_equals_uint64 (rtmp_chunk_reader_get_buffered_bytes (reader), 0);
}

GST_END_TEST;

GST_START_TEST (test_limit_chunk_streams)
{
  RtmpLimits limits;

  rtmp_limits_init_default (&limits);
  limits.max_chunk_streams = 2;
  CHECK_ERROR_VECTOR (&limits, v_three_chunk_streams, 3, RTMP_ERROR_LIMIT,
      "chunk stream 5: would be chunk stream number 3, limit 2");
}

GST_END_TEST;

GST_START_TEST (test_limit_buffered_bytes)
{
  RtmpLimits limits;

  rtmp_limits_init_default (&limits);
  limits.max_buffered_bytes = 10;
  /* exactly at the limit */
  check_vector (__LINE__, &limits, v_buffered_10, sizeof (v_buffered_10),
      e_buffered_10, G_N_ELEMENTS (e_buffered_10), 4);
  /* one byte too many */
  CHECK_ERROR_VECTOR (&limits, v_buffered_11, 1, RTMP_ERROR_LIMIT,
      "chunk stream 5: message of 5 bytes would raise the bytes held for "
      "incomplete messages from 6 to 11, limit 10");
}

GST_END_TEST;

/* A peer's Set Chunk Size changes framing, never what is reserved: a
 * message declared 16 bytes reserves 16 bytes at chunk size 2^31 - 1. */
GST_START_TEST (test_chunk_size_does_not_reserve)
{
  static const guint8 v[] = {
    0x02,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x04,
    0x01,
    0x00,
    0x00,
    0x00,
    0x00,
    0x7f,
    0xff,
    0xff,
    0xff,
    0x06,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x10,
    0x09,
    0x01,
    0x00,
    0x00,
    0x00,
    'x',
  };
  g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (NULL);
  g_autoptr (GPtrArray) messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);

  fail_unless (
      feed (__LINE__, reader, v, sizeof (v), FEED_WHOLE, 0, messages, NULL));
  fail_unless_equals_int (messages->len, 1);
  fail_unless_equals_uint64 (rtmp_chunk_reader_get_buffered_bytes (reader), 16);
  fail_unless_equals_int (rtmp_chunk_reader_get_chunk_size (reader),
      0x7fffffff);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Writer */

/* Takes everything queued out of @queue as one buffer. */
static GBytes *
take_output (RtmpOutputQueue *queue)
{
  GByteArray *out = g_byte_array_new ();
  RtmpOutputVector v[16];
  guint n, i;

  while ((n = rtmp_output_queue_peek (queue, v, G_N_ELEMENTS (v))) > 0) {
    gsize total = 0;

    for (i = 0; i < n; i++) {
      g_byte_array_append (out, v[i].data, v[i].len);
      total += v[i].len;
    }
    rtmp_output_queue_consume (queue, total);
  }
  return g_byte_array_free_to_bytes (out);
}

static void
check_output (guint line, RtmpOutputQueue *queue, const guint8 *expect,
    gsize len)
{
  g_autoptr (GBytes) out = take_output (queue);
  gsize out_len;
  const guint8 *data = g_bytes_get_data (out, &out_len);
  gsize i;

  CHECK_MSG (line, out_len == len,
      "%" G_GSIZE_FORMAT " bytes written, expected %" G_GSIZE_FORMAT, out_len,
      len);
  for (i = 0; i < len; i++)
    CHECK_MSG (line, data[i] == expect[i],
        "byte %" G_GSIZE_FORMAT ": 0x%02x, expected 0x%02x", i, data[i],
        expect[i]);
}

#define CHECK_OUTPUT(queue, v) check_output (__LINE__, queue, v, sizeof (v))

static gsize
write_message (RtmpChunkWriter *writer, guint8 type, guint32 timestamp,
    guint32 stream_id, guint32 csid, const gchar *payload, gsize len)
{
  g_autoptr (GBytes) bytes = g_bytes_new (payload, len);
  g_autoptr (RtmpMessage) m
      = rtmp_message_new (type, timestamp, stream_id, csid, bytes);

  return rtmp_chunk_writer_write (writer, m);
}

#define WRITE(writer, type, ts, sid, csid, payload) \
  write_message (writer, type, ts, sid, csid, payload, sizeof (payload) - 1)

GST_START_TEST (test_writer_header_types)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);

  fail_unless_equals_int (WRITE (writer, 20, 1000, 0, 3, "ab"), 14);
  fail_unless_equals_int (WRITE (writer, 20, 1010, 0, 3, "abc"), 11);
  fail_unless_equals_int (WRITE (writer, 20, 1020, 0, 3, "xyz"), 7);
  WRITE (writer, 20, 1020, 1, 3, "xyz");
  WRITE (writer, 20, 1000, 1, 3, "xyz");
  WRITE (writer, 9, 1000, 1, 3, "xyz");
  WRITE (writer, 9, 1001, 1, 3, "xyz");
  fail_unless_equals_int (WRITE (writer, 9, 1001, 1, 3, ""), 8);
  CHECK_OUTPUT (queue, w_header_types);
}

GST_END_TEST;

GST_START_TEST (test_writer_extended)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);

  rtmp_chunk_writer_set_chunk_size (writer, 4);
  fail_unless_equals_int (rtmp_chunk_writer_get_chunk_size (writer), 4);
  fail_unless_equals_int (WRITE (writer, 9, 0x12345678, 1, 6, "abcdef"), 27);
  WRITE (writer, 9, 0x12345679, 1, 6, "abcdef");
  WRITE (writer, 9, 0x13345679, 1, 6, "abcdef");
  WRITE (writer, 9, 0x14345678, 1, 6, "g");
  WRITE (writer, 8, 0xffffff, 1, 7, "a");
  WRITE (writer, 8, 0xfffffe, 1, 7, "b");
  WRITE (writer, 8, 0xfffffff0, 1, 8, "a");
  WRITE (writer, 8, 0x10, 1, 8, "b");
  CHECK_OUTPUT (queue, w_extended);
}

GST_END_TEST;

/* The reader's csid vector is what the writer produces for its messages. */
GST_START_TEST (test_writer_csids)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);
  static const guint32 csids[] = { 63, 64, 319, 320, 65599 };
  guint i;

  rtmp_chunk_writer_set_chunk_size (writer, 4);
  for (i = 0; i < G_N_ELEMENTS (csids); i++)
    WRITE (writer, 9, 0, 1, csids[i], "abcdef");
  CHECK_OUTPUT (queue, v_csids);
}

GST_END_TEST;

/* csid 0 in the message picks the default chunk stream of its type. */
GST_START_TEST (test_writer_default_csid)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);
  g_autoptr (GBytes) payload = g_bytes_new_static ("v", 1);
  RtmpMessage message = { RTMP_MESSAGE_VIDEO, 5, 1, 0, payload };

  rtmp_chunk_writer_write (writer, &message);
  CHECK_OUTPUT (queue, w_default_csid);
}

GST_END_TEST;

/* Set Chunk Size goes out with the old size, then the new one applies. */
GST_START_TEST (test_writer_set_chunk_size)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);

  rtmp_chunk_writer_set_chunk_size (writer, 2);
  rtmp_chunk_writer_set_chunk_size (writer, 3);
  WRITE (writer, 20, 0, 0, 3, "abcdefg");
  CHECK_OUTPUT (queue, w_set_chunk_size);
}

GST_END_TEST;

/* Every payload vector points into the message's GBytes. */
GST_START_TEST (test_writer_zero_copy)
{
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);
  guint8 *data = g_malloc0 (10000);
  g_autoptr (GBytes) payload = g_bytes_new_take (data, 10000);
  g_autoptr (RtmpMessage) message
      = rtmp_message_new (RTMP_MESSAGE_VIDEO, 0x1000000, 1, 0, payload);
  g_autofree RtmpOutputVector *v = NULL;
  guint n_segments, n, i;
  gsize next = 0, total;

  total = rtmp_chunk_writer_write (writer, message);
  /* 79 chunks of up to 128 bytes; headers 12 + 4, then 1 + 4 each */
  fail_unless_equals_uint64 (total, 10000 + 16 + 78 * 5);
  n_segments = rtmp_output_queue_get_n_segments (queue);
  fail_unless_equals_int (n_segments, 79 * 2);
  v = g_new (RtmpOutputVector, n_segments);
  n = rtmp_output_queue_peek (queue, v, n_segments);
  fail_unless_equals_int (n, n_segments);
  for (i = 0; i < n; i++) {
    if (i % 2 == 0) {
      fail_unless_equals_int (v[i].len, i == 0 ? 16 : 5);
      continue;
    }
    fail_unless (v[i].data == data + next, "vector %u is a copy", i);
    next += v[i].len;
  }
  fail_unless_equals_uint64 (next, 10000);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Writer to reader round trips */

static guint32
pick_csid (GRand *rand)
{
  static const guint32 csids[] = {
    3,
    4,
    5,
    6,
    63,
    64,
    200,
    319,
    320,
    1000,
    65599,
  };

  return csids[g_rand_int_range (rand, 0, G_N_ELEMENTS (csids))];
}

static guint8
pick_type (GRand *rand)
{
  /* anything but Set Chunk Size and Abort, which the reader acts on */
  static const guint8 types[] = { 0, 3, 4, 5, 6, 8, 9, 15, 18, 20, 22, 255 };

  return types[g_rand_int_range (rand, 0, G_N_ELEMENTS (types))];
}

static guint32
next_timestamp (GRand *rand, guint32 timestamp)
{
  switch (g_rand_int_range (rand, 0, 8)) {
    case 0:
      return timestamp; /* same */
    case 1:
      return timestamp - g_rand_int_range (rand, 1, 1000); /* backwards */
    case 2:
      return 0xffffff + g_rand_int_range (rand, -2, 3); /* near 2^24 */
    case 3:
      return timestamp + 0xffffff + g_rand_int_range (rand, -2, 3);
    case 4:
      return 0xffffffff - g_rand_int_range (rand, 0, 100); /* near wrap */
    case 5:
      return g_rand_int (rand);
    default:
      return timestamp + g_rand_int_range (rand, 0, 100);
  }
}

/* Moves bytes from @queue to @wire in uneven peeks and consumes, sometimes
 * stopping inside a segment. */
static void
drain_some (GRand *rand, RtmpOutputQueue *queue, GByteArray *wire)
{
  while (rtmp_output_queue_get_size (queue) > 0
      && g_rand_int_range (rand, 0, 3) != 0) {
    RtmpOutputVector v[7];
    guint want = g_rand_int_range (rand, 1, G_N_ELEMENTS (v) + 1);
    guint n = rtmp_output_queue_peek (queue, v, want);
    guint j;
    gsize take = 0;

    for (j = 0; j < n; j++) {
      gsize part = v[j].len;

      if (j + 1 == n)
        part = g_rand_int_range (rand, 1, v[j].len + 1);
      g_byte_array_append (wire, v[j].data, part);
      take += part;
    }
    rtmp_output_queue_consume (queue, take);
  }
}

/* Writes @n_messages random messages (and chunk size changes when
 * @change_chunk_size), drains the queue, feeds the bytes to a reader in
 * random pieces and compares. */
static void
round_trip (guint line, guint32 seed, guint32 chunk_size, guint n_messages,
    gsize max_len, gboolean change_chunk_size)
{
  static const guint32 sizes[] = { 1, 2, 3, 128, 129, 4096, 65536 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (RtmpOutputQueue) queue = rtmp_output_queue_new ();
  g_autoptr (RtmpChunkWriter) writer = rtmp_chunk_writer_new (queue);
  g_autoptr (RtmpChunkReader) reader = rtmp_chunk_reader_new (NULL);
  g_autoptr (GPtrArray) sent
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  g_autoptr (GPtrArray) received
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_message_free);
  g_autoptr (GByteArray) wire = g_byte_array_new ();
  g_autoptr (GBytes) rest = NULL;
  guint32 timestamp = 0;
  guint i;
  gsize pos, rest_len;
  const guint8 *rest_data;

  if (chunk_size != RTMP_DEFAULT_CHUNK_SIZE) {
    rtmp_chunk_writer_set_chunk_size (writer, chunk_size);
    g_ptr_array_add (sent, rtmp_message_new_set_chunk_size (chunk_size));
  }

  for (i = 0; i < n_messages; i++) {
    gboolean empty = g_rand_int_range (rand, 0, 4) == 0;
    gsize len = empty ? 0 : g_rand_int_range (rand, 1, max_len + 1);
    guint8 *data = g_malloc (len);
    guint64 before = rtmp_output_queue_get_pushed_total (queue);
    gsize k;
    RtmpMessage *m;

    for (k = 0; k < len; k++)
      data[k] = g_rand_int (rand);
    timestamp = next_timestamp (rand, timestamp);
    m = rtmp_message_new_take (pick_type (rand), timestamp,
        g_rand_int_range (rand, 0, 3), pick_csid (rand),
        g_bytes_new_take (data, len));
    CHECK (line,
        rtmp_chunk_writer_write (writer, m)
            == rtmp_output_queue_get_pushed_total (queue) - before);
    g_ptr_array_add (sent, m);

    if (change_chunk_size && g_rand_int_range (rand, 0, 5) == 0) {
      guint32 size = sizes[g_rand_int_range (rand, 0, G_N_ELEMENTS (sizes))];

      rtmp_chunk_writer_set_chunk_size (writer, size);
      g_ptr_array_add (sent, rtmp_message_new_set_chunk_size (size));
    }
    drain_some (rand, queue, wire);
  }
  rest = take_output (queue);
  rest_data = g_bytes_get_data (rest, &rest_len);
  g_byte_array_append (wire, rest_data, rest_len);
  CHECK (line, wire->len == rtmp_output_queue_get_pushed_total (queue));
  CHECK (line, wire->len == rtmp_output_queue_get_consumed_total (queue));

  for (pos = 0; pos < wire->len;) {
    gsize piece = g_rand_int_range (rand, 1, 3 * chunk_size + 100);
    gsize off = 0;

    piece = MIN (piece, wire->len - pos);
    for (;;) {
      gsize consumed;
      RtmpMessage *m = NULL;
      g_autoptr (GError) error = NULL;
      RtmpReadResult res = rtmp_chunk_reader_read (reader,
          wire->data + pos + off, piece - off, &consumed, &m, &error);

      CHECK_MSG (line, res != RTMP_READ_ERROR, "after %u messages: %s",
          received->len, error ? error->message : "");
      off += consumed;
      if (res == RTMP_READ_NEED_MORE)
        break;
      g_ptr_array_add (received, m);
    }
    pos += piece;
  }

  CHECK_MSG (line, received->len == sent->len, "%u messages, expected %u",
      received->len, sent->len);
  for (i = 0; i < sent->len; i++) {
    const RtmpMessage *a = sent->pdata[i], *b = received->pdata[i];

    CHECK_MSG (line,
        a->type == b->type && a->timestamp == b->timestamp
            && a->stream_id == b->stream_id && a->csid == b->csid
            && g_bytes_equal (a->payload, b->payload),
        "message %u: type %u/%u ts %u/%u stream %u/%u csid %u/%u differ", i,
        a->type, b->type, a->timestamp, b->timestamp, a->stream_id,
        b->stream_id, a->csid, b->csid);
  }
  CHECK (line, rtmp_chunk_reader_get_buffered_bytes (reader) == 0);
  CHECK (line, rtmp_chunk_reader_get_bytes_read (reader) == wire->len);
  CHECK (line,
      rtmp_chunk_reader_get_chunk_size (reader)
          == rtmp_chunk_writer_get_chunk_size (writer));
}

GST_START_TEST (test_round_trip_chunk_size_1)
{
  round_trip (__LINE__, 1, 1, 300, 300, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_round_trip_chunk_size_128)
{
  round_trip (__LINE__, 2, 128, 500, 5000, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_round_trip_chunk_size_4096)
{
  round_trip (__LINE__, 3, 4096, 300, 100000, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_round_trip_chunk_size_65536)
{
  round_trip (__LINE__, 4, 65536, 100, 300000, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_round_trip_chunk_size_changes)
{
  guint32 seed;

  for (seed = 10; seed < 20; seed++)
    round_trip (__LINE__, seed, 128, 200, 3000, TRUE);
}

GST_END_TEST;

static Suite *
chunk_suite (void)
{
  Suite *s = suite_create ("chunk");
  TCase *tc_reader = tcase_create ("reader");
  TCase *tc_limits = tcase_create ("limits");
  TCase *tc_writer = tcase_create ("writer");

  suite_add_tcase (s, tc_reader);
  tcase_add_test (tc_reader, test_type0);
  tcase_add_test (tc_reader, test_type1_type2);
  tcase_add_test (tc_reader, test_type3_continuation);
  tcase_add_test (tc_reader, test_default_chunk_size);
  tcase_add_test (tc_reader, test_type3_new_message);
  tcase_add_test (tc_reader, test_empty_messages);
  tcase_add_test (tc_reader, test_odd_types);
  tcase_add_test (tc_reader, test_csids);
  tcase_add_test (tc_reader, test_csid_forms);
  tcase_add_test (tc_reader, test_ext_type0);
  tcase_add_test (tc_reader, test_ext_type3_omitted_short);
  tcase_add_test (tc_reader, test_ext_type3_omitted);
  tcase_add_test (tc_reader, test_ext_omitted_held_bytes);
  tcase_add_test (tc_reader, test_ext_type1);
  tcase_add_test (tc_reader, test_ext_type2);
  tcase_add_test (tc_reader, test_ext_boundary);
  tcase_add_test (tc_reader, test_timestamp_wrap);
  tcase_add_test (tc_reader, test_set_chunk_size_inside);
  tcase_add_test (tc_reader, test_set_chunk_size_bit31);
  tcase_add_test (tc_reader, test_set_chunk_size_max);
  tcase_add_test (tc_reader, test_abort);
  tcase_add_test (tc_reader, test_abort_type3);
  tcase_add_test (tc_reader, test_abort_releases_memory);
  tcase_add_test (tc_reader, test_interleaved);
  tcase_add_test (tc_reader, test_no_previous_header);
  tcase_add_test (tc_reader, test_header_inside_message);
  tcase_add_test (tc_reader, test_bad_control);
  tcase_add_test (tc_reader, test_log_missing_extended);
  tcase_add_test (tc_reader, test_ffmpeg_publish);
  tcase_add_test (tc_reader, test_librtmp_publish_extended);
  tcase_add_test (tc_reader, test_ffmpeg_server_publish);

  suite_add_tcase (s, tc_limits);
  tcase_add_test (tc_limits, test_limit_message_size);
  tcase_add_test (tc_limits, test_largest_message);
  tcase_add_test (tc_limits, test_limit_chunk_streams);
  tcase_add_test (tc_limits, test_limit_buffered_bytes);
  tcase_add_test (tc_limits, test_chunk_size_does_not_reserve);

  suite_add_tcase (s, tc_writer);
  tcase_add_test (tc_writer, test_writer_header_types);
  tcase_add_test (tc_writer, test_writer_extended);
  tcase_add_test (tc_writer, test_writer_csids);
  tcase_add_test (tc_writer, test_writer_default_csid);
  tcase_add_test (tc_writer, test_writer_set_chunk_size);
  tcase_add_test (tc_writer, test_writer_zero_copy);
  tcase_add_test (tc_writer, test_round_trip_chunk_size_1);
  tcase_add_test (tc_writer, test_round_trip_chunk_size_128);
  tcase_add_test (tc_writer, test_round_trip_chunk_size_4096);
  tcase_add_test (tc_writer, test_round_trip_chunk_size_65536);
  tcase_add_test (tc_writer, test_round_trip_chunk_size_changes);
  return s;
}

GST_CHECK_MAIN (chunk);
