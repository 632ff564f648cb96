/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FLV: the incremental tag reader, header/tag writers, audio and video tag
 * header parsers (legacy FLV and Enhanced RTMP) and script tag helpers. */

#include "rtmpflv.h"
#include "rtmpbytes.h"

#include <string.h>

/* --- tags --- */

void
rtmp_flv_tag_free (RtmpFlvTag *tag)
{
  if (tag == NULL)
    return;
  g_bytes_unref (tag->payload);
  g_free (tag);
}

/* --- reader --- */

typedef enum
{
  STATE_START,       /* an FLV header or the first tag */
  STATE_FILE_HEADER, /* collecting the 9-byte header */
  STATE_HEADER_SKIP, /* skipping DataOffset - 9 extra header bytes */
  STATE_TRAILER,     /* collecting a PreviousTagSize */
  STATE_TAG_HEADER,  /* collecting an 11-byte tag header */
  STATE_BODY,        /* collecting a tag body */
} ReaderState;

struct _RtmpFlvReader
{
  RtmpLimits limits;
  ReaderState state;
  gboolean failed;

  /* bytes consumed since creation or reset */
  guint64 offset;

  /* a header or PreviousTagSize split across pieces */
  guint8 held[RTMP_FLV_TAG_HEADER_LEN];
  gsize held_len;

  gboolean have_header;
  RtmpFlvHeader header;
  guint32 skip_left;

  /* the tag being read */
  guint64 tag_offset;
  guint8 tag_type;
  guint32 tag_timestamp;
  guint32 data_size;
  /* owned: body assembled from several pieces, body_len of data_size
   * bytes so far */
  guint8 *body;
  gsize body_len;
  /* owned: the complete body, waiting for the PreviousTagSize; NULL in
   * STATE_TRAILER means PreviousTagSize0 after the FLV header */
  GBytes *payload;
};

RtmpFlvReader *
rtmp_flv_reader_new (const RtmpLimits *limits)
{
  RtmpFlvReader *reader = g_new0 (RtmpFlvReader, 1);

  if (limits != NULL)
    reader->limits = *limits;
  else
    rtmp_limits_init_default (&reader->limits);
  reader->state = STATE_START;
  return reader;
}

static void
clear_tag (RtmpFlvReader *reader)
{
  g_clear_pointer (&reader->body, g_free);
  reader->body_len = 0;
  g_clear_pointer (&reader->payload, g_bytes_unref);
}

void
rtmp_flv_reader_free (RtmpFlvReader *reader)
{
  if (reader == NULL)
    return;
  clear_tag (reader);
  g_free (reader);
}

void
rtmp_flv_reader_reset (RtmpFlvReader *reader)
{
  g_return_if_fail (reader != NULL);

  clear_tag (reader);
  reader->state = STATE_START;
  reader->failed = FALSE;
  reader->offset = 0;
  reader->held_len = 0;
  reader->have_header = FALSE;
  memset (&reader->header, 0, sizeof (reader->header));
  reader->skip_left = 0;
}

gboolean
rtmp_flv_reader_get_header (const RtmpFlvReader *reader, RtmpFlvHeader *header)
{
  g_return_val_if_fail (reader != NULL, FALSE);

  if (reader->have_header && header != NULL)
    *header = reader->header;
  return reader->have_header;
}

guint64
rtmp_flv_reader_get_offset (const RtmpFlvReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->offset;
}

gboolean
rtmp_flv_reader_has_partial (const RtmpFlvReader *reader)
{
  g_return_val_if_fail (reader != NULL, FALSE);

  return !(reader->state == STATE_START
      || (reader->state == STATE_TAG_HEADER && reader->held_len == 0));
}

/* Returns @need contiguous bytes: straight from @data when nothing is held
 * and enough remain, else from reader->held once it has filled up; NULL
 * when the piece ran out (what there was is held). */
static const guint8 *
collect (RtmpFlvReader *reader, const guint8 *data, gsize len, gsize *pos,
    gsize need)
{
  gsize avail = len - *pos;
  gsize take;

  if (reader->held_len == 0 && avail >= need) {
    const guint8 *p = data + *pos;

    *pos += need;
    return p;
  }
  if (avail == 0)
    return NULL;

  take = MIN (need - reader->held_len, avail);
  memcpy (reader->held + reader->held_len, data + *pos, take);
  reader->held_len += take;
  *pos += take;
  if (reader->held_len < need)
    return NULL;
  reader->held_len = 0;
  return reader->held;
}

static gboolean
parse_file_header (RtmpFlvReader *reader, const guint8 *p, GError **error)
{
  RtmpBytesReader r;
  const guint8 *signature;
  guint32 header_len;

  rtmp_bytes_reader_init (&r, p, RTMP_FLV_HEADER_LEN);
  rtmp_bytes_read_pointer (&r, 3, &signature);
  rtmp_bytes_read_u8 (&r, &reader->header.version);
  rtmp_bytes_read_u8 (&r, &reader->header.flags);
  rtmp_bytes_read_u32_be (&r, &header_len);

  if (memcmp (signature, "FLV", 3) != 0) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "FLV header: signature %02x %02x %02x, expected \"FLV\"", signature[0],
        signature[1], signature[2]);
    return FALSE;
  }
  if (reader->header.version != 1) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "FLV header: version %u, only version 1 is supported",
        reader->header.version);
    return FALSE;
  }
  if (header_len < RTMP_FLV_HEADER_LEN) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "FLV header: header size %u, less than %u", header_len,
        RTMP_FLV_HEADER_LEN);
    return FALSE;
  }
  /* Skipping costs no memory, but a garbage DataOffset would silently
   * swallow the stream: bound it like a tag. */
  if (header_len - RTMP_FLV_HEADER_LEN > reader->limits.max_message_bytes) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "FLV header: header size %u exceeds limit %u", header_len,
        reader->limits.max_message_bytes + RTMP_FLV_HEADER_LEN);
    return FALSE;
  }

  reader->header.header_len = header_len;
  reader->have_header = TRUE;
  reader->skip_left = header_len - RTMP_FLV_HEADER_LEN;
  return TRUE;
}

static gboolean
parse_tag_header (RtmpFlvReader *reader, const guint8 *p, GError **error)
{
  RtmpBytesReader r;
  guint8 type_byte, ts_high;
  guint32 ts_low, stream_id;
  guint8 type;

  rtmp_bytes_reader_init (&r, p, RTMP_FLV_TAG_HEADER_LEN);
  rtmp_bytes_read_u8 (&r, &type_byte);
  rtmp_bytes_read_u24_be (&r, &reader->data_size);
  rtmp_bytes_read_u24_be (&r, &ts_low);
  rtmp_bytes_read_u8 (&r, &ts_high);
  /* StreamID: always 0 (E.4.1), not used */
  rtmp_bytes_read_u24_be (&r, &stream_id);

  /* E.4.1: Reserved UB[2] (0), Filter UB[1], TagType UB[5] */
  type = type_byte & 0x1f;
  if ((type_byte & 0xc0) != 0
      || (type != RTMP_FLV_TAG_AUDIO && type != RTMP_FLV_TAG_VIDEO
          && type != RTMP_FLV_TAG_SCRIPT)) {
    if (memcmp (p, "FLV", 3) == 0)
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "tag at offset %" G_GUINT64_FORMAT
          ": an FLV header where a tag should be (a second stream needs a "
          "reader reset)",
          reader->tag_offset);
    else
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "tag at offset %" G_GUINT64_FORMAT ": unknown tag type %u (0x%02x)",
          reader->tag_offset, type_byte, type_byte);
    return FALSE;
  }
  if (type_byte & 0x20) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "tag at offset %" G_GUINT64_FORMAT
        ": encrypted tag (Filter bit set, type %u) not supported",
        reader->tag_offset, type);
    return FALSE;
  }
  if (reader->data_size > reader->limits.max_message_bytes) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "tag at offset %" G_GUINT64_FORMAT ": data size %u exceeds limit %u",
        reader->tag_offset, reader->data_size,
        reader->limits.max_message_bytes);
    return FALSE;
  }

  reader->tag_type = type;
  /* E.4.1: TimestampExtended holds the upper 8 bits */
  reader->tag_timestamp = ((guint32) ts_high << 24) | ts_low;
  return TRUE;
}

static gboolean
check_trailer (RtmpFlvReader *reader, const guint8 *p, GError **error)
{
  RtmpBytesReader r;
  guint32 previous_tag_size, expected;

  rtmp_bytes_reader_init (&r, p, RTMP_FLV_TAG_TRAILER_LEN);
  rtmp_bytes_read_u32_be (&r, &previous_tag_size);

  if (reader->payload == NULL) {
    if (previous_tag_size != 0) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "FLV header: previous tag size %u, expected 0", previous_tag_size);
      return FALSE;
    }
    return TRUE;
  }

  expected = RTMP_FLV_TAG_HEADER_LEN + reader->data_size;
  if (previous_tag_size != expected) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "tag at offset %" G_GUINT64_FORMAT
        ": previous tag size %u, expected %u",
        reader->tag_offset, previous_tag_size, expected);
    return FALSE;
  }
  return TRUE;
}

RtmpReadResult
rtmp_flv_reader_read (RtmpFlvReader *reader, GBytes *input, gsize offset,
    gsize *consumed, RtmpFlvTag **tag, GError **error)
{
  const guint8 *data;
  const guint8 *p;
  gsize len, pos = offset, avail;
  RtmpReadResult result = RTMP_READ_NEED_MORE;

  g_return_val_if_fail (reader != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (input != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (consumed != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (tag != NULL, RTMP_READ_ERROR);
  g_return_val_if_fail (!reader->failed, RTMP_READ_ERROR);

  data = g_bytes_get_data (input, &len);
  g_return_val_if_fail (offset <= len, RTMP_READ_ERROR);

  *tag = NULL;

  while (result == RTMP_READ_NEED_MORE) {
    switch (reader->state) {
      case STATE_START:
        if (pos == len)
          goto out;
        /* 'F' is no tag type (E.4.1), so a header is told from a tag by
         * its first byte. */
        reader->state = data[pos] == 'F' ? STATE_FILE_HEADER : STATE_TAG_HEADER;
        break;

      case STATE_FILE_HEADER:
        p = collect (reader, data, len, &pos, RTMP_FLV_HEADER_LEN);
        if (p == NULL)
          goto out;
        if (!parse_file_header (reader, p, error))
          goto failed;
        reader->state
            = reader->skip_left > 0 ? STATE_HEADER_SKIP : STATE_TRAILER;
        break;

      case STATE_HEADER_SKIP:
        avail = MIN (len - pos, reader->skip_left);
        pos += avail;
        reader->skip_left -= avail;
        if (reader->skip_left > 0)
          goto out;
        reader->state = STATE_TRAILER;
        break;

      case STATE_TRAILER:
        p = collect (reader, data, len, &pos, RTMP_FLV_TAG_TRAILER_LEN);
        if (p == NULL)
          goto out;
        if (!check_trailer (reader, p, error))
          goto failed;
        if (reader->payload != NULL) {
          RtmpFlvTag *t = g_new0 (RtmpFlvTag, 1);

          t->type = reader->tag_type;
          t->timestamp = reader->tag_timestamp;
          t->offset = reader->tag_offset;
          t->payload = g_steal_pointer (&reader->payload);
          *tag = t;
          result = RTMP_READ_OK;
        }
        reader->state = STATE_TAG_HEADER;
        break;

      case STATE_TAG_HEADER:
        if (reader->held_len == 0)
          reader->tag_offset = reader->offset + (pos - offset);
        p = collect (reader, data, len, &pos, RTMP_FLV_TAG_HEADER_LEN);
        if (p == NULL)
          goto out;
        if (!parse_tag_header (reader, p, error))
          goto failed;
        reader->state = STATE_BODY;
        break;

      case STATE_BODY:
        avail = len - pos;
        if (reader->body == NULL && avail >= reader->data_size) {
          /* the whole body is in this piece: a slice, no copy */
          reader->payload
              = g_bytes_new_from_bytes (input, pos, reader->data_size);
          pos += reader->data_size;
          reader->state = STATE_TRAILER;
          break;
        }
        if (avail == 0)
          goto out;
        /* Split across pieces: reserve the body once (DataSize is bounded
         * by max_message_bytes) and copy each byte into it once. */
        if (reader->body == NULL)
          reader->body = g_malloc (reader->data_size);
        avail = MIN (avail, reader->data_size - reader->body_len);
        memcpy (reader->body + reader->body_len, data + pos, avail);
        reader->body_len += avail;
        pos += avail;
        if (reader->body_len < reader->data_size)
          goto out;
        reader->payload = g_bytes_new_take (g_steal_pointer (&reader->body),
            reader->data_size);
        reader->body_len = 0;
        reader->state = STATE_TRAILER;
        break;
    }
  }

out:
  *consumed = pos - offset;
  reader->offset += *consumed;
  return result;

failed:
  reader->failed = TRUE;
  *consumed = pos - offset;
  reader->offset += *consumed;
  return RTMP_READ_ERROR;
}

/* --- writers --- */

gsize
rtmp_flv_write_header (guint8 *out, guint8 flags)
{
  out[0] = 'F';
  out[1] = 'L';
  out[2] = 'V';
  out[3] = 1;
  out[4] = flags;
  rtmp_bytes_put_u32_be (out + 5, RTMP_FLV_HEADER_LEN);
  rtmp_bytes_put_u32_be (out + RTMP_FLV_HEADER_LEN, 0);
  return RTMP_FLV_FILE_HEADER_LEN;
}

gsize
rtmp_flv_write_tag_header (guint8 *out, guint8 type, guint32 data_size,
    guint32 timestamp)
{
  g_return_val_if_fail (data_size <= RTMP_FLV_MAX_DATA_SIZE, 0);

  out[0] = type;
  rtmp_bytes_put_u24_be (out + 1, data_size);
  rtmp_bytes_put_u24_be (out + 4, timestamp & 0xffffff);
  out[7] = timestamp >> 24;
  rtmp_bytes_put_u24_be (out + 8, 0);
  return RTMP_FLV_TAG_HEADER_LEN;
}

gsize
rtmp_flv_write_tag_trailer (guint8 *out, guint32 data_size)
{
  g_return_val_if_fail (data_size <= RTMP_FLV_MAX_DATA_SIZE, 0);

  return rtmp_bytes_put_u32_be (out, RTMP_FLV_TAG_HEADER_LEN + data_size);
}

void
rtmp_flv_append_tag (GByteArray *out, guint8 type, guint32 timestamp,
    const guint8 *body, gsize body_len)
{
  guint8 b[RTMP_FLV_TAG_HEADER_LEN];

  g_return_if_fail (body_len <= RTMP_FLV_MAX_DATA_SIZE);

  g_byte_array_append (out, b,
      rtmp_flv_write_tag_header (b, type, body_len, timestamp));
  if (body_len > 0)
    g_byte_array_append (out, body, body_len);
  g_byte_array_append (out, b, rtmp_flv_write_tag_trailer (b, body_len));
}

/* --- audio/video tag headers --- */

/* Sets a "truncated" error naming the field that did not fit. */
static gboolean
truncated (GError **error, const gchar *what, const gchar *field, gsize need,
    const RtmpBytesReader *r)
{
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "%s: %s needs %" G_GSIZE_FORMAT " bytes at offset %" G_GSIZE_FORMAT
      ", %" G_GSIZE_FORMAT " left",
      what, field, need, r->pos, rtmp_bytes_reader_remaining (r));
  return FALSE;
}

static gboolean
read_u8 (RtmpBytesReader *r, guint8 *v, const gchar *what, const gchar *field,
    GError **error)
{
  if (!rtmp_bytes_read_u8 (r, v))
    return truncated (error, what, field, 1, r);
  return TRUE;
}

static gboolean
read_fourcc (RtmpBytesReader *r, guint32 *v, const gchar *what, GError **error)
{
  if (!rtmp_bytes_read_u32_be (r, v))
    return truncated (error, what, "FourCC", 4, r);
  return TRUE;
}

/* Enhanced RTMP v2 ModEx: while the packet type is ModEx, a UI8 size - 1
 * (UI16 size - 1 when the UI8 says 256), the data, then a byte of ModEx
 * type (high nibble) and the next packet type (low nibble). */
static gboolean
read_mod_ex (RtmpBytesReader *r, const gchar *what, guint8 mod_ex_packet_type,
    guint8 *packet_type, gboolean *has_timestamp_offset,
    guint32 *timestamp_offset_ns, GError **error)
{
  while (*packet_type == mod_ex_packet_type) {
    guint8 size8, b;
    guint16 size16;
    gsize size;
    const guint8 *mod_ex_data;

    if (!read_u8 (r, &size8, what, "ModEx data size", error))
      return FALSE;
    size = (gsize) size8 + 1;
    if (size == 256) {
      if (!rtmp_bytes_read_u16_be (r, &size16))
        return truncated (error, what, "ModEx 16-bit data size", 2, r);
      size = (gsize) size16 + 1;
    }
    if (!rtmp_bytes_read_pointer (r, size, &mod_ex_data))
      return truncated (error, what, "ModEx data", size, r);
    if (!read_u8 (r, &b, what, "ModEx type", error))
      return FALSE;
    *packet_type = b & 0x0f;

    switch (b >> 4) {
      case RTMP_FLV_MOD_EX_TIMESTAMP_OFFSET_NANO:
        if (size < 3) {
          g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
              "%s: TimestampOffsetNano ModEx data of %" G_GSIZE_FORMAT
              " bytes, need 3",
              what, size);
          return FALSE;
        }
        *has_timestamp_offset = TRUE;
        *timestamp_offset_ns = ((guint32) mod_ex_data[0] << 16)
            | ((guint32) mod_ex_data[1] << 8) | mod_ex_data[2];
        break;
      default:
        /* Modifiers we do not know carry their size: skip them. They
         * modify the packet, they do not change how it is laid out. */
        break;
    }
  }
  return TRUE;
}

/* Reads the multitrack type / packet type byte and, unless every track has
 * its own codec, the shared FourCC. */
static gboolean
read_multitrack_header (RtmpBytesReader *r, const gchar *what,
    guint8 multitrack_packet_type, guint8 mod_ex_packet_type,
    guint8 *multitrack_type, guint8 *packet_type, guint32 *fourcc,
    GError **error)
{
  guint8 b;

  if (!read_u8 (r, &b, what, "multitrack type", error))
    return FALSE;
  *multitrack_type = b >> 4;
  *packet_type = b & 0x0f;

  if (*multitrack_type > RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "%s: reserved multitrack type %u", what, *multitrack_type);
    return FALSE;
  }
  if (*packet_type == multitrack_packet_type) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "%s: multitrack packet type inside a multitrack packet", what);
    return FALSE;
  }
  if (*packet_type == mod_ex_packet_type) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "%s: ModEx packet type inside a multitrack packet", what);
    return FALSE;
  }
  if (*multitrack_type != RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS)
    return read_fourcc (r, fourcc, what, error);
  return TRUE;
}

/* Parses the part of a track (or of a single-track body) before its codec
 * data, leaving r->pos at that data. */
typedef gboolean (*ParseTrackFunc) (RtmpBytesReader *r, guint8 packet_type,
    guint32 fourcc, gboolean first, RtmpFlvTrack *track, gpointer info,
    GError **error);

/* Walks the tracks of a multitrack body (Enhanced RTMP v2 ExVideoTagBody /
 * ExAudioTagBody): [FourCC] track id [UI24 size] data, repeated unless
 * there is one track. */
static gboolean
parse_tracks (RtmpBytesReader *r, const gchar *what, guint8 multitrack_type,
    guint8 packet_type, guint32 fourcc, ParseTrackFunc parse_track,
    gpointer info, RtmpFlvTrack *tracks, guint *n_tracks, GError **error)
{
  *n_tracks = 0;

  do {
    RtmpFlvTrack track = {
      0,
    };
    RtmpBytesReader tr;
    gsize track_len;
    guint32 size;

    if (multitrack_type == RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS) {
      if (!read_fourcc (r, &fourcc, what, error))
        return FALSE;
    }
    if (!read_u8 (r, &track.track_id, what, "track id", error))
      return FALSE;
    if (multitrack_type == RTMP_FLV_MULTITRACK_ONE_TRACK) {
      track_len = rtmp_bytes_reader_remaining (r);
    } else {
      if (!rtmp_bytes_read_u24_be (r, &size))
        return truncated (error, what, "track size", 3, r);
      track_len = size;
      if (track_len > rtmp_bytes_reader_remaining (r)) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
            "%s: track %u at offset %" G_GSIZE_FORMAT
            " has size %" G_GSIZE_FORMAT ", only %" G_GSIZE_FORMAT " left",
            what, track.track_id, r->pos, track_len,
            rtmp_bytes_reader_remaining (r));
        return FALSE;
      }
    }

    /* a reader over this track's bytes only */
    tr = *r;
    tr.len = r->pos + track_len;
    track.fourcc = fourcc;
    track.offset = r->pos;
    track.len = track_len;
    if (!parse_track (&tr, packet_type, fourcc, *n_tracks == 0, &track, info,
            error))
      return FALSE;
    track.data_offset = tr.pos;
    track.data_len = tr.len - tr.pos;
    if (*n_tracks < RTMP_FLV_MAX_TRACKS)
      tracks[*n_tracks] = track;
    (*n_tracks)++;
    rtmp_bytes_skip (r, track_len);
  } while (multitrack_type != RTMP_FLV_MULTITRACK_ONE_TRACK
      && rtmp_bytes_reader_remaining (r) > 0);

  return TRUE;
}

static gboolean
video_fourcc_has_composition_time (guint32 fourcc)
{
  return fourcc == RTMP_FLV_FOURCC_AVC1 || fourcc == RTMP_FLV_FOURCC_HVC1;
}

static gboolean
parse_video_track (RtmpBytesReader *r, guint8 packet_type, guint32 fourcc,
    gboolean first, RtmpFlvTrack *track, gpointer user_data, GError **error)
{
  /* E-RTMP: CodedFrames of avc1/hvc1 start with an SI24 composition time
   * offset; CodedFramesX implies 0. */
  if (packet_type == RTMP_FLV_VIDEO_PACKET_CODED_FRAMES
      && video_fourcc_has_composition_time (fourcc)) {
    if (!rtmp_bytes_read_s24_be (r, &track->composition_time_ms))
      return truncated (error, "video tag", "composition time", 3, r);
  }
  return TRUE;
}

static void
finish_video_info (RtmpFlvVideoInfo *info)
{
  info->is_sequence_header
      = info->packet_type == RTMP_FLV_VIDEO_PACKET_SEQUENCE_START
      || info->packet_type == RTMP_FLV_VIDEO_PACKET_MPEG2TS_SEQUENCE_START;
  info->is_sequence_end
      = info->packet_type == RTMP_FLV_VIDEO_PACKET_SEQUENCE_END;
  info->is_keyframe
      = (info->frame_type == RTMP_FLV_VIDEO_FRAME_KEY
            || info->frame_type == RTMP_FLV_VIDEO_FRAME_GENERATED_KEY)
      && (info->packet_type == RTMP_FLV_VIDEO_PACKET_CODED_FRAMES
          || info->packet_type == RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X);
}

static gboolean
check_video_frame_type (guint8 frame_type, GError **error)
{
  if (frame_type < RTMP_FLV_VIDEO_FRAME_KEY
      || frame_type > RTMP_FLV_VIDEO_FRAME_COMMAND) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "video tag: reserved frame type %u", frame_type);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_video_ex (RtmpBytesReader *r, guint8 first_byte, RtmpFlvVideoInfo *info,
    GError **error)
{
  const gchar *what = "video tag";
  guint8 packet_type = first_byte & 0x0f;
  guint32 fourcc = 0;
  RtmpFlvTrack track = {
    0,
  };

  info->is_ex_header = TRUE;
  info->frame_type = (first_byte >> 4) & 0x07;

  if (!read_mod_ex (r, what, RTMP_FLV_VIDEO_PACKET_MOD_EX, &packet_type,
          &info->has_timestamp_offset, &info->timestamp_offset_ns, error))
    return FALSE;

  if (packet_type > RTMP_FLV_VIDEO_PACKET_MOD_EX) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "video tag: reserved packet type %u", packet_type);
    return FALSE;
  }
  /* E-RTMP: the frame type is ignored for Metadata */
  if (packet_type != RTMP_FLV_VIDEO_PACKET_METADATA
      && !check_video_frame_type (info->frame_type, error))
    return FALSE;

  if (packet_type != RTMP_FLV_VIDEO_PACKET_METADATA
      && info->frame_type == RTMP_FLV_VIDEO_FRAME_COMMAND) {
    /* a command frame carries a VideoCommand and no FourCC or body */
    info->packet_type = packet_type;
    info->is_command = TRUE;
    if (!read_u8 (r, &info->command, what, "video command", error))
      return FALSE;
    info->data_offset = r->pos;
    return TRUE;
  }

  if (packet_type == RTMP_FLV_VIDEO_PACKET_MULTITRACK) {
    info->is_multitrack = TRUE;
    if (!read_multitrack_header (r, what, RTMP_FLV_VIDEO_PACKET_MULTITRACK,
            RTMP_FLV_VIDEO_PACKET_MOD_EX, &info->multitrack_type, &packet_type,
            &fourcc, error))
      return FALSE;
    if (packet_type > RTMP_FLV_VIDEO_PACKET_MOD_EX) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "video tag: reserved packet type %u in multitrack packet",
          packet_type);
      return FALSE;
    }
    info->packet_type = packet_type;
    if (!parse_tracks (r, what, info->multitrack_type, packet_type, fourcc,
            parse_video_track, info, info->tracks, &info->n_tracks, error))
      return FALSE;
    info->fourcc = info->tracks[0].fourcc;
    info->composition_time_ms = info->tracks[0].composition_time_ms;
    info->data_offset = info->tracks[0].data_offset;
    return TRUE;
  }

  info->packet_type = packet_type;
  if (!read_fourcc (r, &info->fourcc, what, error))
    return FALSE;
  if (!parse_video_track (r, packet_type, info->fourcc, TRUE, &track, info,
          error))
    return FALSE;
  info->composition_time_ms = track.composition_time_ms;
  info->data_offset = r->pos;
  return TRUE;
}

static gboolean
parse_video_legacy (RtmpBytesReader *r, guint8 first_byte,
    RtmpFlvVideoInfo *info, GError **error)
{
  const gchar *what = "video tag";
  guint8 packet_type;

  info->frame_type = first_byte >> 4;
  info->codec_id = first_byte & 0x0f;
  info->packet_type = RTMP_FLV_VIDEO_PACKET_CODED_FRAMES;

  if (!check_video_frame_type (info->frame_type, error))
    return FALSE;

  if (info->frame_type == RTMP_FLV_VIDEO_FRAME_COMMAND) {
    /* E.4.3.1: a video info/command frame has a UI8 instead of video data,
     * whatever the codec (FFmpeg reads it the same way) */
    info->is_command = TRUE;
    if (!read_u8 (r, &info->command, what, "video command", error))
      return FALSE;
    info->data_offset = r->pos;
    return TRUE;
  }

  switch (info->codec_id) {
    case RTMP_FLV_VIDEO_CODEC_AVC:
    case RTMP_FLV_VIDEO_CODEC_HEVC:
    case RTMP_FLV_VIDEO_CODEC_AV1:
      /* E.4.3.1: AVCPacketType and SI24 CompositionTime */
      if (!read_u8 (r, &packet_type, what, "AVC packet type", error))
        return FALSE;
      if (packet_type > RTMP_FLV_VIDEO_PACKET_SEQUENCE_END) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
            "video tag: codec id %u: AVC packet type %u", info->codec_id,
            packet_type);
        return FALSE;
      }
      if (!rtmp_bytes_read_s24_be (r, &info->composition_time_ms))
        return truncated (error, what, "composition time", 3, r);
      info->packet_type = packet_type;
      info->fourcc = info->codec_id == RTMP_FLV_VIDEO_CODEC_AVC
          ? RTMP_FLV_FOURCC_AVC1
          : info->codec_id == RTMP_FLV_VIDEO_CODEC_HEVC ? RTMP_FLV_FOURCC_HVC1
                                                        : RTMP_FLV_FOURCC_AV01;
      break;
    case RTMP_FLV_VIDEO_CODEC_H263:
    case RTMP_FLV_VIDEO_CODEC_SCREEN:
    case RTMP_FLV_VIDEO_CODEC_VP6:
    case RTMP_FLV_VIDEO_CODEC_VP6A:
    case RTMP_FLV_VIDEO_CODEC_SCREEN2:
      /* the codec's own packet follows (VP6: adjustment byte first) */
      break;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "video tag: unknown codec id %u", info->codec_id);
      return FALSE;
  }
  info->data_offset = r->pos;
  return TRUE;
}

gboolean
rtmp_flv_parse_video_header (const guint8 *data, gsize len,
    RtmpFlvVideoInfo *info, GError **error)
{
  RtmpBytesReader r;
  guint8 first_byte;
  gboolean ok;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  memset (info, 0, sizeof (*info));
  info->n_tracks = 1;
  rtmp_bytes_reader_init (&r, data, len);

  if (!rtmp_bytes_read_u8 (&r, &first_byte)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "video tag: empty body");
    return FALSE;
  }

  /* E-RTMP: bit 7 is IsExHeader, then UB[3] frame type, UB[4] packet
   * type; legacy: UB[4] frame type, UB[4] codec id */
  if (first_byte & 0x80)
    ok = parse_video_ex (&r, first_byte, info, error);
  else
    ok = parse_video_legacy (&r, first_byte, info, error);
  if (!ok)
    return FALSE;

  if (!info->is_command)
    finish_video_info (info);
  return TRUE;
}

static gboolean
parse_audio_track (RtmpBytesReader *r, guint8 packet_type, guint32 fourcc,
    gboolean first, RtmpFlvTrack *track, gpointer user_data, GError **error)
{
  const gchar *what = "audio tag";
  RtmpFlvAudioInfo *info = user_data;
  guint8 order, count;
  guint32 mask = 0;

  if (packet_type != RTMP_FLV_AUDIO_PACKET_MULTICHANNEL_CONFIG)
    return TRUE;

  if (!read_u8 (r, &order, what, "audio channel order", error)
      || !read_u8 (r, &count, what, "channel count", error))
    return FALSE;
  switch (order) {
    case RTMP_FLV_AUDIO_CHANNEL_ORDER_UNSPECIFIED:
      break;
    case RTMP_FLV_AUDIO_CHANNEL_ORDER_NATIVE:
      if (!rtmp_bytes_read_u32_be (r, &mask))
        return truncated (error, what, "audio channel flags", 4, r);
      break;
    case RTMP_FLV_AUDIO_CHANNEL_ORDER_CUSTOM:
      /* the channel map is left as the track's data */
      if (rtmp_bytes_reader_remaining (r) < count)
        return truncated (error, what, "audio channel mapping", count, r);
      break;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "audio tag: reserved audio channel order %u", order);
      return FALSE;
  }
  if (first) {
    info->channel_order = order;
    info->channel_count = count;
    info->channel_mask = mask;
  }
  return TRUE;
}

static gboolean
check_audio_packet_type (guint8 packet_type, GError **error)
{
  switch (packet_type) {
    case RTMP_FLV_AUDIO_PACKET_SEQUENCE_START:
    case RTMP_FLV_AUDIO_PACKET_CODED_FRAMES:
    case RTMP_FLV_AUDIO_PACKET_SEQUENCE_END:
    case RTMP_FLV_AUDIO_PACKET_MULTICHANNEL_CONFIG:
    case RTMP_FLV_AUDIO_PACKET_MULTITRACK:
    case RTMP_FLV_AUDIO_PACKET_MOD_EX:
      return TRUE;
  }
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
      "audio tag: reserved packet type %u", packet_type);
  return FALSE;
}

static gboolean
parse_audio_ex (RtmpBytesReader *r, guint8 first_byte, RtmpFlvAudioInfo *info,
    GError **error)
{
  const gchar *what = "audio tag";
  guint8 packet_type = first_byte & 0x0f;
  guint32 fourcc = 0;
  RtmpFlvTrack track = {
    0,
  };

  info->is_ex_header = TRUE;

  if (!read_mod_ex (r, what, RTMP_FLV_AUDIO_PACKET_MOD_EX, &packet_type,
          &info->has_timestamp_offset, &info->timestamp_offset_ns, error))
    return FALSE;
  if (!check_audio_packet_type (packet_type, error))
    return FALSE;

  if (packet_type == RTMP_FLV_AUDIO_PACKET_MULTITRACK) {
    info->is_multitrack = TRUE;
    if (!read_multitrack_header (r, what, RTMP_FLV_AUDIO_PACKET_MULTITRACK,
            RTMP_FLV_AUDIO_PACKET_MOD_EX, &info->multitrack_type, &packet_type,
            &fourcc, error))
      return FALSE;
    if (!check_audio_packet_type (packet_type, error))
      return FALSE;
    info->packet_type = packet_type;
    if (!parse_tracks (r, what, info->multitrack_type, packet_type, fourcc,
            parse_audio_track, info, info->tracks, &info->n_tracks, error))
      return FALSE;
    info->fourcc = info->tracks[0].fourcc;
    info->data_offset = info->tracks[0].data_offset;
    return TRUE;
  }

  info->packet_type = packet_type;
  if (!read_fourcc (r, &info->fourcc, what, error))
    return FALSE;
  if (!parse_audio_track (r, packet_type, info->fourcc, TRUE, &track, info,
          error))
    return FALSE;
  info->data_offset = r->pos;
  return TRUE;
}

static gboolean
parse_audio_legacy (RtmpBytesReader *r, guint8 first_byte,
    RtmpFlvAudioInfo *info, GError **error)
{
  guint8 packet_type;

  /* E.4.2.1: UB[4] format, UB[2] rate, UB[1] size, UB[1] type */
  info->sound_format = first_byte >> 4;
  info->sound_rate = (first_byte >> 2) & 0x03;
  info->sound_size = (first_byte >> 1) & 0x01;
  info->sound_type = first_byte & 0x01;
  info->packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES;

  switch (info->sound_format) {
    case RTMP_FLV_SOUND_FORMAT_AAC:
      if (!read_u8 (r, &packet_type, "audio tag", "AAC packet type", error))
        return FALSE;
      if (packet_type > RTMP_FLV_AUDIO_PACKET_CODED_FRAMES) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
            "audio tag: AAC packet type %u", packet_type);
        return FALSE;
      }
      info->packet_type = packet_type;
      info->fourcc = RTMP_FLV_FOURCC_MP4A;
      break;
    case RTMP_FLV_SOUND_FORMAT_MP3:
    case RTMP_FLV_SOUND_FORMAT_MP3_8K:
      info->fourcc = RTMP_FLV_FOURCC_MP3;
      break;
    case 12:
    case 13:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
          "audio tag: reserved sound format %u", info->sound_format);
      return FALSE;
    default:
      break;
  }
  info->data_offset = r->pos;
  return TRUE;
}

gboolean
rtmp_flv_parse_audio_header (const guint8 *data, gsize len,
    RtmpFlvAudioInfo *info, GError **error)
{
  RtmpBytesReader r;
  guint8 first_byte;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  memset (info, 0, sizeof (*info));
  info->n_tracks = 1;
  rtmp_bytes_reader_init (&r, data, len);

  if (!rtmp_bytes_read_u8 (&r, &first_byte)) {
    /* E-RTMP v2: an empty audio message is the (previously undocumented)
     * audio silence message */
    info->is_silence = TRUE;
    info->packet_type = RTMP_FLV_AUDIO_PACKET_CODED_FRAMES;
    return TRUE;
  }

  info->sound_format = first_byte >> 4;
  if (info->sound_format == RTMP_FLV_SOUND_FORMAT_EX_HEADER) {
    if (!parse_audio_ex (&r, first_byte, info, error))
      return FALSE;
  } else {
    if (!parse_audio_legacy (&r, first_byte, info, error))
      return FALSE;
  }

  info->is_sequence_header
      = info->packet_type == RTMP_FLV_AUDIO_PACKET_SEQUENCE_START;
  info->is_sequence_end
      = info->packet_type == RTMP_FLV_AUDIO_PACKET_SEQUENCE_END;
  return TRUE;
}

/* --- tag header writers --- */

static void
append_mod_ex_timestamp_offset (GByteArray *out, guint32 timestamp_offset_ns,
    guint8 next_packet_type)
{
  /* size - 1, then the UI24 offset, then ModEx type | next packet type */
  rtmp_bytes_append_u8 (out, 3 - 1);
  rtmp_bytes_append_u24_be (out, timestamp_offset_ns & 0xffffff);
  rtmp_bytes_append_u8 (out,
      (RTMP_FLV_MOD_EX_TIMESTAMP_OFFSET_NANO << 4) | (next_packet_type & 0x0f));
}

void
rtmp_flv_append_video_header (GByteArray *out, const RtmpFlvVideoInfo *info)
{
  guint8 packet_type;

  g_return_if_fail (out != NULL);
  g_return_if_fail (info != NULL);

  if (!info->is_ex_header) {
    rtmp_bytes_append_u8 (out,
        (info->frame_type << 4) | (info->codec_id & 0x0f));
    if (info->frame_type == RTMP_FLV_VIDEO_FRAME_COMMAND) {
      rtmp_bytes_append_u8 (out, info->command);
      return;
    }
    if (info->codec_id == RTMP_FLV_VIDEO_CODEC_AVC
        || info->codec_id == RTMP_FLV_VIDEO_CODEC_HEVC
        || info->codec_id == RTMP_FLV_VIDEO_CODEC_AV1) {
      rtmp_bytes_append_u8 (out, info->packet_type);
      rtmp_bytes_append_u24_be (out, info->composition_time_ms & 0xffffff);
    }
    return;
  }

  packet_type = info->is_multitrack ? RTMP_FLV_VIDEO_PACKET_MULTITRACK
                                    : info->packet_type;
  if (info->has_timestamp_offset) {
    rtmp_bytes_append_u8 (out,
        0x80 | ((info->frame_type & 0x07) << 4) | RTMP_FLV_VIDEO_PACKET_MOD_EX);
    append_mod_ex_timestamp_offset (out, info->timestamp_offset_ns,
        packet_type);
  } else {
    rtmp_bytes_append_u8 (out,
        0x80 | ((info->frame_type & 0x07) << 4) | (packet_type & 0x0f));
  }

  if (packet_type != RTMP_FLV_VIDEO_PACKET_METADATA
      && info->frame_type == RTMP_FLV_VIDEO_FRAME_COMMAND) {
    rtmp_bytes_append_u8 (out, info->command);
    return;
  }
  if (info->is_multitrack) {
    rtmp_bytes_append_u8 (out,
        (info->multitrack_type << 4) | (info->packet_type & 0x0f));
    if (info->multitrack_type != RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS)
      rtmp_bytes_append_u32_be (out, info->fourcc);
    return;
  }
  rtmp_bytes_append_u32_be (out, info->fourcc);
  if (info->packet_type == RTMP_FLV_VIDEO_PACKET_CODED_FRAMES
      && video_fourcc_has_composition_time (info->fourcc))
    rtmp_flv_append_composition_time (out, info->composition_time_ms);
}

void
rtmp_flv_append_audio_header (GByteArray *out, const RtmpFlvAudioInfo *info)
{
  guint8 packet_type;

  g_return_if_fail (out != NULL);
  g_return_if_fail (info != NULL);

  if (info->is_silence)
    return;

  if (!info->is_ex_header) {
    rtmp_bytes_append_u8 (out,
        (info->sound_format << 4) | ((info->sound_rate & 0x03) << 2)
            | ((info->sound_size & 0x01) << 1) | (info->sound_type & 0x01));
    if (info->sound_format == RTMP_FLV_SOUND_FORMAT_AAC)
      rtmp_bytes_append_u8 (out, info->packet_type);
    return;
  }

  packet_type = info->is_multitrack ? RTMP_FLV_AUDIO_PACKET_MULTITRACK
                                    : info->packet_type;
  if (info->has_timestamp_offset) {
    rtmp_bytes_append_u8 (out,
        (RTMP_FLV_SOUND_FORMAT_EX_HEADER << 4) | RTMP_FLV_AUDIO_PACKET_MOD_EX);
    append_mod_ex_timestamp_offset (out, info->timestamp_offset_ns,
        packet_type);
  } else {
    rtmp_bytes_append_u8 (out,
        (RTMP_FLV_SOUND_FORMAT_EX_HEADER << 4) | (packet_type & 0x0f));
  }

  if (info->is_multitrack) {
    rtmp_bytes_append_u8 (out,
        (info->multitrack_type << 4) | (info->packet_type & 0x0f));
    if (info->multitrack_type != RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS)
      rtmp_bytes_append_u32_be (out, info->fourcc);
    return;
  }
  rtmp_bytes_append_u32_be (out, info->fourcc);
  if (info->packet_type == RTMP_FLV_AUDIO_PACKET_MULTICHANNEL_CONFIG) {
    rtmp_bytes_append_u8 (out, info->channel_order);
    rtmp_bytes_append_u8 (out, info->channel_count);
    if (info->channel_order == RTMP_FLV_AUDIO_CHANNEL_ORDER_NATIVE)
      rtmp_bytes_append_u32_be (out, info->channel_mask);
  }
}

void
rtmp_flv_append_video_ex_header (GByteArray *out, guint8 frame_type,
    guint8 packet_type, guint32 fourcc)
{
  g_return_if_fail (out != NULL);

  rtmp_bytes_append_u8 (out,
      0x80 | ((frame_type & 0x07) << 4) | (packet_type & 0x0f));
  rtmp_bytes_append_u32_be (out, fourcc);
}

void
rtmp_flv_append_audio_ex_header (GByteArray *out, guint8 packet_type,
    guint32 fourcc)
{
  g_return_if_fail (out != NULL);

  rtmp_bytes_append_u8 (out,
      (RTMP_FLV_SOUND_FORMAT_EX_HEADER << 4) | (packet_type & 0x0f));
  rtmp_bytes_append_u32_be (out, fourcc);
}

void
rtmp_flv_append_composition_time (GByteArray *out, gint32 ms)
{
  g_return_if_fail (out != NULL);

  rtmp_bytes_append_u24_be (out, (guint32) ms & 0xffffff);
}

void
rtmp_flv_append_track_header (GByteArray *out, guint8 multitrack_type,
    guint32 fourcc, guint8 track_id, guint32 track_len)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (track_len <= 0xffffff);

  if (multitrack_type == RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS)
    rtmp_bytes_append_u32_be (out, fourcc);
  rtmp_bytes_append_u8 (out, track_id);
  if (multitrack_type != RTMP_FLV_MULTITRACK_ONE_TRACK)
    rtmp_bytes_append_u24_be (out, track_len);
}

/* --- script tags --- */

#define AMF0_STRING_MARKER 0x02
#define SET_DATA_FRAME_LEN (3 + sizeof (RTMP_FLV_SET_DATA_FRAME) - 1)

gboolean
rtmp_flv_script_peek_name (const guint8 *data, gsize len, const guint8 **name,
    gsize *name_len)
{
  RtmpBytesReader r;
  guint8 marker;
  guint16 n;
  const guint8 *p;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  rtmp_bytes_reader_init (&r, data, len);
  if (!rtmp_bytes_read_u8 (&r, &marker) || marker != AMF0_STRING_MARKER
      || !rtmp_bytes_read_u16_be (&r, &n)
      || !rtmp_bytes_read_pointer (&r, n, &p))
    return FALSE;
  if (name != NULL)
    *name = p;
  if (name_len != NULL)
    *name_len = n;
  return TRUE;
}

static gboolean
first_name_is (const guint8 *data, gsize len, const gchar *expected)
{
  const guint8 *name;
  gsize name_len;

  return rtmp_flv_script_peek_name (data, len, &name, &name_len)
      && name_len == strlen (expected)
      && memcmp (name, expected, name_len) == 0;
}

gboolean
rtmp_flv_script_is_on_metadata (const guint8 *data, gsize len)
{
  return first_name_is (data, len, "onMetaData");
}

gboolean
rtmp_flv_script_has_set_data_frame (const guint8 *data, gsize len)
{
  return first_name_is (data, len, RTMP_FLV_SET_DATA_FRAME);
}

GBytes *
rtmp_flv_script_strip_set_data_frame (GBytes *body)
{
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (body != NULL, NULL);

  data = g_bytes_get_data (body, &len);
  if (!rtmp_flv_script_has_set_data_frame (data, len))
    return g_bytes_ref (body);
  return g_bytes_new_from_bytes (body, SET_DATA_FRAME_LEN,
      len - SET_DATA_FRAME_LEN);
}

GBytes *
rtmp_flv_script_add_set_data_frame (GBytes *body)
{
  gsize len;
  const guint8 *data;
  guint8 *out;

  g_return_val_if_fail (body != NULL, NULL);

  data = g_bytes_get_data (body, &len);
  if (rtmp_flv_script_has_set_data_frame (data, len))
    return g_bytes_ref (body);

  out = g_malloc (SET_DATA_FRAME_LEN + len);
  out[0] = AMF0_STRING_MARKER;
  rtmp_bytes_put_u16_be (out + 1, SET_DATA_FRAME_LEN - 3);
  memcpy (out + 3, RTMP_FLV_SET_DATA_FRAME, SET_DATA_FRAME_LEN - 3);
  if (len > 0)
    memcpy (out + SET_DATA_FRAME_LEN, data, len);
  return g_bytes_new_take (out, SET_DATA_FRAME_LEN + len);
}
