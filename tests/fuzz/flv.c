/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the FLV reader and the tag header parsers: the input (after its
 * first byte, which picks a split point) is read whole and in two pieces,
 * which must give the same tags and the same error; every tag's audio,
 * video or script header is parsed, written back and parsed again. */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "rtmpflv.h"

#define MAX_TAG_BYTES 4096

static void
check_error (GError *error, const gchar *what)
{
  if (error == NULL || error->domain != RTMP_ERROR || error->message == NULL)
    g_error ("%s failed without an RTMP_ERROR", what);
}

static void
check_track_ranges (const RtmpFlvTrack *tracks, guint n_tracks, gsize len)
{
  guint i;

  for (i = 0; i < MIN (n_tracks, RTMP_FLV_MAX_TRACKS); i++) {
    const RtmpFlvTrack *t = &tracks[i];

    if (t->offset + t->len > len || t->data_offset < t->offset
        || t->data_offset + t->data_len != t->offset + t->len)
      g_error ("track %u out of range", i);
  }
}

static void
compare_tracks (const RtmpFlvTrack *a, const RtmpFlvTrack *b, guint n_tracks)
{
  guint i;

  for (i = 0; i < MIN (n_tracks, RTMP_FLV_MAX_TRACKS); i++) {
    if (a[i].track_id != b[i].track_id || a[i].fourcc != b[i].fourcc
        || a[i].composition_time_ms != b[i].composition_time_ms
        || a[i].len != b[i].len || a[i].data_len != b[i].data_len)
      g_error ("track %u differs after writing it back", i);
  }
}

/* Writes the tracks of a multitrack body after its header in @out. */
static void
append_tracks (GByteArray *out, const guint8 *data, guint8 multitrack_type,
    const RtmpFlvTrack *tracks, guint n_tracks)
{
  guint i;

  for (i = 0; i < n_tracks; i++) {
    rtmp_flv_append_track_header (out, multitrack_type, tracks[i].fourcc,
        tracks[i].track_id, tracks[i].len);
    g_byte_array_append (out, data + tracks[i].offset, tracks[i].len);
  }
}

static void
fuzz_video (const guint8 *data, gsize len)
{
  RtmpFlvVideoInfo info, again;
  GError *error = NULL;
  GByteArray *out;
  guint header_len;

  if (!rtmp_flv_parse_video_header (data, len, &info, &error)) {
    check_error (error, "video header");
    g_error_free (error);
    return;
  }
  if (info.data_offset > len || info.n_tracks == 0)
    g_error ("video data offset %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT,
        info.data_offset, len);
  if (info.is_multitrack)
    check_track_ranges (info.tracks, info.n_tracks, len);
  if (info.is_multitrack && info.n_tracks > RTMP_FLV_MAX_TRACKS)
    return;

  out = g_byte_array_new ();
  rtmp_flv_append_video_header (out, &info);
  header_len = out->len;
  if (info.is_multitrack)
    append_tracks (out, data, info.multitrack_type, info.tracks, info.n_tracks);
  else
    g_byte_array_append (out, data + info.data_offset, len - info.data_offset);

  if (!rtmp_flv_parse_video_header (out->data, out->len, &again, &error))
    g_error ("written video header does not parse: %s", error->message);
  if (info.is_ex_header != again.is_ex_header
      || info.frame_type != again.frame_type || info.codec_id != again.codec_id
      || info.fourcc != again.fourcc || info.packet_type != again.packet_type
      || info.composition_time_ms != again.composition_time_ms
      || info.is_keyframe != again.is_keyframe
      || info.is_sequence_header != again.is_sequence_header
      || info.is_sequence_end != again.is_sequence_end
      || info.is_command != again.is_command || info.command != again.command
      || info.has_timestamp_offset != again.has_timestamp_offset
      || info.timestamp_offset_ns != again.timestamp_offset_ns
      || info.is_multitrack != again.is_multitrack
      || info.multitrack_type != again.multitrack_type
      || info.n_tracks != again.n_tracks)
    g_error ("video header differs after writing it back");
  if (!info.is_multitrack && again.data_offset != header_len)
    g_error ("written video header is %u bytes, parsed as %" G_GSIZE_FORMAT,
        header_len, again.data_offset);
  if (info.is_multitrack)
    compare_tracks (info.tracks, again.tracks, info.n_tracks);
  g_byte_array_unref (out);
}

static void
fuzz_audio (const guint8 *data, gsize len)
{
  RtmpFlvAudioInfo info, again;
  GError *error = NULL;
  GByteArray *out;
  guint header_len;

  if (!rtmp_flv_parse_audio_header (data, len, &info, &error)) {
    check_error (error, "audio header");
    g_error_free (error);
    return;
  }
  if (info.data_offset > len || info.n_tracks == 0)
    g_error ("audio data offset %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT,
        info.data_offset, len);
  if (info.is_multitrack)
    check_track_ranges (info.tracks, info.n_tracks, len);
  if (info.is_multitrack && info.n_tracks > RTMP_FLV_MAX_TRACKS)
    return;

  out = g_byte_array_new ();
  rtmp_flv_append_audio_header (out, &info);
  header_len = out->len;
  if (info.is_multitrack)
    append_tracks (out, data, info.multitrack_type, info.tracks, info.n_tracks);
  else if (len > 0)
    g_byte_array_append (out, data + info.data_offset, len - info.data_offset);

  if (!rtmp_flv_parse_audio_header (out->data, out->len, &again, &error))
    g_error ("written audio header does not parse: %s", error->message);
  if (info.is_ex_header != again.is_ex_header
      || info.sound_format != again.sound_format
      || info.sound_rate != again.sound_rate
      || info.sound_size != again.sound_size
      || info.sound_type != again.sound_type || info.fourcc != again.fourcc
      || info.packet_type != again.packet_type
      || info.is_sequence_header != again.is_sequence_header
      || info.is_sequence_end != again.is_sequence_end
      || info.is_silence != again.is_silence
      || info.channel_order != again.channel_order
      || info.channel_count != again.channel_count
      || info.channel_mask != again.channel_mask
      || info.has_timestamp_offset != again.has_timestamp_offset
      || info.timestamp_offset_ns != again.timestamp_offset_ns
      || info.is_multitrack != again.is_multitrack
      || info.multitrack_type != again.multitrack_type
      || info.n_tracks != again.n_tracks)
    g_error ("audio header differs after writing it back");
  if (!info.is_multitrack && again.data_offset != header_len)
    g_error ("written audio header is %u bytes, parsed as %" G_GSIZE_FORMAT,
        header_len, again.data_offset);
  if (info.is_multitrack)
    compare_tracks (info.tracks, again.tracks, info.n_tracks);
  g_byte_array_unref (out);
}

static void
fuzz_script (GBytes *body)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (body, &len);
  GBytes *stripped = rtmp_flv_script_strip_set_data_frame (body);
  GBytes *added = rtmp_flv_script_add_set_data_frame (stripped);
  GBytes *stripped_again = rtmp_flv_script_strip_set_data_frame (added);
  gsize stripped_len;
  const guint8 *stripped_data = g_bytes_get_data (stripped, &stripped_len);

  (void) rtmp_flv_script_is_on_metadata (data, len);
  if (!rtmp_flv_script_has_set_data_frame (data, len) && stripped != body)
    g_error ("strip changed a body without @setDataFrame");
  /* the prefix is byte-exact: adding it back restores a body that had it
   * (once), and stripping what was added restores the input */
  if (!rtmp_flv_script_has_set_data_frame (stripped_data, stripped_len)) {
    if (rtmp_flv_script_has_set_data_frame (data, len)
        && !g_bytes_equal (added, body))
      g_error ("@setDataFrame strip + add changed the body");
    if (!g_bytes_equal (stripped_again, stripped))
      g_error ("@setDataFrame add + strip changed the body");
  }
  g_bytes_unref (stripped_again);
  g_bytes_unref (added);
  g_bytes_unref (stripped);
}

typedef struct
{
  GPtrArray *tags;
  gchar *error;
} ReadResult;

static void
read_pieces (GBytes **pieces, guint n_pieces, ReadResult *result)
{
  RtmpLimits limits;
  RtmpFlvReader *reader;
  guint i;

  rtmp_limits_init_default (&limits);
  limits.max_message_bytes = MAX_TAG_BYTES;
  reader = rtmp_flv_reader_new (&limits);
  result->tags
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_flv_tag_free);
  result->error = NULL;

  for (i = 0; i < n_pieces && result->error == NULL; i++) {
    gsize len = g_bytes_get_size (pieces[i]);
    gsize pos = 0;

    for (;;) {
      RtmpFlvTag *tag = NULL;
      GError *error = NULL;
      gsize consumed = 0;
      RtmpReadResult res = rtmp_flv_reader_read (reader, pieces[i], pos,
          &consumed, &tag, &error);

      if (consumed > len - pos)
        g_error ("consumed %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, consumed,
            len - pos);
      pos += consumed;
      if (res == RTMP_READ_ERROR) {
        check_error (error, "reader");
        result->error = g_strdup (error->message);
        g_error_free (error);
        break;
      }
      if (res == RTMP_READ_NEED_MORE) {
        if (pos != len || tag != NULL)
          g_error ("NEED_MORE left %" G_GSIZE_FORMAT " bytes", len - pos);
        break;
      }
      if (tag == NULL || g_bytes_get_size (tag->payload) > MAX_TAG_BYTES)
        g_error ("bad tag");
      g_ptr_array_add (result->tags, tag);
    }
  }
  rtmp_flv_reader_free (reader);
}

static void
compare_results (const ReadResult *a, const ReadResult *b)
{
  guint i;

  if (g_strcmp0 (a->error, b->error) != 0)
    g_error ("whole read: %s; split read: %s", a->error, b->error);
  if (a->tags->len != b->tags->len)
    g_error ("whole read: %u tags; split read: %u", a->tags->len, b->tags->len);
  for (i = 0; i < a->tags->len; i++) {
    RtmpFlvTag *x = g_ptr_array_index (a->tags, i);
    RtmpFlvTag *y = g_ptr_array_index (b->tags, i);

    if (x->type != y->type || x->timestamp != y->timestamp
        || x->offset != y->offset || !g_bytes_equal (x->payload, y->payload))
      g_error ("tag %u differs between whole and split reads", i);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialized = FALSE;
  GBytes *whole, *pieces[2];
  ReadResult a, b;
  gsize split;
  guint i;

  if (!initialized) {
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    initialized = TRUE;
  }
  if (size < 1)
    return 0;

  split = (gsize) data[0] * (size - 1) / 255;
  data++;
  size--;

  /* copies, so that every piece is its own allocation for ASan */
  whole = g_bytes_new (data, size);
  pieces[0] = g_bytes_new (data, split);
  pieces[1] = g_bytes_new (data + split, size - split);

  read_pieces (&whole, 1, &a);
  read_pieces (pieces, 2, &b);
  compare_results (&a, &b);

  for (i = 0; i < b.tags->len; i++) {
    RtmpFlvTag *tag = g_ptr_array_index (b.tags, i);
    gsize len;
    const guint8 *body = g_bytes_get_data (tag->payload, &len);

    switch (tag->type) {
      case RTMP_FLV_TAG_VIDEO:
        fuzz_video (body, len);
        break;
      case RTMP_FLV_TAG_AUDIO:
        fuzz_audio (body, len);
        break;
      case RTMP_FLV_TAG_SCRIPT:
        fuzz_script (tag->payload);
        break;
      default:
        g_error ("tag type %u", tag->type);
    }
  }

  g_ptr_array_unref (a.tags);
  g_ptr_array_unref (b.tags);
  g_free (a.error);
  g_free (b.error);
  g_bytes_unref (whole);
  g_bytes_unref (pieces[0]);
  g_bytes_unref (pieces[1]);
  return 0;
}
