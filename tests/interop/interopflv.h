/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interop matrix's media: the streams it publishes (a generated H.264 +
 * AAC file, a synthetic Enhanced RTMP HEVC stream) and the comparison of
 * what a player wrote (FLV) with what was published. */

#ifndef __INTEROP_FLV_H__
#define __INTEROP_FLV_H__

#include <glib.h>

G_BEGIN_DECLS

/* One audio or video tag of a stream */
typedef struct
{
  guint8 type;       /* 8 audio, 9 video */
  guint32 timestamp; /* ms, as in the tag */
  gint32 composition_time_ms;
  guint32 fourcc;        /* hvc1/avc1/mp4a... from the tag header, 0 if none */
  gboolean is_ex_header; /* Enhanced RTMP header */
  gboolean is_keyframe;
  gboolean is_sequence_header;
  gboolean is_sequence_end;
  GBytes *body; /* the whole tag body */
  GBytes *data; /* the codec data after the tag header fields */
} InteropTag;

typedef struct
{
  /* InteropTag *: coded frames, in stream order (no sequence headers or
   * ends) */
  GPtrArray *video;
  GPtrArray *audio;
  /* InteropTag *: every sequence header, in order */
  GPtrArray *video_headers;
  GPtrArray *audio_headers;
  guint n_video_ends;
  guint n_script;
  guint64 n_bytes;
} InteropStream;

/* Reads the FLV file at @path (with or without an FLV header). A file that
 * ends inside a tag is read up to its last complete tag (a player stopped
 * by a signal may leave one); any other framing error fails. */
InteropStream *interop_stream_load (const gchar *path, GError **error);
/* The same from bytes in memory */
InteropStream *interop_stream_parse (GBytes *flv, GError **error);
void interop_stream_free (InteropStream *stream);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InteropStream, interop_stream_free)

typedef struct
{
  /* frames of the source the player may miss at its start and at its end
   * (live joins, a stop while frames were in flight) */
  guint max_missing_start;
  guint max_missing_end;
  /* received tag bodies must equal the source's byte for byte (Enhanced
   * RTMP: the tag headers must pass unchanged); else the parsed fields and
   * the codec data are compared, so a player that rewrites the tag header
   * bytes of the same frame (FFmpeg's muxer) passes */
  gboolean exact_bodies;
  /* timestamps may differ from the source's by this much (ms) after the
   * constant offset of the player's timeline is removed */
  guint timestamp_tolerance_ms;
} InteropCompareOptions;

void interop_compare_options_init (InteropCompareOptions *options);

/* Compares what a player received with the published source: every
 * received frame must be the next source frame (same codec data, key flag,
 * composition time, and timestamp relative to the first), so frames may be
 * missing only at the start and the end, within the options; the first
 * received video frame must be a keyframe; timestamps must not go back;
 * the sequence headers (AVC/HEVC decoder configuration, AAC
 * AudioSpecificConfig) must equal the source's. FALSE with @error saying
 * which frame and what differs. @summary (nullable) receives a one-line
 * summary either way ("video 90/90 (3 keys at 0, 1000, 2000 ms), audio
 * 131/131, ..."). */
gboolean interop_stream_compare (const InteropStream *source,
    const InteropStream *received, const InteropCompareOptions *options,
    gchar **summary, GError **error);

/* Writes a synthetic Enhanced RTMP stream (FLV, video only): an hvc1
 * SequenceStart with a synthetic HEVCDecoderConfigurationRecord, then
 * @n_frames frames at @fps, a keyframe every @fps frames, CodedFrames with
 * composition times and CodedFramesX alternating, each frame's data unique
 * (NAL-length-prefixed bytes holding its number). (transfer full) */
GBytes *interop_make_enhanced_flv (guint n_frames, guint fps);

/* The numbers of a stream, for messages: "90 video frames (3 keys), 131
 * audio frames" */
gchar *interop_stream_describe (const InteropStream *stream);

G_END_DECLS

#endif /* __INTEROP_FLV_H__ */
