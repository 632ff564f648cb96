/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for rtmpflv: the incremental reader (whole, byte by byte, at
 * every split point, truncated, malformed), the writers, and the audio and
 * video tag header parsers for legacy FLV and Enhanced RTMP. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtmpflv.h"

/* fail_unless () reports a checkpoint to the parent process on every call;
 * the helpers below check millions of times, so they only call into check
 * when something is wrong. */
#define CHECK(cond, ...) \
  do { \
    if (G_UNLIKELY (!(cond))) \
      fail (__VA_ARGS__); \
  } while (0)

/* --- vectors: tag bodies --- */

/* legacy audio */
static const guint8 aac_sequence_header[] = { 0xaf, 0x00, 0x12, 0x10 };
static const guint8 aac_raw[]
    = { 0xaf, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c };
static const guint8 mp3_frame[] = { 0x2f, 0xff, 0xfb, 0x90, 0x64 };
static const guint8 speex_frame[] = { 0xb2, 0x1c, 0x00 };
/* legacy video */
static const guint8 avc_sequence_header[]
    = { 0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00,
        0x04, 0x67, 0x64, 0x00, 0x1f, 0x01, 0x00, 0x02, 0x68, 0xeb };
static const guint8 avc_keyframe_ct_0[] = { 0x17, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x05, 0x65, 0x88, 0x84, 0x00, 0x33 };
static const guint8 avc_inter_ct_80[] = { 0x27, 0x01, 0x00, 0x00, 0x50, 0x00,
  0x00, 0x00, 0x03, 0x41, 0x9a, 0x02 };
static const guint8 avc_inter_ct_minus_33[]
    = { 0x27, 0x01, 0xff, 0xff, 0xdf, 0x00, 0x00, 0x00, 0x02, 0x01, 0x9e };
static const guint8 avc_end_of_sequence[] = { 0x17, 0x02, 0x00, 0x00, 0x00 };
static const guint8 legacy_hevc_12_sequence_header[] = { 0x1c, 0x00, 0x00, 0x00,
  0x00, 0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x5d, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x00 };
static const guint8 legacy_hevc_12_inter_ct_33[] = { 0x2c, 0x01, 0x00, 0x00,
  0x21, 0x00, 0x00, 0x00, 0x03, 0x02, 0x01, 0xd0 };
static const guint8 legacy_av1_13_keyframe[]
    = { 0x1d, 0x01, 0x00, 0x00, 0x00, 0x12, 0x00, 0x32, 0x05 };
static const guint8 h263_disposable[] = { 0x32, 0x00, 0x00, 0x84 };
static const guint8 vp6_keyframe[] = { 0x14, 0x00, 0x00, 0x78, 0x46 };
static const guint8 legacy_command_start_seek[] = { 0x57, 0x00 };
/* script */
static const guint8 on_metadata[] = { 0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't',
  'a', 'D', 'a', 't', 'a', 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 'd', 'u',
  'r', 'a', 't', 'i', 'o', 'n', 0x00, 0x40, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x09 };
static const guint8 set_data_frame_on_metadata[] = { 0x02, 0x00, 0x0d, '@', 's',
  'e', 't', 'D', 'a', 't', 'a', 'F', 'r', 'a', 'm', 'e', 0x02, 0x00, 0x0a, 'o',
  'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a', 0x08, 0x00, 0x00, 0x00, 0x01,
  0x00, 0x08, 'd', 'u', 'r', 'a', 't', 'i', 'o', 'n', 0x00, 0x40, 0x24, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09 };
/* Enhanced RTMP video */
static const guint8 hevc_sequence_start[] = { 0x90, 'h', 'v', 'c', '1', 0x01,
  0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0,
  0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x00 };
static const guint8 hevc_coded_frames_key_ct_40[] = { 0x91, 'h', 'v', 'c', '1',
  0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x04, 0x26, 0x01, 0xaf, 0x08 };
static const guint8 hevc_coded_frames_x_inter[]
    = { 0xa3, 'h', 'v', 'c', '1', 0x00, 0x00, 0x00, 0x03, 0x02, 0x01, 0xd0 };
static const guint8 hevc_coded_frames_ct_minus_1[] = { 0xa1, 'h', 'v', 'c', '1',
  0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x02 };
static const guint8 av1_sequence_start[] = { 0x90, 'a', 'v', '0', '1', 0x81,
  0x08, 0x0c, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf, 0xc3 };
static const guint8 av1_coded_frames_key[] = { 0x91, 'a', 'v', '0', '1', 0x12,
  0x00, 0x32, 0x05, 0x10, 0x00, 0x00, 0x00, 0x00 };
static const guint8 vp9_sequence_start[] = { 0x90, 'v', 'p', '0', '9', 0x01,
  0x00, 0x00, 0x00, 0x00, 0x1e, 0x08, 0x01, 0x01, 0x01, 0x00, 0x00 };
static const guint8 vp9_coded_frames_inter[]
    = { 0xa1, 'v', 'p', '0', '9', 0x86, 0x00, 0x40, 0x92 };
static const guint8 vp8_sequence_end[] = { 0x92, 'v', 'p', '0', '8' };
static const guint8 av1_mpeg2ts_sequence_start[]
    = { 0x95, 'a', 'v', '0', '1', 0x80, 0x00 };
static const guint8 hevc_metadata_frame_type_0[]
    = { 0x84, 'h', 'v', 'c', '1', 0x02, 0x00, 0x09, 'c', 'o', 'l', 'o', 'r',
        'I', 'n', 'f', 'o', 0x03, 0x00, 0x00, 0x09 };
static const guint8 ex_command_end_seek[] = { 0xd0, 0x01 };
static const guint8 unknown_fourcc_coded_frames[]
    = { 0x91, 'x', 'y', 'z', 'w', 0x00, 0x00, 0x01 };
/* two hvc1 tracks, each with its own composition time (33, -1) */
static const guint8 multitrack_many_tracks_hevc[] = { 0x96, 0x11, 'h', 'v', 'c',
  '1', 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x21, 0xaa, 0xbb, 0xcc, 0x01, 0x00,
  0x00, 0x05, 0xff, 0xff, 0xff, 0xdd, 0xee };
/* an avc1 and an av01 track, sequence start */
static const guint8 multitrack_many_codecs_sequence_start[]
    = { 0x96, 0x20, 'a', 'v', 'c', '1', 0x00, 0x00, 0x00, 0x02, 0x01, 0x64, 'a',
        'v', '0', '1', 0x01, 0x00, 0x00, 0x01, 0x81 };
static const guint8 multitrack_one_track_vp9[]
    = { 0xa6, 0x01, 'v', 'p', '0', '9', 0x05, 0x86, 0x00 };
/* ModEx TimestampOffsetNano 500000, then CodedFrames hvc1 with CT 10 */
static const guint8 mod_ex_timestamp_offset_hevc[]
    = { 0x97, 0x02, 0x07, 0xa1, 0x20, 0x01, 'h', 'v', 'c', '1', 0x00, 0x00,
        0x0a, 0x00, 0x00, 0x00, 0x02, 0x26, 0x01 };
/* ModEx whose size needs the UI16 escape (UI8 0xff): 4 bytes, offset 258 */
static const guint8 mod_ex_16_bit_size[] = { 0x97, 0xff, 0x00, 0x03, 0x00, 0x01,
  0x02, 0x03, 0x03, 'a', 'v', 'c', '1', 0x65 };
/* an unknown ModEx type (5) is skipped, then CodedFramesX av01 */
static const guint8 mod_ex_unknown_type[]
    = { 0x97, 0x00, 0x55, 0x53, 'a', 'v', '0', '1', 0x12, 0x00 };
/* Enhanced RTMP audio */
static const guint8 opus_sequence_start[]
    = { 0x90, 'O', 'p', 'u', 's', 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 0x01,
        0x02, 0x38, 0x01, 0x80, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const guint8 opus_coded_frames[]
    = { 0x91, 'O', 'p', 'u', 's', 0xfc, 0xff, 0xfe };
static const guint8 flac_sequence_start[]
    = { 0x90, 'f', 'L', 'a', 'C', 'f', 'L', 'a', 'C', 0x80, 0x00, 0x00, 0x22,
        0x10, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0xc4,
        0x42, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const guint8 ac3_coded_frames[]
    = { 0x91, 'a', 'c', '-', '3', 0x0b, 0x77, 0x00, 0x00 };
static const guint8 eac3_sequence_end[] = { 0x92, 'e', 'c', '-', '3' };
static const guint8 mp3_ex_coded_frames[]
    = { 0x91, '.', 'm', 'p', '3', 0xff, 0xfb };
static const guint8 aac_ex_sequence_start[]
    = { 0x90, 'm', 'p', '4', 'a', 0x12, 0x10 };
/* 5.1: native order, 6 channels, mask FL FR FC LFE BL BR */
static const guint8 multichannel_native_5_1[]
    = { 0x94, 'O', 'p', 'u', 's', 0x01, 0x06, 0x00, 0x00, 0x00, 0x3f };
/* custom order, 2 channels mapped FR, FL */
static const guint8 multichannel_custom_swapped[]
    = { 0x94, 'O', 'p', 'u', 's', 0x02, 0x02, 0x01, 0x00 };
static const guint8 audio_multitrack_many_tracks_aac[] = { 0x95, 0x11, 'm', 'p',
  '4', 'a', 0x00, 0x00, 0x00, 0x02, 0x21, 0x10, 0x01, 0x00, 0x00, 0x01, 0x21 };
static const guint8 audio_mod_ex_timestamp_offset[]
    = { 0x97, 0x02, 0x00, 0x03, 0xe8, 0x01, 'O', 'p', 'u', 's', 0xfc };

/* --- stream helpers --- */

typedef struct
{
  guint8 type;
  guint32 timestamp;
  const guint8 *body;
  gsize body_len;
} ExpectedTag;

#define TAG(type, ts, body) \
  { \
    type, ts, body, sizeof (body) \
  }

static GBytes *
piece_new (const guint8 *data, gsize len)
{
  /* a copy, so that every piece has its own address range */
  return g_bytes_new (len > 0 ? data : NULL, len);
}

/* Feeds @pieces in order; appends tags to @tags. Returns RTMP_READ_ERROR
 * (with @error set) or RTMP_READ_NEED_MORE once every piece is consumed. */
static RtmpReadResult
read_pieces (guint line, RtmpFlvReader *reader, GBytes **pieces, guint n_pieces,
    GPtrArray *tags, GError **error)
{
  guint i;

  for (i = 0; i < n_pieces; i++) {
    gsize len = g_bytes_get_size (pieces[i]);
    gsize pos = 0;

    for (;;) {
      RtmpFlvTag *tag = (RtmpFlvTag *) 0x1;
      gsize consumed = G_MAXSIZE;
      RtmpReadResult res = rtmp_flv_reader_read (reader, pieces[i], pos,
          &consumed, &tag, error);

      CHECK (consumed <= len - pos,
          "line %u: consumed %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, line,
          consumed, len - pos);
      pos += consumed;
      if (res == RTMP_READ_ERROR) {
        CHECK (error == NULL || *error != NULL, "line %u", line);
        CHECK (tag == NULL, "line %u: tag set on error", line);
        return res;
      }
      if (res == RTMP_READ_NEED_MORE) {
        CHECK (pos == len, "line %u: NEED_MORE left %" G_GSIZE_FORMAT " bytes",
            line, len - pos);
        CHECK (tag == NULL, "line %u: tag set on NEED_MORE", line);
        break;
      }
      CHECK (res == RTMP_READ_OK, "line %u: result %d", line, res);
      CHECK (tag != NULL, "line %u", line);
      g_ptr_array_add (tags, tag);
    }
  }
  return RTMP_READ_NEED_MORE;
}

static void
check_tags (guint line, GPtrArray *tags, const ExpectedTag *expected,
    guint n_expected)
{
  guint i;

  CHECK (tags->len == n_expected, "line %u: %u tags, expected %u", line,
      tags->len, n_expected);
  for (i = 0; i < n_expected; i++) {
    RtmpFlvTag *tag = g_ptr_array_index (tags, i);
    gsize len;
    const guint8 *data = g_bytes_get_data (tag->payload, &len);

    CHECK (tag->type == expected[i].type, "line %u: tag %u type %u", line, i,
        tag->type);
    CHECK (tag->timestamp == expected[i].timestamp,
        "line %u: tag %u timestamp %u, expected %u", line, i, tag->timestamp,
        expected[i].timestamp);
    CHECK (len == expected[i].body_len,
        "line %u: tag %u body %" G_GSIZE_FORMAT
        " bytes, expected %" G_GSIZE_FORMAT,
        line, i, len, expected[i].body_len);
    CHECK (len == 0 || memcmp (data, expected[i].body, len) == 0,
        "line %u: tag %u body differs", line, i);
  }
}

/* Checks that each payload whose body lies inside one piece points into
 * that piece (no copy), and that the others point into none. */
static void
check_zero_copy (guint line, GPtrArray *tags, GBytes **pieces, guint n_pieces)
{
  guint i, j;

  for (i = 0; i < tags->len; i++) {
    RtmpFlvTag *tag = g_ptr_array_index (tags, i);
    guint64 start = tag->offset + RTMP_FLV_TAG_HEADER_LEN;
    gsize len;
    const guint8 *data = g_bytes_get_data (tag->payload, &len);
    guint64 end = start + len;
    guint64 piece_start = 0;

    if (len == 0)
      continue;
    for (j = 0; j < n_pieces; j++) {
      gsize piece_len;
      const guint8 *piece = g_bytes_get_data (pieces[j], &piece_len);
      guint64 piece_end = piece_start + piece_len;

      if (start >= piece_start && end <= piece_end) {
        CHECK (data == piece + (start - piece_start),
            "line %u: tag %u at offset %" G_GUINT64_FORMAT
            " lies in piece %u but was copied",
            line, i, tag->offset, j);
      } else if (piece_len > 0) {
        CHECK (!(data >= piece && data < piece + piece_len),
            "line %u: tag %u spans pieces but points into piece %u", line, i,
            j);
      }
      piece_start = piece_end;
    }
  }
}

static GPtrArray *
read_split (guint line, const guint8 *data, gsize len, const gsize *splits,
    guint n_splits)
{
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  GPtrArray *tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  GBytes **pieces = g_new0 (GBytes *, n_splits + 1);
  g_autoptr (GError) error = NULL;
  gsize start = 0;
  guint i;

  for (i = 0; i <= n_splits; i++) {
    gsize end = i < n_splits ? splits[i] : len;

    pieces[i] = piece_new (data + start, end - start);
    start = end;
  }
  CHECK (read_pieces (line, reader, pieces, n_splits + 1, tags, &error)
          == RTMP_READ_NEED_MORE,
      "line %u: %s", line, error ? error->message : "");
  CHECK (error == NULL, "line %u: %s", line, error ? error->message : "");
  CHECK (!rtmp_flv_reader_has_partial (reader), "line %u: partial at end",
      line);
  CHECK (rtmp_flv_reader_get_offset (reader) == len, "line %u", line);
  check_zero_copy (line, tags, pieces, n_splits + 1);

  for (i = 0; i <= n_splits; i++)
    g_bytes_unref (pieces[i]);
  g_free (pieces);
  return tags;
}

/* Reads @data whole, one byte at a time and split in two at every point;
 * every way must give @expected (when not NULL) or the same tags as the
 * whole read, with zero-copy payloads for bodies inside one piece. Returns
 * the tags of the whole read. */
static GPtrArray *
check_stream_full (guint line, const guint8 *data, gsize len,
    const ExpectedTag *expected, guint n_expected, gsize split_step)
{
  GPtrArray *whole = read_split (line, data, len, NULL, 0);
  g_autofree gsize *every_byte = g_new (gsize, len > 0 ? len : 1);
  GPtrArray *tags;
  ExpectedTag *from_whole;
  gsize i;

  if (expected != NULL)
    check_tags (line, whole, expected, n_expected);

  from_whole = g_new0 (ExpectedTag, whole->len);
  for (i = 0; i < whole->len; i++) {
    RtmpFlvTag *tag = g_ptr_array_index (whole, i);

    from_whole[i].type = tag->type;
    from_whole[i].timestamp = tag->timestamp;
    from_whole[i].body
        = g_bytes_get_data (tag->payload, &from_whole[i].body_len);
  }

  for (i = 1; i < len; i++)
    every_byte[i - 1] = i;
  if (len > 1) {
    tags = read_split (line, data, len, every_byte, len - 1);
    check_tags (line, tags, from_whole, whole->len);
    g_ptr_array_unref (tags);
  }

  for (i = 0; i <= len; i += split_step) {
    tags = read_split (line, data, len, &i, 1);
    check_tags (line, tags, from_whole, whole->len);
    g_ptr_array_unref (tags);
  }

  g_free (from_whole);
  return whole;
}

/* Every proper prefix of a valid stream is NEED_MORE, never an error, and
 * yields exactly the tags that end inside it. */
static void
check_truncations (guint line, const guint8 *data, gsize len, GPtrArray *whole)
{
  gsize i;

  for (i = 0; i < len; i++) {
    g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
    g_autoptr (GPtrArray) tags
        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
    g_autoptr (GError) error = NULL;
    GBytes *piece = piece_new (data, i);
    guint n_complete = 0, t;
    gboolean at_boundary = (i == 0);

    CHECK (read_pieces (line, reader, &piece, 1, tags, &error)
            == RTMP_READ_NEED_MORE,
        "line %u: prefix %" G_GSIZE_FORMAT ": %s", line, i,
        error ? error->message : "");
    g_bytes_unref (piece);
    CHECK (error == NULL, "line %u: prefix %" G_GSIZE_FORMAT ": %s", line, i,
        error ? error->message : "");

    for (t = 0; t < whole->len; t++) {
      RtmpFlvTag *tag = g_ptr_array_index (whole, t);
      guint64 end = tag->offset + RTMP_FLV_TAG_HEADER_LEN
          + g_bytes_get_size (tag->payload) + RTMP_FLV_TAG_TRAILER_LEN;

      if (end <= i)
        n_complete++;
      if (end == i || tag->offset == i)
        at_boundary = TRUE;
    }
    CHECK (tags->len == n_complete,
        "line %u: prefix %" G_GSIZE_FORMAT " gave %u tags, expected %u", line,
        i, tags->len, n_complete);
    CHECK (rtmp_flv_reader_has_partial (reader) == !at_boundary,
        "line %u: prefix %" G_GSIZE_FORMAT ": has_partial %d", line, i,
        rtmp_flv_reader_has_partial (reader));
  }
}

static void
check_stream (guint line, const guint8 *data, gsize len,
    const ExpectedTag *expected, guint n_expected)
{
  GPtrArray *whole
      = check_stream_full (line, data, len, expected, n_expected, 1);

  check_truncations (line, data, len, whole);
  g_ptr_array_unref (whole);
}

/* A malformed stream fails the same way however it is split. */
static void
check_stream_error (guint line, const guint8 *data, gsize len,
    const RtmpLimits *limits, gint code, const gchar *message)
{
  gsize i, n_ways = len + 2;

  /* way 0: whole; way 1: byte by byte; way 2 + i: split at i */
  for (i = 0; i < n_ways; i++) {
    g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (limits);
    g_autoptr (GPtrArray) tags
        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
    g_autoptr (GError) error = NULL;
    GBytes **pieces;
    guint n_pieces, p;

    if (i == 0) {
      n_pieces = 1;
      pieces = g_new (GBytes *, 1);
      pieces[0] = piece_new (data, len);
    } else if (i == 1) {
      n_pieces = len;
      pieces = g_new (GBytes *, len);
      for (p = 0; p < len; p++)
        pieces[p] = piece_new (data + p, 1);
    } else {
      n_pieces = 2;
      pieces = g_new (GBytes *, 2);
      pieces[0] = piece_new (data, i - 2);
      pieces[1] = piece_new (data + i - 2, len - (i - 2));
    }

    CHECK (read_pieces (line, reader, pieces, n_pieces, tags, &error)
            == RTMP_READ_ERROR,
        "line %u: way %" G_GSIZE_FORMAT " did not fail", line, i);
    CHECK (g_error_matches (error, RTMP_ERROR, code),
        "line %u: way %" G_GSIZE_FORMAT ": %s (code %d)", line, i,
        error->message, error->code);
    CHECK (g_strcmp0 (error->message, message) == 0,
        "line %u: way %" G_GSIZE_FORMAT ": \"%s\", expected \"%s\"", line, i,
        error->message, message);

    for (p = 0; p < n_pieces; p++)
      g_bytes_unref (pieces[p]);
    g_free (pieces);
  }
}

static GByteArray *
stream_new (gboolean with_header, guint8 flags)
{
  GByteArray *s = g_byte_array_new ();

  if (with_header) {
    guint8 h[RTMP_FLV_FILE_HEADER_LEN];

    g_byte_array_append (s, h, rtmp_flv_write_header (h, flags));
  }
  return s;
}

static void
append_expected (GByteArray *s, const ExpectedTag *tags, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    rtmp_flv_append_tag (s, tags[i].type, tags[i].timestamp, tags[i].body,
        tags[i].body_len);
}

/* --- reader tests --- */

/* header (audio only) + PreviousTagSize0 + one AAC sequence header tag,
 * written out by hand */
static const guint8 audio_only_file[] = {
  'F', 'L', 'V', 0x01, 0x04, 0x00, 0x00, 0x00, 0x09, /* header */
  0x00, 0x00, 0x00, 0x00,                            /* PreviousTagSize0 */
  0x08, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xaf, 0x00,
  0x12, 0x10,             /* body */
  0x00, 0x00, 0x00, 0x0f, /* 11 + 4 */
};

GST_START_TEST (test_reader_audio_only_file)
{
  static const ExpectedTag expected[] = {
    TAG (RTMP_FLV_TAG_AUDIO, 0, aac_sequence_header),
  };
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GBytes) input
      = g_bytes_new_static (audio_only_file, sizeof (audio_only_file));
  g_autoptr (RtmpFlvTag) tag = NULL;
  g_autoptr (GError) error = NULL;
  RtmpFlvHeader header;
  gsize consumed;

  check_stream (__LINE__, audio_only_file, sizeof (audio_only_file), expected,
      G_N_ELEMENTS (expected));

  fail_if (rtmp_flv_reader_get_header (reader, &header));
  fail_unless_equals_int (
      rtmp_flv_reader_read (reader, input, 0, &consumed, &tag, &error),
      RTMP_READ_OK);
  fail_unless_equals_int (consumed, sizeof (audio_only_file));
  fail_unless (rtmp_flv_reader_get_header (reader, &header));
  fail_unless_equals_int (header.version, 1);
  fail_unless_equals_int (header.flags, RTMP_FLV_HEADER_FLAG_AUDIO);
  fail_unless_equals_int (header.header_len, 9);
  fail_unless (rtmp_flv_reader_get_header (reader, NULL));
  fail_unless_equals_int (tag->offset, 13);
  fail_unless (g_bytes_get_data (tag->payload, NULL) == audio_only_file + 24);
}

GST_END_TEST;

/* no FLV header: the stream starts with a tag; its timestamp uses the
 * extension byte (0x12345678) */
static const guint8 headerless_extended_timestamp[] = {
  0x09,
  0x00,
  0x00,
  0x05,
  0x34,
  0x56,
  0x78,
  0x12,
  0x00,
  0x00,
  0x00,
  0x17,
  0x02,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x10,
};

GST_START_TEST (test_reader_headerless_extended_timestamp)
{
  static const ExpectedTag expected[] = {
    TAG (RTMP_FLV_TAG_VIDEO, 0x12345678, avc_end_of_sequence),
  };
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GPtrArray) tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  GBytes *piece = piece_new (headerless_extended_timestamp,
      sizeof (headerless_extended_timestamp));

  check_stream (__LINE__, headerless_extended_timestamp,
      sizeof (headerless_extended_timestamp), expected,
      G_N_ELEMENTS (expected));

  fail_unless_equals_int (read_pieces (__LINE__, reader, &piece, 1, tags, NULL),
      RTMP_READ_NEED_MORE);
  g_bytes_unref (piece);
  fail_if (rtmp_flv_reader_get_header (reader, NULL));
  fail_unless_equals_int (tags->len, 1);
  fail_unless_equals_int (((RtmpFlvTag *) tags->pdata[0])->offset, 0);
}

GST_END_TEST;

/* a legacy AVC + AAC stream like flvmux writes: metadata, sequence headers,
 * negative composition time, empty body, 32-bit timestamps */
GST_START_TEST (test_reader_legacy_stream)
{
  static const guint8 empty[] = { 0 };
  static const ExpectedTag expected[] = {
    TAG (RTMP_FLV_TAG_SCRIPT, 0, on_metadata),
    TAG (RTMP_FLV_TAG_VIDEO, 0, avc_sequence_header),
    TAG (RTMP_FLV_TAG_AUDIO, 0, aac_sequence_header),
    TAG (RTMP_FLV_TAG_VIDEO, 0, avc_keyframe_ct_0),
    TAG (RTMP_FLV_TAG_AUDIO, 21, aac_raw),
    TAG (RTMP_FLV_TAG_VIDEO, 33, avc_inter_ct_80),
    TAG (RTMP_FLV_TAG_VIDEO, 66, avc_inter_ct_minus_33),
    { RTMP_FLV_TAG_AUDIO, 0x00ffffff, empty, 0 },
    TAG (RTMP_FLV_TAG_AUDIO, 0x01000000, aac_raw),
    TAG (RTMP_FLV_TAG_VIDEO, 0xfffffffe, avc_end_of_sequence),
  };
  g_autoptr (GByteArray) s = stream_new (TRUE,
      RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO);

  append_expected (s, expected, G_N_ELEMENTS (expected));
  check_stream (__LINE__, s->data, s->len, expected, G_N_ELEMENTS (expected));
}

GST_END_TEST;

/* Enhanced RTMP tags travel in the same FLV framing */
GST_START_TEST (test_reader_enhanced_stream)
{
  static const ExpectedTag expected[] = {
    TAG (RTMP_FLV_TAG_SCRIPT, 0, on_metadata),
    TAG (RTMP_FLV_TAG_VIDEO, 0, hevc_sequence_start),
    TAG (RTMP_FLV_TAG_AUDIO, 0, opus_sequence_start),
    TAG (RTMP_FLV_TAG_VIDEO, 0, hevc_coded_frames_key_ct_40),
    TAG (RTMP_FLV_TAG_AUDIO, 20, opus_coded_frames),
    TAG (RTMP_FLV_TAG_VIDEO, 33, hevc_coded_frames_x_inter),
    TAG (RTMP_FLV_TAG_VIDEO, 66, multitrack_many_tracks_hevc),
    TAG (RTMP_FLV_TAG_VIDEO, 100, mod_ex_timestamp_offset_hevc),
    TAG (RTMP_FLV_TAG_AUDIO, 100, audio_multitrack_many_tracks_aac),
    TAG (RTMP_FLV_TAG_VIDEO, 133, av1_sequence_start),
    TAG (RTMP_FLV_TAG_VIDEO, 133, av1_coded_frames_key),
    TAG (RTMP_FLV_TAG_VIDEO, 166, vp9_sequence_start),
    TAG (RTMP_FLV_TAG_VIDEO, 166, vp9_coded_frames_inter),
    TAG (RTMP_FLV_TAG_AUDIO, 200, flac_sequence_start),
  };
  g_autoptr (GByteArray) s = stream_new (TRUE,
      RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO);

  append_expected (s, expected, G_N_ELEMENTS (expected));
  check_stream (__LINE__, s->data, s->len, expected, G_N_ELEMENTS (expected));
}

GST_END_TEST;

/* DataOffset > 9: the extra header bytes are skipped */
GST_START_TEST (test_reader_long_header)
{
  static const ExpectedTag expected[] = {
    TAG (RTMP_FLV_TAG_AUDIO, 7, aac_raw),
  };
  static const guint8 long_header[] = { 'F', 'L', 'V', 0x01, 0x05, 0x00, 0x00,
    0x00, 0x0c, 0xaa, 0xbb, 0xcc, 0x00, 0x00, 0x00, 0x00 };
  g_autoptr (GByteArray) s = g_byte_array_new ();
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GPtrArray) tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  GBytes *piece;
  RtmpFlvHeader header;

  g_byte_array_append (s, long_header, sizeof (long_header));
  append_expected (s, expected, G_N_ELEMENTS (expected));
  check_stream (__LINE__, s->data, s->len, expected, G_N_ELEMENTS (expected));

  piece = piece_new (s->data, s->len);
  read_pieces (__LINE__, reader, &piece, 1, tags, NULL);
  g_bytes_unref (piece);
  fail_unless (rtmp_flv_reader_get_header (reader, &header));
  fail_unless_equals_int (header.header_len, 12);
  fail_unless_equals_int (header.flags, 5);
}

GST_END_TEST;

GST_START_TEST (test_reader_empty_input)
{
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GBytes) some = g_bytes_new_static (audio_only_file, 5);
  RtmpFlvTag *tag = NULL;
  gsize consumed = 1;

  fail_unless_equals_int (
      rtmp_flv_reader_read (reader, empty, 0, &consumed, &tag, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (consumed, 0);
  fail_if (rtmp_flv_reader_has_partial (reader));
  /* an offset at the end of the input is empty input too */
  fail_unless_equals_int (
      rtmp_flv_reader_read (reader, some, 5, &consumed, &tag, NULL),
      RTMP_READ_NEED_MORE);
  fail_unless_equals_int (consumed, 0);
  fail_unless_equals_int (rtmp_flv_reader_get_offset (reader), 0);
  fail_unless (tag == NULL);
}

GST_END_TEST;

/* the element's loop: one GBytes per buffer, read from an offset */
GST_START_TEST (test_reader_offsets_in_one_piece)
{
  static const ExpectedTag expected[] = {
    TAG (RTMP_FLV_TAG_VIDEO, 0, avc_sequence_header),
    TAG (RTMP_FLV_TAG_VIDEO, 40, avc_keyframe_ct_0),
    TAG (RTMP_FLV_TAG_AUDIO, 41, aac_raw),
  };
  g_autoptr (GByteArray) s = stream_new (TRUE, RTMP_FLV_HEADER_FLAG_VIDEO);
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GBytes) input = NULL;
  gsize pos = 0, consumed;
  guint n = 0;

  append_expected (s, expected, G_N_ELEMENTS (expected));
  input = g_bytes_new (s->data, s->len);

  for (;;) {
    g_autoptr (RtmpFlvTag) tag = NULL;
    RtmpReadResult res
        = rtmp_flv_reader_read (reader, input, pos, &consumed, &tag, NULL);

    pos += consumed;
    if (res == RTMP_READ_NEED_MORE)
      break;
    fail_unless_equals_int (res, RTMP_READ_OK);
    fail_unless_equals_int (tag->type, expected[n].type);
    /* the reader's offset and the caller's position agree */
    fail_unless_equals_int (rtmp_flv_reader_get_offset (reader), pos);
    fail_unless ((const guint8 *) g_bytes_get_data (tag->payload, NULL)
        == (const guint8 *) g_bytes_get_data (input, NULL) + tag->offset
            + RTMP_FLV_TAG_HEADER_LEN);
    n++;
  }
  fail_unless_equals_int (n, G_N_ELEMENTS (expected));
  fail_unless_equals_int (pos, s->len);
}

GST_END_TEST;

/* a tag whose body arrives in three pieces is assembled once */
GST_START_TEST (test_reader_body_across_three_pieces)
{
  static const ExpectedTag expected[] = {
    TAG (RTMP_FLV_TAG_VIDEO, 0, avc_sequence_header),
  };
  g_autoptr (GByteArray) s = stream_new (FALSE, 0);
  /* pieces: header + 3 body bytes | 10 body bytes | rest */
  const gsize splits[] = { 14, 24 };
  GPtrArray *tags;

  append_expected (s, expected, G_N_ELEMENTS (expected));
  tags = read_split (__LINE__, s->data, s->len, splits, G_N_ELEMENTS (splits));
  check_tags (__LINE__, tags, expected, G_N_ELEMENTS (expected));
  g_ptr_array_unref (tags);
}

GST_END_TEST;

/* after reset, a new stream (with its own header) is read from offset 0 */
GST_START_TEST (test_reader_reset)
{
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  g_autoptr (GPtrArray) tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  g_autoptr (GError) error = NULL;
  GBytes *piece;

  /* half a stream, then a reset */
  piece = piece_new (audio_only_file, 20);
  read_pieces (__LINE__, reader, &piece, 1, tags, NULL);
  g_bytes_unref (piece);
  fail_unless (rtmp_flv_reader_has_partial (reader));
  fail_unless (rtmp_flv_reader_get_header (reader, NULL));
  rtmp_flv_reader_reset (reader);
  fail_if (rtmp_flv_reader_has_partial (reader));
  fail_if (rtmp_flv_reader_get_header (reader, NULL));
  fail_unless_equals_int (rtmp_flv_reader_get_offset (reader), 0);

  piece = piece_new (audio_only_file, sizeof (audio_only_file));
  fail_unless_equals_int (
      read_pieces (__LINE__, reader, &piece, 1, tags, &error),
      RTMP_READ_NEED_MORE);
  g_bytes_unref (piece);
  fail_unless_equals_int (tags->len, 1);
  fail_unless_equals_int (((RtmpFlvTag *) tags->pdata[0])->offset, 13);

  /* without a reset, a second header is an error that says what it is */
  piece = piece_new (audio_only_file, sizeof (audio_only_file));
  fail_unless_equals_int (
      read_pieces (__LINE__, reader, &piece, 1, tags, &error), RTMP_READ_ERROR);
  g_bytes_unref (piece);
  fail_unless_equals_string (error->message,
      "tag at offset 32: an FLV header where a tag should be (a second "
      "stream needs a reader reset)");
  /* and a reset makes a failed reader usable again */
  g_clear_error (&error);
  rtmp_flv_reader_reset (reader);
  piece = piece_new (audio_only_file, sizeof (audio_only_file));
  fail_unless_equals_int (
      read_pieces (__LINE__, reader, &piece, 1, tags, &error),
      RTMP_READ_NEED_MORE);
  g_bytes_unref (piece);
  fail_unless_equals_int (tags->len, 2);
}

GST_END_TEST;

/* --- malformed streams --- */

GST_START_TEST (test_reader_bad_signature)
{
  static const guint8 bad[] = { 'F', 'L', 'X', 0x01, 0x05, 0x00, 0x00, 0x00,
    0x09, 0x00, 0x00, 0x00, 0x00 };

  check_stream_error (__LINE__, bad, sizeof (bad), NULL, RTMP_ERROR_MALFORMED,
      "FLV header: signature 46 4c 58, expected \"FLV\"");
}

GST_END_TEST;

GST_START_TEST (test_reader_bad_version)
{
  static const guint8 bad[]
      = { 'F', 'L', 'V', 0x02, 0x05, 0x00, 0x00, 0x00, 0x09 };

  check_stream_error (__LINE__, bad, sizeof (bad), NULL, RTMP_ERROR_UNSUPPORTED,
      "FLV header: version 2, only version 1 is "
      "supported");
}

GST_END_TEST;

GST_START_TEST (test_reader_short_header_size)
{
  static const guint8 bad[]
      = { 'F', 'L', 'V', 0x01, 0x05, 0x00, 0x00, 0x00, 0x08 };

  check_stream_error (__LINE__, bad, sizeof (bad), NULL, RTMP_ERROR_MALFORMED,
      "FLV header: header size 8, less than 9");
}

GST_END_TEST;

GST_START_TEST (test_reader_huge_header_size)
{
  static const guint8 bad[]
      = { 'F', 'L', 'V', 0x01, 0x05, 0x46, 0x4c, 0x56, 0x01 };
  RtmpLimits limits;

  rtmp_limits_init_default (&limits);
  limits.max_message_bytes = 1000;
  check_stream_error (__LINE__, bad, sizeof (bad), &limits, RTMP_ERROR_LIMIT,
      "FLV header: header size 1179407873 exceeds limit 1009");
}

GST_END_TEST;

GST_START_TEST (test_reader_bad_previous_tag_size_0)
{
  static const guint8 bad[] = { 'F', 'L', 'V', 0x01, 0x05, 0x00, 0x00, 0x00,
    0x09, 0x00, 0x00, 0x00, 0x0b };

  check_stream_error (__LINE__, bad, sizeof (bad), NULL, RTMP_ERROR_MALFORMED,
      "FLV header: previous tag size 11, expected 0");
}

GST_END_TEST;

/* the second tag's PreviousTagSize says 15 where 11 + 8 = 19 is right */
GST_START_TEST (test_reader_bad_previous_tag_size)
{
  g_autoptr (GByteArray) s = stream_new (TRUE, RTMP_FLV_HEADER_FLAG_AUDIO);

  rtmp_flv_append_tag (s, RTMP_FLV_TAG_AUDIO, 0, aac_sequence_header,
      sizeof (aac_sequence_header));
  rtmp_flv_append_tag (s, RTMP_FLV_TAG_AUDIO, 0, aac_raw, sizeof (aac_raw));
  s->data[s->len - 1] = 15;
  check_stream_error (__LINE__, s->data, s->len, NULL, RTMP_ERROR_MALFORMED,
      "tag at offset 32: previous tag size 15, expected 19");
}

GST_END_TEST;

GST_START_TEST (test_reader_oversize_tag)
{
  g_autoptr (GByteArray) s = stream_new (TRUE, RTMP_FLV_HEADER_FLAG_AUDIO);
  RtmpLimits limits;
  guint8 body[101] = { 0xaf, 0x01 };

  rtmp_limits_init_default (&limits);
  limits.max_message_bytes = 100;
  /* the limit itself is fine */
  rtmp_flv_append_tag (s, RTMP_FLV_TAG_AUDIO, 0, body, 100);
  rtmp_flv_append_tag (s, RTMP_FLV_TAG_AUDIO, 0, body, 101);
  check_stream_error (__LINE__, s->data, s->len, &limits, RTMP_ERROR_LIMIT,
      "tag at offset 128: data size 101 exceeds limit 100");
}

GST_END_TEST;

GST_START_TEST (test_reader_unknown_tag_type)
{
  g_autoptr (GByteArray) s = stream_new (TRUE, RTMP_FLV_HEADER_FLAG_AUDIO);

  rtmp_flv_append_tag (s, 7, 0, aac_raw, sizeof (aac_raw));
  check_stream_error (__LINE__, s->data, s->len, NULL, RTMP_ERROR_MALFORMED,
      "tag at offset 13: unknown tag type 7 (0x07)");
}

GST_END_TEST;

/* the Reserved bits (E.4.1) must be 0 */
GST_START_TEST (test_reader_reserved_tag_type_bits)
{
  g_autoptr (GByteArray) s = stream_new (FALSE, 0);

  rtmp_flv_append_tag (s, 0x48, 0, aac_raw, sizeof (aac_raw));
  check_stream_error (__LINE__, s->data, s->len, NULL, RTMP_ERROR_MALFORMED,
      "tag at offset 0: unknown tag type 72 (0x48)");
}

GST_END_TEST;

GST_START_TEST (test_reader_encrypted_tag)
{
  g_autoptr (GByteArray) s = stream_new (TRUE, RTMP_FLV_HEADER_FLAG_VIDEO);

  rtmp_flv_append_tag (s, RTMP_FLV_TAG_VIDEO, 0, avc_keyframe_ct_0,
      sizeof (avc_keyframe_ct_0));
  rtmp_flv_append_tag (s, 0x20 | RTMP_FLV_TAG_VIDEO, 40, avc_keyframe_ct_0,
      sizeof (avc_keyframe_ct_0));
  check_stream_error (__LINE__, s->data, s->len, NULL, RTMP_ERROR_UNSUPPORTED,
      "tag at offset 42: encrypted tag (Filter bit "
      "set, type 9) not supported");
}

GST_END_TEST;

/* --- real file --- */

/* tests/files/flv/gst-x264-aac.flv (see tests/files/README.md). ffprobe
 * -show_packets reports 30 video packets (3 keyframes, pts - dts summing
 * to 1899 ms) and 31 audio packets; sequence headers, the AVC end of
 * sequence that flvmux writes at EOS and onMetaData are tags ffprobe does
 * not count as packets. */
GST_START_TEST (test_reader_real_file)
{
  g_autofree gchar *path
      = g_build_filename (RTMP_TEST_FILES_DIR, "flv", "gst-x264-aac.flv", NULL);
  g_autofree gchar *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  GPtrArray *tags;
  gsize len;
  guint i, n_audio = 0, n_video = 0, n_script = 0, n_key = 0,
           n_video_frames = 0, n_audio_frames = 0, n_video_seq = 0,
           n_audio_seq = 0, n_seq_end = 0;
  gint64 ct_sum = 0;
  RtmpFlvHeader header;
  GBytes *piece;
  g_autoptr (GPtrArray) tags2
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);

  fail_unless (g_file_get_contents (path, &contents, &len, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (len, 30561);

  /* whole, byte by byte, and split every 7th byte */
  tags = check_stream_full (__LINE__, (const guint8 *) contents, len, NULL, 0,
      7);

  fail_unless_equals_int (tags->len, 65);
  for (i = 0; i < tags->len; i++) {
    RtmpFlvTag *tag = g_ptr_array_index (tags, i);
    gsize body_len;
    const guint8 *body = g_bytes_get_data (tag->payload, &body_len);

    if (tag->type == RTMP_FLV_TAG_VIDEO) {
      RtmpFlvVideoInfo info;

      n_video++;
      fail_unless (rtmp_flv_parse_video_header (body, body_len, &info, &error),
          "%s", error ? error->message : "");
      fail_unless_equals_int (info.codec_id, RTMP_FLV_VIDEO_CODEC_AVC);
      fail_unless_equals_int (info.fourcc, RTMP_FLV_FOURCC_AVC1);
      fail_unless_equals_int (info.data_offset, 5);
      if (info.is_keyframe)
        n_key++;
      if (info.is_sequence_header)
        n_video_seq++;
      if (info.is_sequence_end)
        n_seq_end++;
      if (info.packet_type == RTMP_FLV_VIDEO_PACKET_CODED_FRAMES) {
        n_video_frames++;
        ct_sum += info.composition_time_ms;
      }
    } else if (tag->type == RTMP_FLV_TAG_AUDIO) {
      RtmpFlvAudioInfo info;

      n_audio++;
      fail_unless (rtmp_flv_parse_audio_header (body, body_len, &info, &error),
          "%s", error ? error->message : "");
      fail_unless_equals_int (info.sound_format, RTMP_FLV_SOUND_FORMAT_AAC);
      if (info.is_sequence_header)
        n_audio_seq++;
      else
        n_audio_frames++;
    } else {
      fail_unless_equals_int (tag->type, RTMP_FLV_TAG_SCRIPT);
      fail_unless_equals_int (i, 0);
      fail_unless (rtmp_flv_script_is_on_metadata (body, body_len));
      n_script++;
    }
  }
  fail_unless_equals_int (n_script, 1);
  fail_unless_equals_int (n_video, 32);
  fail_unless_equals_int (n_audio, 32);
  fail_unless_equals_int (n_video_frames, 30);
  fail_unless_equals_int (n_key, 3);
  fail_unless_equals_int (n_video_seq, 1);
  fail_unless_equals_int (n_seq_end, 1);
  fail_unless_equals_int (ct_sum, 1899);
  fail_unless_equals_int (n_audio_frames, 31);
  fail_unless_equals_int (n_audio_seq, 1);
  fail_unless_equals_int (((RtmpFlvTag *) tags->pdata[64])->timestamp, 900);
  g_ptr_array_unref (tags);

  piece = piece_new ((const guint8 *) contents, len);
  read_pieces (__LINE__, reader, &piece, 1, tags2, NULL);
  g_bytes_unref (piece);
  fail_unless (rtmp_flv_reader_get_header (reader, &header));
  fail_unless_equals_int (header.flags,
      RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO);
}

GST_END_TEST;

/* --- writers --- */

GST_START_TEST (test_write_header)
{
  static const guint8 expected[] = { 'F', 'L', 'V', 0x01, 0x05, 0x00, 0x00,
    0x00, 0x09, 0x00, 0x00, 0x00, 0x00 };
  guint8 out[RTMP_FLV_FILE_HEADER_LEN];

  fail_unless_equals_int (
      rtmp_flv_write_header (out,
          RTMP_FLV_HEADER_FLAG_AUDIO | RTMP_FLV_HEADER_FLAG_VIDEO),
      sizeof (expected));
  fail_unless (memcmp (out, expected, sizeof (expected)) == 0);
}

GST_END_TEST;

GST_START_TEST (test_write_tag_header_and_trailer)
{
  static const guint8 expected_header[]
      = { 0x09, 0x00, 0x01, 0x2c, 0x34, 0x56, 0x78, 0x12, 0x00, 0x00, 0x00 };
  static const guint8 expected_trailer[] = { 0x00, 0x00, 0x01, 0x37 };
  static const guint8 expected_max[]
      = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00 };
  guint8 out[RTMP_FLV_TAG_HEADER_LEN];

  fail_unless_equals_int (
      rtmp_flv_write_tag_header (out, RTMP_FLV_TAG_VIDEO, 300, 0x12345678),
      RTMP_FLV_TAG_HEADER_LEN);
  fail_unless (memcmp (out, expected_header, sizeof (expected_header)) == 0);
  fail_unless_equals_int (rtmp_flv_write_tag_trailer (out, 300),
      RTMP_FLV_TAG_TRAILER_LEN);
  fail_unless (memcmp (out, expected_trailer, sizeof (expected_trailer)) == 0);
  rtmp_flv_write_tag_header (out, RTMP_FLV_TAG_AUDIO, RTMP_FLV_MAX_DATA_SIZE,
      G_MAXUINT32);
  fail_unless (memcmp (out, expected_max, sizeof (expected_max)) == 0);
}

GST_END_TEST;

/* [header][payload][trailer] built the way rtmpsrc does reads back */
GST_START_TEST (test_write_round_trip)
{
  static const ExpectedTag expected[] = {
    TAG (RTMP_FLV_TAG_SCRIPT, 0, on_metadata),
    TAG (RTMP_FLV_TAG_VIDEO, 0, hevc_sequence_start),
    TAG (RTMP_FLV_TAG_VIDEO, 0xabcdef12, hevc_coded_frames_key_ct_40),
  };
  g_autoptr (GByteArray) s = g_byte_array_new ();
  guint8 b[RTMP_FLV_FILE_HEADER_LEN];
  guint i;

  g_byte_array_append (s, b,
      rtmp_flv_write_header (b, RTMP_FLV_HEADER_FLAG_VIDEO));
  for (i = 0; i < G_N_ELEMENTS (expected); i++) {
    g_byte_array_append (s, b,
        rtmp_flv_write_tag_header (b, expected[i].type, expected[i].body_len,
            expected[i].timestamp));
    g_byte_array_append (s, expected[i].body, expected[i].body_len);
    g_byte_array_append (s, b,
        rtmp_flv_write_tag_trailer (b, expected[i].body_len));
  }
  check_stream (__LINE__, s->data, s->len, expected, G_N_ELEMENTS (expected));
}

GST_END_TEST;

/* --- video headers --- */

static void
check_video_info (guint line, const RtmpFlvVideoInfo *got,
    const RtmpFlvVideoInfo *want)
{
  guint i;

#define CHECK_FIELD(f) \
  fail_unless (got->f == want->f, "line %u: " #f " is %ld, expected %ld", \
      line, (glong) got->f, (glong) want->f)
  CHECK_FIELD (is_ex_header);
  CHECK_FIELD (frame_type);
  CHECK_FIELD (codec_id);
  CHECK_FIELD (fourcc);
  CHECK_FIELD (packet_type);
  CHECK_FIELD (composition_time_ms);
  CHECK_FIELD (is_keyframe);
  CHECK_FIELD (is_sequence_header);
  CHECK_FIELD (is_sequence_end);
  CHECK_FIELD (is_command);
  CHECK_FIELD (command);
  CHECK_FIELD (has_timestamp_offset);
  CHECK_FIELD (timestamp_offset_ns);
  CHECK_FIELD (is_multitrack);
  CHECK_FIELD (multitrack_type);
  fail_unless (got->n_tracks == MAX (want->n_tracks, 1),
      "line %u: n_tracks is %u", line, got->n_tracks);
  CHECK_FIELD (data_offset);
  for (i = 0;
       want->is_multitrack && i < MIN (want->n_tracks, RTMP_FLV_MAX_TRACKS);
       i++) {
    CHECK_FIELD (tracks[i].track_id);
    CHECK_FIELD (tracks[i].fourcc);
    CHECK_FIELD (tracks[i].composition_time_ms);
    CHECK_FIELD (tracks[i].offset);
    CHECK_FIELD (tracks[i].len);
    CHECK_FIELD (tracks[i].data_offset);
    CHECK_FIELD (tracks[i].data_len);
  }
#undef CHECK_FIELD
}

/* Parses @data, compares with @want, and (for @canonical vectors, the form
 * our writer produces) writes the header back from the parsed info and
 * compares it with the vector's bytes up to the data. */
static void
check_video (guint line, const guint8 *data, gsize len,
    const RtmpFlvVideoInfo *want, gboolean canonical)
{
  RtmpFlvVideoInfo got;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();

  fail_unless (rtmp_flv_parse_video_header (data, len, &got, &error),
      "line %u: %s", line, error ? error->message : "");
  check_video_info (line, &got, want);
  if (!canonical)
    return;

  rtmp_flv_append_video_header (out, &got);
  if (!got.is_multitrack) {
    fail_unless (out->len == got.data_offset,
        "line %u: wrote %u bytes, "
        "expected %" G_GSIZE_FORMAT,
        line, out->len, got.data_offset);
  } else {
    guint i;

    /* rebuild the body track by track */
    for (i = 0; i < got.n_tracks; i++) {
      const RtmpFlvTrack *t = &got.tracks[i];

      rtmp_flv_append_track_header (out, got.multitrack_type, t->fourcc,
          t->track_id, t->len);
      g_byte_array_append (out, data + t->offset, t->len);
    }
    fail_unless (out->len == len,
        "line %u: rebuilt %u bytes of %" G_GSIZE_FORMAT, line, out->len, len);
  }
  fail_unless (memcmp (out->data, data, out->len) == 0,
      "line %u: written header differs", line);
}

static void
check_video_error (guint line, const guint8 *data, gsize len, gint code,
    const gchar *message)
{
  RtmpFlvVideoInfo info;
  g_autoptr (GError) error = NULL;
  gsize i;

  fail_if (rtmp_flv_parse_video_header (data, len, &info, &error), "line %u",
      line);
  fail_unless (g_error_matches (error, RTMP_ERROR, code),
      "line %u: %s (code %d)", line, error->message, error->code);
  fail_unless_equals_string (error->message, message);

  /* every truncation of a bad header fails too, never crashes */
  for (i = 0; i < len; i++) {
    g_clear_error (&error);
    if (!rtmp_flv_parse_video_header (data, i, &info, &error))
      fail_unless (error != NULL && error->domain == RTMP_ERROR);
  }
}

/* every proper prefix of a header is a "truncated" error (or, for legacy
 * codecs without packet header, parses) */
static void
check_video_truncations (guint line, const guint8 *data, gsize data_offset)
{
  gsize i;

  for (i = 0; i < data_offset; i++) {
    RtmpFlvVideoInfo info;
    g_autoptr (GError) error = NULL;

    fail_if (rtmp_flv_parse_video_header (data, i, &info, &error),
        "line %u: prefix %" G_GSIZE_FORMAT " parsed", line, i);
    fail_unless (g_error_matches (error, RTMP_ERROR, RTMP_ERROR_MALFORMED),
        "line %u: prefix %" G_GSIZE_FORMAT ": %s", line, i, error->message);
  }
}

#define VIDEO(d, canonical, ...) \
  do { \
    const RtmpFlvVideoInfo want_ = { __VA_ARGS__ }; \
    check_video (__LINE__, d, sizeof (d), &want_, canonical); \
    check_video_truncations (__LINE__, d, want_.data_offset); \
  } while (0)

GST_START_TEST (test_video_legacy)
{
  VIDEO (avc_sequence_header, TRUE, .frame_type = RTMP_FLV_VIDEO_FRAME_KEY,
      .codec_id = RTMP_FLV_VIDEO_CODEC_AVC, .fourcc = RTMP_FLV_FOURCC_AVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  VIDEO (avc_keyframe_ct_0, TRUE, .frame_type = RTMP_FLV_VIDEO_FRAME_KEY,
      .codec_id = RTMP_FLV_VIDEO_CODEC_AVC, .fourcc = RTMP_FLV_FOURCC_AVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .is_keyframe = TRUE,
      .data_offset = 5);
  VIDEO (avc_inter_ct_80, TRUE, .frame_type = RTMP_FLV_VIDEO_FRAME_INTER,
      .codec_id = RTMP_FLV_VIDEO_CODEC_AVC, .fourcc = RTMP_FLV_FOURCC_AVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES,
      .composition_time_ms = 80, .data_offset = 5);
  VIDEO (avc_inter_ct_minus_33, TRUE, .frame_type = RTMP_FLV_VIDEO_FRAME_INTER,
      .codec_id = RTMP_FLV_VIDEO_CODEC_AVC, .fourcc = RTMP_FLV_FOURCC_AVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES,
      .composition_time_ms = -33, .data_offset = 5);
  VIDEO (avc_end_of_sequence, TRUE, .frame_type = RTMP_FLV_VIDEO_FRAME_KEY,
      .codec_id = RTMP_FLV_VIDEO_CODEC_AVC, .fourcc = RTMP_FLV_FOURCC_AVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_END,
      .is_sequence_end = TRUE, .data_offset = 5);
  VIDEO (h263_disposable, TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_DISPOSABLE_INTER,
      .codec_id = RTMP_FLV_VIDEO_CODEC_H263,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .data_offset = 1);
  VIDEO (vp6_keyframe, TRUE, .frame_type = RTMP_FLV_VIDEO_FRAME_KEY,
      .codec_id = RTMP_FLV_VIDEO_CODEC_VP6,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .is_keyframe = TRUE,
      .data_offset = 1);
  VIDEO (legacy_command_start_seek, TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_COMMAND,
      .codec_id = RTMP_FLV_VIDEO_CODEC_AVC,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .is_command = TRUE,
      .command = RTMP_FLV_VIDEO_COMMAND_START_SEEK, .data_offset = 2);
}

GST_END_TEST;

/* HEVC with CodecID 12 and AV1 with 13, as some CDNs send them */
GST_START_TEST (test_video_legacy_hevc_av1_ids)
{
  VIDEO (legacy_hevc_12_sequence_header, TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY,
      .codec_id = RTMP_FLV_VIDEO_CODEC_HEVC, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  VIDEO (legacy_hevc_12_inter_ct_33, TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_INTER,
      .codec_id = RTMP_FLV_VIDEO_CODEC_HEVC, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES,
      .composition_time_ms = 33, .data_offset = 5);
  VIDEO (legacy_av1_13_keyframe, TRUE, .frame_type = RTMP_FLV_VIDEO_FRAME_KEY,
      .codec_id = RTMP_FLV_VIDEO_CODEC_AV1, .fourcc = RTMP_FLV_FOURCC_AV01,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .is_keyframe = TRUE,
      .data_offset = 5);
}

GST_END_TEST;

GST_START_TEST (test_video_enhanced)
{
  VIDEO (hevc_sequence_start, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  VIDEO (hevc_coded_frames_key_ct_40, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES,
      .composition_time_ms = 40, .is_keyframe = TRUE, .data_offset = 8);
  VIDEO (hevc_coded_frames_x_inter, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_INTER, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X, .data_offset = 5);
  VIDEO (hevc_coded_frames_ct_minus_1, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_INTER, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES,
      .composition_time_ms = -1, .data_offset = 8);
  VIDEO (av1_sequence_start, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_AV01,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  /* av01 CodedFrames carry no composition time */
  VIDEO (av1_coded_frames_key, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_AV01,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .is_keyframe = TRUE,
      .data_offset = 5);
  VIDEO (vp9_sequence_start, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_VP09,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  VIDEO (vp9_coded_frames_inter, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_INTER, .fourcc = RTMP_FLV_FOURCC_VP09,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .data_offset = 5);
  VIDEO (vp8_sequence_end, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_VP08,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_END,
      .is_sequence_end = TRUE, .data_offset = 5);
  VIDEO (av1_mpeg2ts_sequence_start, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_AV01,
      .packet_type = RTMP_FLV_VIDEO_PACKET_MPEG2TS_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  /* Metadata ignores the frame type, even a reserved one */
  VIDEO (hevc_metadata_frame_type_0, TRUE, .is_ex_header = TRUE,
      .frame_type = 0, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_METADATA, .data_offset = 5);
  /* a command frame has no FourCC */
  VIDEO (ex_command_end_seek, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_COMMAND,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_START, .is_command = TRUE,
      .command = RTMP_FLV_VIDEO_COMMAND_END_SEEK, .data_offset = 2);
  /* an unknown FourCC parses; its data is opaque */
  VIDEO (unknown_fourcc_coded_frames, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY,
      .fourcc = RTMP_FLV_FOURCC ('x', 'y', 'z', 'w'),
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .is_keyframe = TRUE,
      .data_offset = 5);
}

GST_END_TEST;

GST_START_TEST (test_video_multitrack)
{
  VIDEO (multitrack_many_tracks_hevc, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES,
      .composition_time_ms = 33, .is_keyframe = TRUE, .is_multitrack = TRUE,
      .multitrack_type = RTMP_FLV_MULTITRACK_MANY_TRACKS, .n_tracks = 2,
      .tracks = { { 0, RTMP_FLV_FOURCC_HVC1, 33, 10, 6, 13, 3 },
          { 1, RTMP_FLV_FOURCC_HVC1, -1, 20, 5, 23, 2 } },
      .data_offset = 13);
  VIDEO (multitrack_many_codecs_sequence_start, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_AVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .is_multitrack = TRUE,
      .multitrack_type = RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS,
      .n_tracks = 2,
      .tracks = { { 0, RTMP_FLV_FOURCC_AVC1, 0, 10, 2, 10, 2 },
          { 1, RTMP_FLV_FOURCC_AV01, 0, 20, 1, 20, 1 } },
      .data_offset = 10);
  VIDEO (multitrack_one_track_vp9, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_INTER, .fourcc = RTMP_FLV_FOURCC_VP09,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, .is_multitrack = TRUE,
      .multitrack_type = RTMP_FLV_MULTITRACK_ONE_TRACK,
      .tracks = { { 5, RTMP_FLV_FOURCC_VP09, 0, 7, 2, 7, 2 } },
      .data_offset = 7);
}

GST_END_TEST;

/* more tracks than RTMP_FLV_MAX_TRACKS: all counted, the first ones kept */
GST_START_TEST (test_video_multitrack_many)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();
  RtmpFlvVideoInfo info = {
    0,
  };
  guint i;

  info.is_ex_header = TRUE;
  info.frame_type = RTMP_FLV_VIDEO_FRAME_INTER;
  info.packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X;
  info.fourcc = RTMP_FLV_FOURCC_VP09;
  info.is_multitrack = TRUE;
  info.multitrack_type = RTMP_FLV_MULTITRACK_MANY_TRACKS;
  rtmp_flv_append_video_header (body, &info);
  /* 0xa6, then many tracks | CodedFramesX, then the FourCC */
  fail_unless (memcmp (body->data, "\xa6\x13vp09", 6) == 0);
  for (i = 0; i < 20; i++) {
    guint8 data = i;

    rtmp_flv_append_track_header (body, RTMP_FLV_MULTITRACK_MANY_TRACKS, 0, i,
        1);
    g_byte_array_append (body, &data, 1);
  }
  fail_unless (
      rtmp_flv_parse_video_header (body->data, body->len, &info, NULL));
  fail_unless_equals_int (info.n_tracks, 20);
  fail_unless_equals_int (info.packet_type,
      RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X);
  for (i = 0; i < RTMP_FLV_MAX_TRACKS; i++) {
    fail_unless_equals_int (info.tracks[i].track_id, i);
    fail_unless_equals_int (info.tracks[i].data_len, 1);
    fail_unless_equals_int (body->data[info.tracks[i].data_offset], i);
  }
}

GST_END_TEST;

GST_START_TEST (test_video_mod_ex)
{
  VIDEO (mod_ex_timestamp_offset_hevc, TRUE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_HVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES,
      .composition_time_ms = 10, .is_keyframe = TRUE,
      .has_timestamp_offset = TRUE, .timestamp_offset_ns = 500000,
      .data_offset = 13);
  VIDEO (mod_ex_16_bit_size, FALSE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_AVC1,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X, .is_keyframe = TRUE,
      .has_timestamp_offset = TRUE, .timestamp_offset_ns = 258,
      .data_offset = 13);
  VIDEO (mod_ex_unknown_type, FALSE, .is_ex_header = TRUE,
      .frame_type = RTMP_FLV_VIDEO_FRAME_KEY, .fourcc = RTMP_FLV_FOURCC_AV01,
      .packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X, .is_keyframe = TRUE,
      .data_offset = 8);
}

GST_END_TEST;

/* ModEx before Multitrack: both apply */
GST_START_TEST (test_video_mod_ex_multitrack)
{
  RtmpFlvVideoInfo info = {
    0,
  };
  g_autoptr (GByteArray) body = g_byte_array_new ();
  RtmpFlvVideoInfo got;

  info.is_ex_header = TRUE;
  info.frame_type = RTMP_FLV_VIDEO_FRAME_KEY;
  info.packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES;
  info.fourcc = RTMP_FLV_FOURCC_AVC1;
  info.has_timestamp_offset = TRUE;
  info.timestamp_offset_ns = 999999;
  info.is_multitrack = TRUE;
  info.multitrack_type = RTMP_FLV_MULTITRACK_ONE_TRACK;
  rtmp_flv_append_video_header (body, &info);
  rtmp_flv_append_track_header (body, RTMP_FLV_MULTITRACK_ONE_TRACK, 0, 3, 0);
  rtmp_flv_append_composition_time (body, -100);
  g_byte_array_append (body, (const guint8 *) "\x65\x88", 2);

  fail_unless (rtmp_flv_parse_video_header (body->data, body->len, &got, NULL));
  fail_unless (got.has_timestamp_offset);
  fail_unless_equals_int (got.timestamp_offset_ns, 999999);
  fail_unless (got.is_multitrack);
  fail_unless (got.is_keyframe);
  fail_unless_equals_int (got.tracks[0].track_id, 3);
  fail_unless_equals_int (got.composition_time_ms, -100);
  fail_unless_equals_int (got.data_offset, body->len - 2);
}

GST_END_TEST;

GST_START_TEST (test_video_errors)
{
  static const guint8 empty[] = { 0x00 };
  static const guint8 frame_type_0[] = { 0x07, 0x01, 0x00, 0x00, 0x00 };
  static const guint8 frame_type_6[] = { 0x67, 0x01, 0x00, 0x00, 0x00 };
  static const guint8 codec_id_1[] = { 0x11, 0x00 };
  static const guint8 codec_id_15[] = { 0x2f, 0x00 };
  static const guint8 avc_packet_type_3[] = { 0x17, 0x03, 0x00, 0x00, 0x00 };
  static const guint8 avc_short_ct[] = { 0x27, 0x01, 0x00, 0x00 };
  static const guint8 ex_frame_type_0[] = { 0x81, 'h', 'v', 'c', '1' };
  static const guint8 ex_frame_type_7[] = { 0xf1, 'h', 'v', 'c', '1' };
  static const guint8 ex_packet_type_8[] = { 0x98, 'h', 'v', 'c', '1' };
  static const guint8 ex_short_fourcc[] = { 0x90, 'h', 'v', 'c' };
  static const guint8 ex_short_ct[] = { 0x91, 'a', 'v', 'c', '1', 0x00, 0x00 };
  static const guint8 mod_ex_short[] = { 0x97, 0x02, 0x07, 0xa1 };
  static const guint8 mod_ex_ts_2_bytes[]
      = { 0x97, 0x01, 0x07, 0xa1, 0x01, 'h', 'v', 'c', '1' };
  static const guint8 mod_ex_to_reserved[]
      = { 0x97, 0x02, 0x00, 0x00, 0x00, 0x0c, 'h', 'v', 'c', '1' };
  static const guint8 multitrack_nested[] = { 0x96, 0x16, 'h', 'v', 'c', '1' };
  static const guint8 multitrack_mod_ex[] = { 0x96, 0x17, 'h', 'v', 'c', '1' };
  static const guint8 multitrack_type_3[] = { 0x96, 0x31, 'h', 'v', 'c', '1' };
  static const guint8 multitrack_reserved_packet[]
      = { 0x96, 0x1a, 'h', 'v', 'c', '1' };
  static const guint8 multitrack_no_tracks[]
      = { 0x96, 0x11, 'h', 'v', 'c', '1' };
  static const guint8 multitrack_track_too_long[]
      = { 0x96, 0x13, 'v', 'p', '0', '9', 0x00, 0x00, 0x00, 0x05, 0x01, 0x02 };
  static const guint8 multitrack_short_size[]
      = { 0x96, 0x13, 'v', 'p', '0', '9', 0x00, 0x00, 0x00 };
  /* the CT of an hvc1 track must fit in the track */
  static const guint8 multitrack_ct_past_track[] = { 0x96, 0x11, 'h', 'v', 'c',
    '1', 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00 };
  static const guint8 command_no_byte[] = { 0xd0 };
  /* one byte after the last track starts a track that does not fit */
  static const guint8 multitrack_trailing_byte[]
      = { 0x96, 0x13, 'v', 'p', '0', '9', 0x00, 0x00, 0x00, 0x01, 0x86, 0x05 };

  check_video_error (__LINE__, empty, 0, RTMP_ERROR_MALFORMED,
      "video tag: empty body");
  check_video_error (__LINE__, frame_type_0, sizeof (frame_type_0),
      RTMP_ERROR_MALFORMED, "video tag: reserved frame type 0");
  check_video_error (__LINE__, frame_type_6, sizeof (frame_type_6),
      RTMP_ERROR_MALFORMED, "video tag: reserved frame type 6");
  check_video_error (__LINE__, codec_id_1, sizeof (codec_id_1),
      RTMP_ERROR_UNSUPPORTED, "video tag: unknown codec id 1");
  check_video_error (__LINE__, codec_id_15, sizeof (codec_id_15),
      RTMP_ERROR_UNSUPPORTED, "video tag: unknown codec id 15");
  check_video_error (__LINE__, avc_packet_type_3, sizeof (avc_packet_type_3),
      RTMP_ERROR_MALFORMED, "video tag: codec id 7: AVC packet type 3");
  check_video_error (__LINE__, avc_short_ct, sizeof (avc_short_ct),
      RTMP_ERROR_MALFORMED,
      "video tag: composition time needs 3 bytes at offset 2, 2 left");
  check_video_error (__LINE__, ex_frame_type_0, sizeof (ex_frame_type_0),
      RTMP_ERROR_MALFORMED, "video tag: reserved frame type 0");
  check_video_error (__LINE__, ex_frame_type_7, sizeof (ex_frame_type_7),
      RTMP_ERROR_MALFORMED, "video tag: reserved frame type 7");
  check_video_error (__LINE__, ex_packet_type_8, sizeof (ex_packet_type_8),
      RTMP_ERROR_UNSUPPORTED, "video tag: reserved packet type 8");
  check_video_error (__LINE__, ex_short_fourcc, sizeof (ex_short_fourcc),
      RTMP_ERROR_MALFORMED,
      "video tag: FourCC needs 4 bytes at offset 1, 3 left");
  check_video_error (__LINE__, ex_short_ct, sizeof (ex_short_ct),
      RTMP_ERROR_MALFORMED,
      "video tag: composition time needs 3 bytes at offset 5, 2 left");
  check_video_error (__LINE__, mod_ex_short, sizeof (mod_ex_short),
      RTMP_ERROR_MALFORMED,
      "video tag: ModEx data needs 3 bytes at offset 2, 2 left");
  check_video_error (__LINE__, mod_ex_ts_2_bytes, sizeof (mod_ex_ts_2_bytes),
      RTMP_ERROR_MALFORMED,
      "video tag: TimestampOffsetNano ModEx data of 2 bytes, need 3");
  check_video_error (__LINE__, mod_ex_to_reserved, sizeof (mod_ex_to_reserved),
      RTMP_ERROR_UNSUPPORTED, "video tag: reserved packet type 12");
  check_video_error (__LINE__, multitrack_nested, sizeof (multitrack_nested),
      RTMP_ERROR_MALFORMED,
      "video tag: multitrack packet type inside a multitrack packet");
  check_video_error (__LINE__, multitrack_mod_ex, sizeof (multitrack_mod_ex),
      RTMP_ERROR_UNSUPPORTED,
      "video tag: ModEx packet type inside a multitrack packet");
  check_video_error (__LINE__, multitrack_type_3, sizeof (multitrack_type_3),
      RTMP_ERROR_UNSUPPORTED, "video tag: reserved multitrack type 3");
  check_video_error (__LINE__, multitrack_reserved_packet,
      sizeof (multitrack_reserved_packet), RTMP_ERROR_UNSUPPORTED,
      "video tag: reserved packet type 10 in multitrack packet");
  check_video_error (__LINE__, multitrack_no_tracks,
      sizeof (multitrack_no_tracks), RTMP_ERROR_MALFORMED,
      "video tag: track id needs 1 bytes at offset 6, 0 left");
  check_video_error (__LINE__, multitrack_track_too_long,
      sizeof (multitrack_track_too_long), RTMP_ERROR_MALFORMED,
      "video tag: track 0 at offset 10 has size 5, only 2 left");
  check_video_error (__LINE__, multitrack_short_size,
      sizeof (multitrack_short_size), RTMP_ERROR_MALFORMED,
      "video tag: track size needs 3 bytes at offset 7, 2 left");
  check_video_error (__LINE__, multitrack_ct_past_track,
      sizeof (multitrack_ct_past_track), RTMP_ERROR_MALFORMED,
      "video tag: composition time needs 3 bytes at offset 10, 2 left");
  check_video_error (__LINE__, multitrack_trailing_byte,
      sizeof (multitrack_trailing_byte), RTMP_ERROR_MALFORMED,
      "video tag: track size needs 3 bytes at offset 12, 0 left");
  check_video_error (__LINE__, command_no_byte, sizeof (command_no_byte),
      RTMP_ERROR_MALFORMED,
      "video tag: video command needs 1 bytes at offset 1, 0 left");
}

GST_END_TEST;

/* the shorthand writer is byte-exact */
GST_START_TEST (test_video_ex_header_writer)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  rtmp_flv_append_video_ex_header (out, RTMP_FLV_VIDEO_FRAME_KEY,
      RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, RTMP_FLV_FOURCC_HVC1);
  rtmp_flv_append_composition_time (out, 40);
  fail_unless_equals_int (out->len, 8);
  fail_unless (memcmp (out->data, hevc_coded_frames_key_ct_40, 8) == 0);

  g_byte_array_set_size (out, 0);
  rtmp_flv_append_video_ex_header (out, RTMP_FLV_VIDEO_FRAME_INTER,
      RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, RTMP_FLV_FOURCC_HVC1);
  rtmp_flv_append_composition_time (out, -1);
  fail_unless (memcmp (out->data, hevc_coded_frames_ct_minus_1, 8) == 0);

  g_byte_array_set_size (out, 0);
  rtmp_flv_append_video_ex_header (out, RTMP_FLV_VIDEO_FRAME_KEY,
      RTMP_FLV_VIDEO_PACKET_SEQUENCE_START, RTMP_FLV_FOURCC_AV01);
  fail_unless (memcmp (out->data, av1_sequence_start, 5) == 0);

  g_byte_array_set_size (out, 0);
  rtmp_flv_append_video_ex_header (out, RTMP_FLV_VIDEO_FRAME_INTER,
      RTMP_FLV_VIDEO_PACKET_CODED_FRAMES, RTMP_FLV_FOURCC_VP09);
  fail_unless (memcmp (out->data, vp9_coded_frames_inter, 5) == 0);
}

GST_END_TEST;

/* --- audio headers --- */

static void
check_audio_info (guint line, const RtmpFlvAudioInfo *got,
    const RtmpFlvAudioInfo *want)
{
  guint i;

#define CHECK_FIELD(f) \
  fail_unless (got->f == want->f, "line %u: " #f " is %ld, expected %ld", \
      line, (glong) got->f, (glong) want->f)
  CHECK_FIELD (is_ex_header);
  CHECK_FIELD (sound_format);
  CHECK_FIELD (sound_rate);
  CHECK_FIELD (sound_size);
  CHECK_FIELD (sound_type);
  CHECK_FIELD (fourcc);
  CHECK_FIELD (packet_type);
  CHECK_FIELD (is_sequence_header);
  CHECK_FIELD (is_sequence_end);
  CHECK_FIELD (is_silence);
  CHECK_FIELD (channel_order);
  CHECK_FIELD (channel_count);
  CHECK_FIELD (channel_mask);
  CHECK_FIELD (has_timestamp_offset);
  CHECK_FIELD (timestamp_offset_ns);
  CHECK_FIELD (is_multitrack);
  CHECK_FIELD (multitrack_type);
  fail_unless (got->n_tracks == MAX (want->n_tracks, 1),
      "line %u: n_tracks is %u", line, got->n_tracks);
  CHECK_FIELD (data_offset);
  for (i = 0;
       want->is_multitrack && i < MIN (want->n_tracks, RTMP_FLV_MAX_TRACKS);
       i++) {
    CHECK_FIELD (tracks[i].track_id);
    CHECK_FIELD (tracks[i].fourcc);
    CHECK_FIELD (tracks[i].offset);
    CHECK_FIELD (tracks[i].len);
    CHECK_FIELD (tracks[i].data_offset);
    CHECK_FIELD (tracks[i].data_len);
  }
#undef CHECK_FIELD
}

static void
check_audio (guint line, const guint8 *data, gsize len,
    const RtmpFlvAudioInfo *want, gboolean canonical)
{
  RtmpFlvAudioInfo got;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize i;

  fail_unless (rtmp_flv_parse_audio_header (data, len, &got, &error),
      "line %u: %s", line, error ? error->message : "");
  check_audio_info (line, &got, want);

  /* every proper prefix of the header (but the empty one) fails */
  for (i = 1; i < got.data_offset; i++) {
    RtmpFlvAudioInfo info;
    g_autoptr (GError) e = NULL;

    fail_if (rtmp_flv_parse_audio_header (data, i, &info, &e),
        "line %u: prefix %" G_GSIZE_FORMAT " parsed", line, i);
    fail_unless (g_error_matches (e, RTMP_ERROR, RTMP_ERROR_MALFORMED),
        "line %u: %s", line, e->message);
  }

  if (!canonical)
    return;
  rtmp_flv_append_audio_header (out, &got);
  if (got.is_multitrack) {
    for (i = 0; i < got.n_tracks; i++) {
      const RtmpFlvTrack *t = &got.tracks[i];

      rtmp_flv_append_track_header (out, got.multitrack_type, t->fourcc,
          t->track_id, t->len);
      g_byte_array_append (out, data + t->offset, t->len);
    }
    fail_unless (out->len == len, "line %u: rebuilt %u of %" G_GSIZE_FORMAT,
        line, out->len, len);
  } else {
    fail_unless (out->len == got.data_offset,
        "line %u: wrote %u bytes, "
        "expected %" G_GSIZE_FORMAT,
        line, out->len, got.data_offset);
  }
  fail_unless (out->len == 0 || memcmp (out->data, data, out->len) == 0,
      "line %u: written header differs", line);
}

#define AUDIO(d, len, canonical, ...) \
  do { \
    const RtmpFlvAudioInfo want_ = { __VA_ARGS__ }; \
    check_audio (__LINE__, d, len, &want_, canonical); \
  } while (0)

GST_START_TEST (test_audio_legacy)
{
  AUDIO (aac_sequence_header, sizeof (aac_sequence_header), TRUE,
      .sound_format = RTMP_FLV_SOUND_FORMAT_AAC,
      .sound_rate = RTMP_FLV_SOUND_RATE_44100, .sound_size = 1, .sound_type = 1,
      .fourcc = RTMP_FLV_FOURCC_MP4A,
      .packet_type = RTMP_FLV_AUDIO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 2);
  AUDIO (aac_raw, sizeof (aac_raw), TRUE,
      .sound_format = RTMP_FLV_SOUND_FORMAT_AAC,
      .sound_rate = RTMP_FLV_SOUND_RATE_44100, .sound_size = 1, .sound_type = 1,
      .fourcc = RTMP_FLV_FOURCC_MP4A,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES, .data_offset = 2);
  AUDIO (mp3_frame, sizeof (mp3_frame), TRUE,
      .sound_format = RTMP_FLV_SOUND_FORMAT_MP3,
      .sound_rate = RTMP_FLV_SOUND_RATE_44100, .sound_size = 1, .sound_type = 1,
      .fourcc = RTMP_FLV_FOURCC_MP3,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES, .data_offset = 1);
  AUDIO (speex_frame, sizeof (speex_frame), TRUE,
      .sound_format = RTMP_FLV_SOUND_FORMAT_SPEEX,
      .sound_rate = RTMP_FLV_SOUND_RATE_5512, .sound_size = 1, .sound_type = 0,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES, .data_offset = 1);
  /* E-RTMP v2: an empty audio message means silence */
  AUDIO (NULL, 0, TRUE, .is_silence = TRUE,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES);
}

GST_END_TEST;

GST_START_TEST (test_audio_enhanced)
{
  AUDIO (opus_sequence_start, sizeof (opus_sequence_start), TRUE,
      .is_ex_header = TRUE, .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_OPUS,
      .packet_type = RTMP_FLV_AUDIO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  AUDIO (opus_coded_frames, sizeof (opus_coded_frames), TRUE,
      .is_ex_header = TRUE, .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_OPUS,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES, .data_offset = 5);
  AUDIO (flac_sequence_start, sizeof (flac_sequence_start), TRUE,
      .is_ex_header = TRUE, .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_FLAC,
      .packet_type = RTMP_FLV_AUDIO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  AUDIO (ac3_coded_frames, sizeof (ac3_coded_frames), TRUE,
      .is_ex_header = TRUE, .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_AC3,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES, .data_offset = 5);
  AUDIO (eac3_sequence_end, sizeof (eac3_sequence_end), TRUE,
      .is_ex_header = TRUE, .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_EAC3,
      .packet_type = RTMP_FLV_AUDIO_PACKET_SEQUENCE_END,
      .is_sequence_end = TRUE, .data_offset = 5);
  AUDIO (mp3_ex_coded_frames, sizeof (mp3_ex_coded_frames), TRUE,
      .is_ex_header = TRUE, .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_MP3,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES, .data_offset = 5);
  AUDIO (aac_ex_sequence_start, sizeof (aac_ex_sequence_start), TRUE,
      .is_ex_header = TRUE, .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_MP4A,
      .packet_type = RTMP_FLV_AUDIO_PACKET_SEQUENCE_START,
      .is_sequence_header = TRUE, .data_offset = 5);
  AUDIO (multichannel_native_5_1, sizeof (multichannel_native_5_1), TRUE,
      .is_ex_header = TRUE, .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_OPUS,
      .packet_type = RTMP_FLV_AUDIO_PACKET_MULTICHANNEL_CONFIG,
      .channel_order = RTMP_FLV_AUDIO_CHANNEL_ORDER_NATIVE, .channel_count = 6,
      .channel_mask = 0x3f, .data_offset = 11);
  /* the custom map is left as data */
  AUDIO (multichannel_custom_swapped, sizeof (multichannel_custom_swapped),
      TRUE, .is_ex_header = TRUE,
      .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_OPUS,
      .packet_type = RTMP_FLV_AUDIO_PACKET_MULTICHANNEL_CONFIG,
      .channel_order = RTMP_FLV_AUDIO_CHANNEL_ORDER_CUSTOM, .channel_count = 2,
      .data_offset = 7);
  AUDIO (audio_multitrack_many_tracks_aac,
      sizeof (audio_multitrack_many_tracks_aac), TRUE, .is_ex_header = TRUE,
      .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_MP4A,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES, .is_multitrack = TRUE,
      .multitrack_type = RTMP_FLV_MULTITRACK_MANY_TRACKS, .n_tracks = 2,
      .tracks = { { 0, RTMP_FLV_FOURCC_MP4A, 0, 10, 2, 10, 2 },
          { 1, RTMP_FLV_FOURCC_MP4A, 0, 16, 1, 16, 1 } },
      .data_offset = 10);
  AUDIO (audio_mod_ex_timestamp_offset, sizeof (audio_mod_ex_timestamp_offset),
      TRUE, .is_ex_header = TRUE,
      .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_OPUS,
      .packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES,
      .has_timestamp_offset = TRUE, .timestamp_offset_ns = 1000,
      .data_offset = 10);
}

GST_END_TEST;

/* many-codecs multitrack audio, each track with its MultichannelConfig:
 * the first track's goes into the info */
GST_START_TEST (test_audio_multitrack_many_codecs)
{
  static const guint8 body[] = { 0x95, 0x24, 'O', 'p', 'u', 's', 0x00, 0x00,
    0x00, 0x06, 0x01, 0x02, 0x00, 0x00, 0x00, 0x03, 'f', 'L', 'a', 'C', 0x01,
    0x00, 0x00, 0x02, 0x00, 0x01 };

  AUDIO (body, sizeof (body), TRUE, .is_ex_header = TRUE,
      .sound_format = RTMP_FLV_SOUND_FORMAT_EX_HEADER,
      .fourcc = RTMP_FLV_FOURCC_OPUS,
      .packet_type = RTMP_FLV_AUDIO_PACKET_MULTICHANNEL_CONFIG,
      .channel_order = RTMP_FLV_AUDIO_CHANNEL_ORDER_NATIVE, .channel_count = 2,
      .channel_mask = 3, .is_multitrack = TRUE,
      .multitrack_type = RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS,
      .n_tracks = 2,
      .tracks = { { 0, RTMP_FLV_FOURCC_OPUS, 0, 10, 6, 16, 0 },
          { 1, RTMP_FLV_FOURCC_FLAC, 0, 24, 2, 26, 0 } },
      .data_offset = 16);
}

GST_END_TEST;

static void
check_audio_error (guint line, const guint8 *data, gsize len, gint code,
    const gchar *message)
{
  RtmpFlvAudioInfo info;
  g_autoptr (GError) error = NULL;

  fail_if (rtmp_flv_parse_audio_header (data, len, &info, &error), "line %u",
      line);
  fail_unless (g_error_matches (error, RTMP_ERROR, code),
      "line %u: %s (code %d)", line, error->message, error->code);
  fail_unless_equals_string (error->message, message);
}

GST_START_TEST (test_audio_errors)
{
  static const guint8 format_12[] = { 0xc2, 0x00 };
  static const guint8 format_13[] = { 0xd2, 0x00 };
  static const guint8 aac_packet_type_2[] = { 0xaf, 0x02, 0x00 };
  static const guint8 aac_no_packet_type[] = { 0xaf };
  static const guint8 ex_packet_type_3[] = { 0x93, 'O', 'p', 'u', 's' };
  static const guint8 ex_packet_type_6[] = { 0x96, 'O', 'p', 'u', 's' };
  static const guint8 ex_short_fourcc[] = { 0x91, 'O', 'p' };
  static const guint8 channel_order_3[]
      = { 0x94, 'O', 'p', 'u', 's', 0x03, 0x02 };
  static const guint8 native_short_mask[]
      = { 0x94, 'O', 'p', 'u', 's', 0x01, 0x06, 0x00, 0x00, 0x3f };
  static const guint8 custom_short_map[]
      = { 0x94, 'O', 'p', 'u', 's', 0x02, 0x03, 0x00, 0x01 };
  static const guint8 multitrack_nested[] = { 0x95, 0x15, 'O', 'p', 'u', 's' };
  static const guint8 multitrack_reserved[]
      = { 0x95, 0x13, 'O', 'p', 'u', 's' };
  static const guint8 mod_ex_ts_short[]
      = { 0x97, 0x00, 0x01, 0x01, 'O', 'p', 'u', 's' };
  static const guint8 track_too_long[]
      = { 0x95, 0x11, 'O', 'p', 'u', 's', 0x00, 0x00, 0x01, 0x00, 0xfc };

  check_audio_error (__LINE__, format_12, sizeof (format_12),
      RTMP_ERROR_UNSUPPORTED, "audio tag: reserved sound format 12");
  check_audio_error (__LINE__, format_13, sizeof (format_13),
      RTMP_ERROR_UNSUPPORTED, "audio tag: reserved sound format 13");
  check_audio_error (__LINE__, aac_packet_type_2, sizeof (aac_packet_type_2),
      RTMP_ERROR_MALFORMED, "audio tag: AAC packet type 2");
  check_audio_error (__LINE__, aac_no_packet_type, sizeof (aac_no_packet_type),
      RTMP_ERROR_MALFORMED,
      "audio tag: AAC packet type needs 1 bytes at offset 1, 0 left");
  check_audio_error (__LINE__, ex_packet_type_3, sizeof (ex_packet_type_3),
      RTMP_ERROR_UNSUPPORTED, "audio tag: reserved packet type 3");
  check_audio_error (__LINE__, ex_packet_type_6, sizeof (ex_packet_type_6),
      RTMP_ERROR_UNSUPPORTED, "audio tag: reserved packet type 6");
  check_audio_error (__LINE__, ex_short_fourcc, sizeof (ex_short_fourcc),
      RTMP_ERROR_MALFORMED,
      "audio tag: FourCC needs 4 bytes at offset 1, 2 left");
  check_audio_error (__LINE__, channel_order_3, sizeof (channel_order_3),
      RTMP_ERROR_UNSUPPORTED, "audio tag: reserved audio channel order 3");
  check_audio_error (__LINE__, native_short_mask, sizeof (native_short_mask),
      RTMP_ERROR_MALFORMED,
      "audio tag: audio channel flags needs 4 bytes at offset 7, 3 left");
  check_audio_error (__LINE__, custom_short_map, sizeof (custom_short_map),
      RTMP_ERROR_MALFORMED,
      "audio tag: audio channel mapping needs 3 bytes at offset 7, 2 left");
  check_audio_error (__LINE__, multitrack_nested, sizeof (multitrack_nested),
      RTMP_ERROR_MALFORMED,
      "audio tag: multitrack packet type inside a multitrack packet");
  check_audio_error (__LINE__, multitrack_reserved,
      sizeof (multitrack_reserved), RTMP_ERROR_UNSUPPORTED,
      "audio tag: reserved packet type 3");
  check_audio_error (__LINE__, mod_ex_ts_short, sizeof (mod_ex_ts_short),
      RTMP_ERROR_MALFORMED,
      "audio tag: TimestampOffsetNano ModEx data of 1 bytes, need 3");
  check_audio_error (__LINE__, track_too_long, sizeof (track_too_long),
      RTMP_ERROR_MALFORMED,
      "audio tag: track 0 at offset 10 has size 256, only 1 left");
}

GST_END_TEST;

GST_START_TEST (test_audio_ex_header_writer)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  rtmp_flv_append_audio_ex_header (out, RTMP_FLV_AUDIO_PACKET_SEQUENCE_START,
      RTMP_FLV_FOURCC_OPUS);
  fail_unless_equals_int (out->len, 5);
  fail_unless (memcmp (out->data, opus_sequence_start, 5) == 0);
  g_byte_array_set_size (out, 0);
  rtmp_flv_append_audio_ex_header (out, RTMP_FLV_AUDIO_PACKET_SEQUENCE_START,
      RTMP_FLV_FOURCC_FLAC);
  fail_unless (memcmp (out->data, flac_sequence_start, 5) == 0);
  g_byte_array_set_size (out, 0);
  rtmp_flv_append_audio_ex_header (out, RTMP_FLV_AUDIO_PACKET_CODED_FRAMES,
      RTMP_FLV_FOURCC_AC3);
  fail_unless (memcmp (out->data, ac3_coded_frames, 5) == 0);
}

GST_END_TEST;

/* --- script tags --- */

GST_START_TEST (test_script_on_metadata)
{
  const guint8 *name;
  gsize name_len;

  fail_unless (
      rtmp_flv_script_is_on_metadata (on_metadata, sizeof (on_metadata)));
  fail_if (
      rtmp_flv_script_has_set_data_frame (on_metadata, sizeof (on_metadata)));
  fail_if (rtmp_flv_script_is_on_metadata (set_data_frame_on_metadata,
      sizeof (set_data_frame_on_metadata)));
  fail_unless (rtmp_flv_script_has_set_data_frame (set_data_frame_on_metadata,
      sizeof (set_data_frame_on_metadata)));

  fail_unless (rtmp_flv_script_peek_name (on_metadata, sizeof (on_metadata),
      &name, &name_len));
  fail_unless_equals_int (name_len, 10);
  fail_unless (name == on_metadata + 3);

  /* only a complete AMF0 string counts */
  fail_if (rtmp_flv_script_is_on_metadata (on_metadata, 12));
  fail_if (rtmp_flv_script_peek_name (on_metadata, 2, NULL, NULL));
  fail_if (rtmp_flv_script_peek_name (NULL, 0, NULL, NULL));
  fail_if (
      rtmp_flv_script_is_on_metadata ((const guint8 *) "\x0c\x00\x00"
                                                       "\x00\x0aonMetaData",
          15));
  /* "onMetaDataX" is another name */
  fail_if (rtmp_flv_script_is_on_metadata ((const guint8 *) "\x02\x00\x0b"
                                                            "onMetaDataX",
      14));
  fail_unless (rtmp_flv_script_is_on_metadata ((const guint8 *) "\x02\x00\x0a"
                                                                "onMetaData",
      13));
}

GST_END_TEST;

GST_START_TEST (test_script_set_data_frame)
{
  g_autoptr (GBytes) plain
      = g_bytes_new_static (on_metadata, sizeof (on_metadata));
  g_autoptr (GBytes) prefixed = g_bytes_new_static (set_data_frame_on_metadata,
      sizeof (set_data_frame_on_metadata));
  g_autoptr (GBytes) added = rtmp_flv_script_add_set_data_frame (plain);
  g_autoptr (GBytes) added_again = rtmp_flv_script_add_set_data_frame (added);
  g_autoptr (GBytes) stripped = rtmp_flv_script_strip_set_data_frame (prefixed);
  g_autoptr (GBytes) stripped_again
      = rtmp_flv_script_strip_set_data_frame (stripped);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GBytes) empty_added = rtmp_flv_script_add_set_data_frame (empty);

  /* byte-exact both ways */
  fail_unless (g_bytes_equal (added, prefixed));
  fail_unless (g_bytes_equal (stripped, plain));
  /* stripping is a slice; no double prefix, no double strip */
  fail_unless ((const guint8 *) g_bytes_get_data (stripped, NULL)
      == set_data_frame_on_metadata + 16);
  fail_unless (added_again == added);
  fail_unless (stripped_again == stripped);
  fail_unless_equals_int (g_bytes_get_size (empty_added), 16);
  fail_unless (rtmp_flv_script_has_set_data_frame (
      g_bytes_get_data (empty_added, NULL), 16));
}

GST_END_TEST;

static Suite *
flv_suite (void)
{
  Suite *s = suite_create ("flv");
  TCase *tc = tcase_create ("reader");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_reader_audio_only_file);
  tcase_add_test (tc, test_reader_headerless_extended_timestamp);
  tcase_add_test (tc, test_reader_legacy_stream);
  tcase_add_test (tc, test_reader_enhanced_stream);
  tcase_add_test (tc, test_reader_long_header);
  tcase_add_test (tc, test_reader_empty_input);
  tcase_add_test (tc, test_reader_offsets_in_one_piece);
  tcase_add_test (tc, test_reader_body_across_three_pieces);
  tcase_add_test (tc, test_reader_reset);
  tcase_add_test (tc, test_reader_bad_signature);
  tcase_add_test (tc, test_reader_bad_version);
  tcase_add_test (tc, test_reader_short_header_size);
  tcase_add_test (tc, test_reader_huge_header_size);
  tcase_add_test (tc, test_reader_bad_previous_tag_size_0);
  tcase_add_test (tc, test_reader_bad_previous_tag_size);
  tcase_add_test (tc, test_reader_oversize_tag);
  tcase_add_test (tc, test_reader_unknown_tag_type);
  tcase_add_test (tc, test_reader_reserved_tag_type_bits);
  tcase_add_test (tc, test_reader_encrypted_tag);
  tcase_add_test (tc, test_reader_real_file);

  tc = tcase_create ("writer");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_write_header);
  tcase_add_test (tc, test_write_tag_header_and_trailer);
  tcase_add_test (tc, test_write_round_trip);

  tc = tcase_create ("video");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_video_legacy);
  tcase_add_test (tc, test_video_legacy_hevc_av1_ids);
  tcase_add_test (tc, test_video_enhanced);
  tcase_add_test (tc, test_video_multitrack);
  tcase_add_test (tc, test_video_multitrack_many);
  tcase_add_test (tc, test_video_mod_ex);
  tcase_add_test (tc, test_video_mod_ex_multitrack);
  tcase_add_test (tc, test_video_errors);
  tcase_add_test (tc, test_video_ex_header_writer);

  tc = tcase_create ("audio");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_audio_legacy);
  tcase_add_test (tc, test_audio_enhanced);
  tcase_add_test (tc, test_audio_multitrack_many_codecs);
  tcase_add_test (tc, test_audio_errors);
  tcase_add_test (tc, test_audio_ex_header_writer);

  tc = tcase_create ("script");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_script_on_metadata);
  tcase_add_test (tc, test_script_set_data_frame);

  return s;
}

GST_CHECK_MAIN (flv);
