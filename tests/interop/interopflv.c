/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interop matrix's media: reading what players wrote, comparing it with
 * the published source, and the synthetic Enhanced RTMP stream. */

#include "interopflv.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "rtmpflv.h"

static void
interop_tag_free (InteropTag *tag)
{
  g_bytes_unref (tag->body);
  g_bytes_unref (tag->data);
  g_free (tag);
}

void
interop_stream_free (InteropStream *stream)
{
  if (stream == NULL)
    return;
  g_ptr_array_unref (stream->video);
  g_ptr_array_unref (stream->audio);
  g_ptr_array_unref (stream->video_headers);
  g_ptr_array_unref (stream->audio_headers);
  g_free (stream);
}

static InteropStream *
stream_new (void)
{
  InteropStream *stream = g_new0 (InteropStream, 1);

  stream->video
      = g_ptr_array_new_with_free_func ((GDestroyNotify) interop_tag_free);
  stream->audio
      = g_ptr_array_new_with_free_func ((GDestroyNotify) interop_tag_free);
  stream->video_headers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) interop_tag_free);
  stream->audio_headers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) interop_tag_free);
  return stream;
}

static gboolean
add_tag (InteropStream *stream, const RtmpFlvTag *flv_tag, GError **error)
{
  gsize len = g_bytes_get_size (flv_tag->payload);
  const guint8 *body = g_bytes_get_data (flv_tag->payload, NULL);
  InteropTag *tag;
  gsize data_offset;

  if (flv_tag->type == RTMP_FLV_TAG_SCRIPT) {
    stream->n_script++;
    return TRUE;
  }
  tag = g_new0 (InteropTag, 1);
  tag->type = flv_tag->type;
  tag->timestamp = flv_tag->timestamp;
  tag->body = g_bytes_ref (flv_tag->payload);

  if (flv_tag->type == RTMP_FLV_TAG_VIDEO) {
    RtmpFlvVideoInfo info;

    if (!rtmp_flv_parse_video_header (body, len, &info, error)) {
      g_prefix_error (error, "video tag at offset %" G_GUINT64_FORMAT ": ",
          flv_tag->offset);
      interop_tag_free (tag);
      return FALSE;
    }
    tag->composition_time_ms = info.composition_time_ms;
    tag->fourcc = info.fourcc;
    tag->is_ex_header = info.is_ex_header;
    tag->is_keyframe = info.is_keyframe;
    tag->is_sequence_header = info.is_sequence_header;
    tag->is_sequence_end = info.is_sequence_end;
    data_offset = info.data_offset;
  } else {
    RtmpFlvAudioInfo info;

    if (!rtmp_flv_parse_audio_header (body, len, &info, error)) {
      g_prefix_error (error, "audio tag at offset %" G_GUINT64_FORMAT ": ",
          flv_tag->offset);
      interop_tag_free (tag);
      return FALSE;
    }
    tag->fourcc = info.fourcc;
    tag->is_ex_header = info.is_ex_header;
    tag->is_sequence_header = info.is_sequence_header;
    tag->is_sequence_end = info.is_sequence_end;
    data_offset = info.data_offset;
  }
  tag->data = g_bytes_new_from_bytes (flv_tag->payload, MIN (data_offset, len),
      len - MIN (data_offset, len));

  if (tag->is_sequence_end) {
    if (tag->type == RTMP_FLV_TAG_VIDEO)
      stream->n_video_ends++;
    interop_tag_free (tag);
  } else if (tag->is_sequence_header) {
    g_ptr_array_add (tag->type == RTMP_FLV_TAG_VIDEO ? stream->video_headers
                                                     : stream->audio_headers,
        tag);
  } else {
    g_ptr_array_add (
        tag->type == RTMP_FLV_TAG_VIDEO ? stream->video : stream->audio, tag);
  }
  return TRUE;
}

InteropStream *
interop_stream_parse (GBytes *flv, GError **error)
{
  g_autoptr (InteropStream) stream = stream_new ();
  g_autoptr (RtmpFlvReader) reader = rtmp_flv_reader_new (NULL);
  gsize size = g_bytes_get_size (flv);
  gsize offset = 0;

  stream->n_bytes = size;
  while (offset < size) {
    g_autoptr (RtmpFlvTag) tag = NULL;
    gsize consumed = 0;
    RtmpReadResult result;

    result = rtmp_flv_reader_read (reader, flv, offset, &consumed, &tag, error);
    if (result == RTMP_READ_ERROR)
      return NULL;
    offset += consumed;
    if (result == RTMP_READ_NEED_MORE)
      break;
    if (!add_tag (stream, tag, error))
      return NULL;
  }
  return g_steal_pointer (&stream);
}

InteropStream *
interop_stream_load (const gchar *path, GError **error)
{
  g_autofree gchar *contents = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gsize len = 0;
  InteropStream *stream;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
  stream = interop_stream_parse (bytes, error);
  if (stream == NULL)
    g_prefix_error (error, "%s: ", path);
  return stream;
}

void
interop_compare_options_init (InteropCompareOptions *options)
{
  memset (options, 0, sizeof (*options));
  options->timestamp_tolerance_ms = 1;
}

static gboolean
same_frame (const InteropTag *s, const InteropTag *r, gboolean exact_bodies)
{
  if (exact_bodies)
    return g_bytes_equal (s->body, r->body);
  return g_bytes_equal (s->data, r->data);
}

static const gchar *
track_name (guint8 type)
{
  return type == RTMP_FLV_TAG_VIDEO ? "video" : "audio";
}

/* The first source frame from @from that is the same frame as @r (and, when
 * @offset is set, at its timestamp); -1 when none */
static gint
find_frame (GPtrArray *source, guint from, const InteropTag *r,
    gboolean exact_bodies, const gint64 *offset, guint tolerance_ms)
{
  guint i;

  for (i = from; i < source->len; i++) {
    const InteropTag *s = source->pdata[i];

    if (!same_frame (s, r, exact_bodies))
      continue;
    if (offset != NULL
        && ABS ((gint64) r->timestamp - ((gint64) s->timestamp + *offset))
            > tolerance_ms)
      continue;
    return (gint) i;
  }
  return -1;
}

/* Checks one track; on success *offset is the received timeline's offset
 * (set from the first frame when !*have_offset) */
static gboolean
compare_track (GPtrArray *source, GPtrArray *received,
    const InteropCompareOptions *options, gint64 *offset, gboolean *have_offset,
    GString *summary, GError **error)
{
  const gchar *name;
  guint i, first, missing_end, n_keys = 0;
  guint32 min_step = G_MAXUINT32, max_step = 0;
  GString *keys = g_string_new (NULL);
  gint found;

  if (source->len == 0 && received->len == 0) {
    g_string_free (keys, TRUE);
    return TRUE;
  }
  name = track_name (source->len ? ((InteropTag *) source->pdata[0])->type
                                 : ((InteropTag *) received->pdata[0])->type);
  if (received->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "no %s frame received (the source has %u)", name, source->len);
    g_string_free (keys, TRUE);
    return FALSE;
  }

  /* timestamps never go back (decode order) */
  for (i = 1; i < received->len; i++) {
    const InteropTag *prev = received->pdata[i - 1];
    const InteropTag *cur = received->pdata[i];

    if (cur->timestamp < prev->timestamp) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "%s frame %u goes back in time: %u ms after %u ms", name, i,
          cur->timestamp, prev->timestamp);
      g_string_free (keys, TRUE);
      return FALSE;
    }
    min_step = MIN (min_step, cur->timestamp - prev->timestamp);
    max_step = MAX (max_step, cur->timestamp - prev->timestamp);
  }

  found = find_frame (source, 0, received->pdata[0], options->exact_bodies,
      *have_offset ? offset : NULL, options->timestamp_tolerance_ms);
  if (found < 0) {
    const InteropTag *r = received->pdata[0];

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the first %s frame received (%u ms, %" G_GSIZE_FORMAT
        " bytes%s) is none of the source's%s",
        name, r->timestamp, g_bytes_get_size (r->body),
        options->exact_bodies ? ", whole tag compared" : "",
        *have_offset ? " at the video's timestamp offset" : "");
    g_string_free (keys, TRUE);
    return FALSE;
  }
  first = (guint) found;
  if (!*have_offset) {
    *offset = (gint64) ((InteropTag *) received->pdata[0])->timestamp
        - ((InteropTag *) source->pdata[first])->timestamp;
    *have_offset = TRUE;
  }
  if (first > options->max_missing_start) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the first %u %s frames of the source are missing (at most %u may "
        "be)",
        first, name, options->max_missing_start);
    g_string_free (keys, TRUE);
    return FALSE;
  }

  for (i = 0; i < received->len; i++) {
    const InteropTag *r = received->pdata[i];
    const InteropTag *s;
    gint64 expected;

    if (first + i >= source->len) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "%u %s frames received from source frame %u on, but the source "
          "has only %u (duplicates?)",
          received->len, name, first, source->len);
      g_string_free (keys, TRUE);
      return FALSE;
    }
    s = source->pdata[first + i];
    if (!same_frame (s, r, options->exact_bodies)) {
      gint other = find_frame (source, 0, r, options->exact_bodies, NULL, 0);
      g_autofree gchar *which = other >= 0
          ? g_strdup_printf ("it is source frame %d (frames lost or "
                             "reordered)",
              other)
          : g_strdup ("it is no source frame");

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "%s frame %u received (%u ms) differs from source frame %u "
          "(%u ms): %s",
          name, i, r->timestamp, first + i, s->timestamp, which);
      g_string_free (keys, TRUE);
      return FALSE;
    }
    expected = (gint64) s->timestamp + *offset;
    if (ABS ((gint64) r->timestamp - expected)
        > options->timestamp_tolerance_ms) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "%s frame %u (source frame %u at %u ms) has timestamp %u ms, "
          "expected %" G_GINT64_FORMAT " ms (offset %" G_GINT64_FORMAT
          " ms from its first frame)",
          name, i, first + i, s->timestamp, r->timestamp, expected, *offset);
      g_string_free (keys, TRUE);
      return FALSE;
    }
    if (ABS (r->composition_time_ms - s->composition_time_ms)
        > (gint32) options->timestamp_tolerance_ms) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "%s frame %u (%u ms) has composition time %d ms, the source %d ms",
          name, i, r->timestamp, r->composition_time_ms,
          s->composition_time_ms);
      g_string_free (keys, TRUE);
      return FALSE;
    }
    if (r->is_keyframe != s->is_keyframe) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "%s frame %u (%u ms) is %sa keyframe, the source's is %s", name, i,
          r->timestamp, r->is_keyframe ? "" : "not ",
          s->is_keyframe ? "one" : "not");
      g_string_free (keys, TRUE);
      return FALSE;
    }
    if (r->is_keyframe) {
      g_string_append_printf (keys, "%s%u", n_keys ? ", " : "",
          (guint) (r->timestamp
              - ((InteropTag *) received->pdata[0])->timestamp));
      n_keys++;
    }
  }
  if (((InteropTag *) received->pdata[0])->type == RTMP_FLV_TAG_VIDEO
      && !((InteropTag *) received->pdata[0])->is_keyframe) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the first video frame received (source frame %u) is not a keyframe",
        first);
    g_string_free (keys, TRUE);
    return FALSE;
  }
  missing_end = source->len - (first + received->len);
  if (missing_end > options->max_missing_end) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the last %u %s frames of the source are missing (received %u of "
        "%u from frame %u; at most %u may be missing at the end)",
        missing_end, name, received->len, source->len, first,
        options->max_missing_end);
    g_string_free (keys, TRUE);
    return FALSE;
  }

  g_string_append_printf (summary, "%s%s %u/%u", summary->len ? ", " : "", name,
      received->len, source->len);
  if (n_keys > 0)
    g_string_append_printf (summary, " (keys at %s ms)", keys->str);
  if (received->len > 1)
    g_string_append_printf (summary, " step %u-%u ms", min_step, max_step);
  g_string_free (keys, TRUE);
  return TRUE;
}

static gboolean
compare_headers (GPtrArray *source, GPtrArray *received, const gchar *what,
    gboolean exact_bodies, GError **error)
{
  const InteropTag *s;
  guint i;

  if (source->len == 0)
    return TRUE;
  s = source->pdata[0];
  if (received->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "no %s sequence header received", what);
    return FALSE;
  }
  for (i = 0; i < received->len; i++) {
    const InteropTag *r = received->pdata[i];

    if (!same_frame (s, r, exact_bodies)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "%s sequence header %u received (%" G_GSIZE_FORMAT
          " bytes of codec data) differs from the source's (%" G_GSIZE_FORMAT
          " bytes)",
          what, i, g_bytes_get_size (r->data), g_bytes_get_size (s->data));
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
interop_stream_compare (const InteropStream *source,
    const InteropStream *received, const InteropCompareOptions *options,
    gchar **summary, GError **error)
{
  GString *text = g_string_new (NULL);
  gint64 offset = 0;
  gboolean have_offset = FALSE;
  gboolean ok;

  ok = compare_headers (source->video_headers, received->video_headers, "video",
           options->exact_bodies, error)
      && compare_headers (source->audio_headers, received->audio_headers,
          "audio", options->exact_bodies, error)
      && compare_track (source->video, received->video, options, &offset,
          &have_offset, text, error)
      && compare_track (source->audio, received->audio, options, &offset,
          &have_offset, text, error);
  if (ok)
    g_string_append (text, ", codec data equal");
  if (summary != NULL) {
    g_autofree gchar *numbers = interop_stream_describe (received);

    *summary = ok ? g_string_free (text, FALSE) : g_steal_pointer (&numbers);
    if (!ok)
      g_string_free (text, TRUE);
  } else {
    g_string_free (text, TRUE);
  }
  return ok;
}

gchar *
interop_stream_describe (const InteropStream *stream)
{
  guint i, n_keys = 0;

  for (i = 0; i < stream->video->len; i++)
    n_keys += ((InteropTag *) stream->video->pdata[i])->is_keyframe;
  return g_strdup_printf ("%u video frames (%u keys), %u audio frames, %u+%u "
                          "sequence headers, %" G_GUINT64_FORMAT " bytes",
      stream->video->len, n_keys, stream->audio->len,
      stream->video_headers->len, stream->audio_headers->len, stream->n_bytes);
}

/* --- the synthetic Enhanced RTMP stream --- */

/* An HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) for Main
 * profile, level 3.1, 4:2:0 8-bit, NAL length size 4, and no parameter set
 * arrays: well-formed, but describing no decodable stream (nothing here
 * decodes it) */
static const guint8 synthetic_hvcc[]
    = { 0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x5d, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x00 };

GBytes *
interop_make_enhanced_flv (guint n_frames, guint fps)
{
  GByteArray *flv = g_byte_array_new ();
  g_autoptr (GByteArray) tag = g_byte_array_new ();
  guint8 header[RTMP_FLV_FILE_HEADER_LEN];
  guint i;

  g_byte_array_append (flv, header,
      rtmp_flv_write_header (header, RTMP_FLV_HEADER_FLAG_VIDEO));
  rtmp_flv_append_video_ex_header (tag, RTMP_FLV_VIDEO_FRAME_KEY,
      RTMP_FLV_VIDEO_PACKET_SEQUENCE_START, RTMP_FLV_FOURCC_HVC1);
  g_byte_array_append (tag, synthetic_hvcc, sizeof (synthetic_hvcc));
  rtmp_flv_append_tag (flv, RTMP_FLV_TAG_VIDEO, 0, tag->data, tag->len);

  for (i = 0; i < n_frames; i++) {
    gboolean is_key = i % fps == 0;
    /* odd frames carry a composition time, even ones use CodedFramesX */
    gboolean with_cts = i % 2 == 1;
    guint8 nal[4 + 2 + 200];
    guint j;

    g_byte_array_set_size (tag, 0);
    rtmp_flv_append_video_ex_header (tag,
        is_key ? RTMP_FLV_VIDEO_FRAME_KEY : RTMP_FLV_VIDEO_FRAME_INTER,
        with_cts ? RTMP_FLV_VIDEO_PACKET_CODED_FRAMES
                 : RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X,
        RTMP_FLV_FOURCC_HVC1);
    if (with_cts)
      rtmp_flv_append_composition_time (tag, 1000 / fps);
    /* one NAL unit: length, HEVC NAL header (IDR_W_RADL 19 or TRAIL_R 1),
     * then bytes holding the frame number */
    nal[0] = 0;
    nal[1] = 0;
    nal[2] = 0;
    nal[3] = sizeof (nal) - 4;
    nal[4] = is_key ? 19 << 1 : 1 << 1;
    nal[5] = 0x01;
    for (j = 6; j < sizeof (nal); j++)
      nal[j] = (guint8) (i * 7 + j);
    nal[6] = (guint8) (i >> 8);
    nal[7] = (guint8) i;
    g_byte_array_append (tag, nal, sizeof (nal));
    rtmp_flv_append_tag (flv, RTMP_FLV_TAG_VIDEO, i * 1000 / fps, tag->data,
        tag->len);
  }
  return g_byte_array_free_to_bytes (flv);
}
