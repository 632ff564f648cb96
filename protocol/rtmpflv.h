/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FLV: an incremental reader of FLV byte streams, header and tag writers,
 * audio/video tag header parsers (legacy FLV and Enhanced RTMP v1/v2) and
 * byte-level helpers for script (onMetaData) tags. */

#ifndef __RTMP_FLV_H__
#define __RTMP_FLV_H__

#include <glib.h>
#include "rtmperror.h"
#include "rtmplimits.h"

G_BEGIN_DECLS

/* FLV spec v10.1 Annex E.2/E.3: the file header is 9 bytes (DataOffset may
 * say more), each tag has an 11-byte header and is followed by a 4-byte
 * PreviousTagSize; PreviousTagSize0, right after the header, is 0. */
#define RTMP_FLV_HEADER_LEN 9
#define RTMP_FLV_TAG_HEADER_LEN 11
#define RTMP_FLV_TAG_TRAILER_LEN 4
/* header + PreviousTagSize0: what rtmp_flv_write_header () writes */
#define RTMP_FLV_FILE_HEADER_LEN \
  (RTMP_FLV_HEADER_LEN + RTMP_FLV_TAG_TRAILER_LEN)
/* DataSize is a 24-bit field */
#define RTMP_FLV_MAX_DATA_SIZE 0xFFFFFF

/* Tag types: the same numbers as RTMP message types 8, 9 and 18 */
typedef enum
{
  RTMP_FLV_TAG_AUDIO = 8,
  RTMP_FLV_TAG_VIDEO = 9,
  RTMP_FLV_TAG_SCRIPT = 18,
} RtmpFlvTagType;

/* FLV header TypeFlags */
typedef enum
{
  RTMP_FLV_HEADER_FLAG_VIDEO = 0x01,
  RTMP_FLV_HEADER_FLAG_AUDIO = 0x04,
} RtmpFlvHeaderFlags;

typedef struct
{
  guint8 version;     /* always 1: other versions are refused */
  guint8 flags;       /* RtmpFlvHeaderFlags, reserved bits kept as read */
  guint32 header_len; /* DataOffset: 9, or more with skipped extra bytes */
} RtmpFlvHeader;

typedef struct
{
  guint8 type;       /* RtmpFlvTagType */
  guint32 timestamp; /* ms: 24 bits + 8-bit extension (the high byte) */
  GBytes *payload;   /* owned: the tag body (DataSize bytes) */
  guint64 offset;    /* of the tag header in the stream (since the reader
                      * was created or reset) */
} RtmpFlvTag;

void rtmp_flv_tag_free (RtmpFlvTag *tag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpFlvTag, rtmp_flv_tag_free)

/* --- reader --- */

typedef struct _RtmpFlvReader RtmpFlvReader;

/* @limits (transfer none, copied; NULL = defaults): max_message_bytes
 * bounds each tag's DataSize and the extra bytes of an FLV header whose
 * DataOffset is more than 9. */
RtmpFlvReader *rtmp_flv_reader_new (const RtmpLimits *limits);
void rtmp_flv_reader_free (RtmpFlvReader *reader);

/* Reads at most one tag from the bytes of @input that start at @offset.
 *
 * The stream is an optional FLV header followed by PreviousTagSize0, then
 * tags, each followed by its PreviousTagSize; without a header it starts
 * with a tag. A tag is returned once its PreviousTagSize has been read and
 * checked, so RTMP_READ_OK always means a complete, verified tag, and
 * *consumed counts the bytes used from @offset up to and including that
 * field. On RTMP_READ_NEED_MORE every byte from @offset was consumed (parsed
 * or held), *consumed == size - @offset, and nothing is wrong yet.
 *
 * *tag (transfer full): its payload is a g_bytes_new_from_bytes () slice of
 * @input when the whole body lies inside @input (no copy; the tag then keeps
 * @input alive), or a buffer assembled from several pieces in which each
 * byte was copied once.
 *
 * Errors (RTMP_ERROR): MALFORMED for a bad signature, a PreviousTagSize that
 * does not match ("tag at offset N: previous tag size X, expected Y", where
 * N is the offset of the tag whose size it is), an unknown tag type; LIMIT
 * for a DataSize above max_message_bytes; UNSUPPORTED for an FLV version
 * other than 1 and for encrypted (Filter bit) tags. After an error the reader
 * must be freed or reset. */
RtmpReadResult rtmp_flv_reader_read (RtmpFlvReader *reader, GBytes *input,
    gsize offset, gsize *consumed, RtmpFlvTag **tag, GError **error);

/* TRUE once a complete FLV header was read; @header (nullable) receives it. */
gboolean rtmp_flv_reader_get_header (const RtmpFlvReader *reader,
    RtmpFlvHeader *header);
/* Bytes consumed since creation or the last reset. */
guint64 rtmp_flv_reader_get_offset (const RtmpFlvReader *reader);
/* TRUE when bytes of an incomplete header or tag have been consumed (the
 * stream would end in the middle of an item). */
gboolean rtmp_flv_reader_has_partial (const RtmpFlvReader *reader);
/* Drops any partial tag and starts over: the next byte may begin an FLV
 * header again and offsets restart at 0 (for a new stream after a flush). */
void rtmp_flv_reader_reset (RtmpFlvReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpFlvReader, rtmp_flv_reader_free)

/* --- writers --- */

/* Writes the 9-byte FLV header (version 1, @flags: RtmpFlvHeaderFlags) and
 * PreviousTagSize0: RTMP_FLV_FILE_HEADER_LEN bytes. Returns the bytes
 * written. */
gsize rtmp_flv_write_header (guint8 *out, guint8 flags);
/* Writes an 11-byte tag header; @data_size at most RTMP_FLV_MAX_DATA_SIZE.
 * The body follows, then rtmp_flv_write_tag_trailer (). */
gsize rtmp_flv_write_tag_header (guint8 *out, guint8 type, guint32 data_size,
    guint32 timestamp);
/* Writes the 4-byte PreviousTagSize that follows a body of @data_size. */
gsize rtmp_flv_write_tag_trailer (guint8 *out, guint32 data_size);
/* Appends a whole tag (header, @body, trailer), copying @body. */
void rtmp_flv_append_tag (GByteArray *out, guint8 type, guint32 timestamp,
    const guint8 *body, gsize body_len);

/* --- video tag headers --- */

/* FLV spec E.4.3.1 and Enhanced RTMP VideoFrameType */
typedef enum
{
  RTMP_FLV_VIDEO_FRAME_KEY = 1,
  RTMP_FLV_VIDEO_FRAME_INTER = 2,
  RTMP_FLV_VIDEO_FRAME_DISPOSABLE_INTER = 3, /* H.263 only */
  RTMP_FLV_VIDEO_FRAME_GENERATED_KEY = 4,    /* reserved for server use */
  RTMP_FLV_VIDEO_FRAME_COMMAND = 5,          /* video info/command frame */
} RtmpFlvVideoFrameType;

/* Legacy CodecID (FLV spec E.4.3.1) */
typedef enum
{
  RTMP_FLV_VIDEO_CODEC_H263 = 2,
  RTMP_FLV_VIDEO_CODEC_SCREEN = 3,
  RTMP_FLV_VIDEO_CODEC_VP6 = 4,
  RTMP_FLV_VIDEO_CODEC_VP6A = 5,
  RTMP_FLV_VIDEO_CODEC_SCREEN2 = 6,
  RTMP_FLV_VIDEO_CODEC_AVC = 7,
  /* not in any spec: Chinese CDNs (and the FFmpeg forks they ship) send
   * HEVC and AV1 with these ids and the AVC packet layout */
  RTMP_FLV_VIDEO_CODEC_HEVC = 12,
  RTMP_FLV_VIDEO_CODEC_AV1 = 13,
} RtmpFlvVideoCodec;

/* Enhanced RTMP VideoPacketType. Legacy AVCPacketType 0/1/2 (sequence
 * header, NALU, end of sequence) has the same numbers as 0/1/2 here. */
typedef enum
{
  RTMP_FLV_VIDEO_PACKET_SEQUENCE_START = 0,
  RTMP_FLV_VIDEO_PACKET_CODED_FRAMES = 1,
  RTMP_FLV_VIDEO_PACKET_SEQUENCE_END = 2,
  RTMP_FLV_VIDEO_PACKET_CODED_FRAMES_X = 3, /* composition time 0 */
  RTMP_FLV_VIDEO_PACKET_METADATA = 4,       /* AMF body, e.g. colorInfo */
  RTMP_FLV_VIDEO_PACKET_MPEG2TS_SEQUENCE_START = 5,
  RTMP_FLV_VIDEO_PACKET_MULTITRACK = 6,
  RTMP_FLV_VIDEO_PACKET_MOD_EX = 7,
} RtmpFlvVideoPacketType;

/* VideoCommand, the UI8 of a command frame */
typedef enum
{
  RTMP_FLV_VIDEO_COMMAND_START_SEEK = 0,
  RTMP_FLV_VIDEO_COMMAND_END_SEEK = 1,
} RtmpFlvVideoCommand;

/* AvMultitrackType, for audio and video */
typedef enum
{
  RTMP_FLV_MULTITRACK_ONE_TRACK = 0,
  RTMP_FLV_MULTITRACK_MANY_TRACKS = 1,
  RTMP_FLV_MULTITRACK_MANY_TRACKS_MANY_CODECS = 2,
} RtmpFlvMultitrackType;

/* ModEx types (VideoPacketModExType, AudioPacketModExType) */
typedef enum
{
  RTMP_FLV_MOD_EX_TIMESTAMP_OFFSET_NANO = 0,
} RtmpFlvModExType;

#define RTMP_FLV_FOURCC(a, b, c, d) \
  (((guint32) (guint8) (a) << 24) | ((guint32) (guint8) (b) << 16) \
      | ((guint32) (guint8) (c) << 8) | (guint32) (guint8) (d))

#define RTMP_FLV_FOURCC_AVC1 RTMP_FLV_FOURCC ('a', 'v', 'c', '1')
#define RTMP_FLV_FOURCC_HVC1 RTMP_FLV_FOURCC ('h', 'v', 'c', '1')
#define RTMP_FLV_FOURCC_AV01 RTMP_FLV_FOURCC ('a', 'v', '0', '1')
#define RTMP_FLV_FOURCC_VP09 RTMP_FLV_FOURCC ('v', 'p', '0', '9')
#define RTMP_FLV_FOURCC_VP08 RTMP_FLV_FOURCC ('v', 'p', '0', '8')
#define RTMP_FLV_FOURCC_OPUS RTMP_FLV_FOURCC ('O', 'p', 'u', 's')
#define RTMP_FLV_FOURCC_FLAC RTMP_FLV_FOURCC ('f', 'L', 'a', 'C')
#define RTMP_FLV_FOURCC_AC3 RTMP_FLV_FOURCC ('a', 'c', '-', '3')
#define RTMP_FLV_FOURCC_EAC3 RTMP_FLV_FOURCC ('e', 'c', '-', '3')
#define RTMP_FLV_FOURCC_MP3 RTMP_FLV_FOURCC ('.', 'm', 'p', '3')
#define RTMP_FLV_FOURCC_MP4A RTMP_FLV_FOURCC ('m', 'p', '4', 'a')

/* One track of a multitrack (Enhanced RTMP v2) audio or video tag. */
typedef struct
{
  guint8 track_id;
  guint32 fourcc;
  /* avc1/hvc1 CodedFrames: the track's SI24 composition time, else 0 */
  gint32 composition_time_ms;
  /* the track's bytes within the body, as its size field counts them
   * (composition time, MultichannelConfig fields and data) */
  gsize offset;
  gsize len;
  /* the track's codec data (after those fields), within the body */
  gsize data_offset;
  gsize data_len;
} RtmpFlvTrack;

/* Tracks described in RtmpFlvVideoInfo/RtmpFlvAudioInfo.tracks; all tracks
 * are validated and counted in n_tracks, only the first ones are kept. */
#define RTMP_FLV_MAX_TRACKS 8

typedef struct
{
  gboolean is_ex_header; /* Enhanced RTMP: IsExHeader bit (bit 7) set */
  guint8 frame_type;     /* RtmpFlvVideoFrameType */
  /* legacy CodecID; 0 when is_ex_header */
  guint8 codec_id;
  /* Enhanced RTMP FourCC (of the first track when multitrack); for legacy
   * AVC/HEVC/AV1 ids the equivalent FourCC; 0 for other legacy codecs, for
   * command frames and many-codec multitrack tags */
  guint32 fourcc;
  /* RtmpFlvVideoPacketType: the ex header's (for ModEx, the one it leads
   * to; for Multitrack, the tracks' packet type); legacy AVC/HEVC/AV1
   * AVCPacketType (same numbers); CODED_FRAMES for other legacy codecs and
   * legacy command frames */
  guint8 packet_type;
  /* SI24 composition time of legacy AVC/HEVC/AV1 and of avc1/hvc1
   * CodedFrames (the first track's when multitrack), else 0 */
  gint32 composition_time_ms;

  /* a seekable frame (frame type 1 or 4) that carries coded data: FALSE for
   * sequence headers and ends, metadata and command frames */
  gboolean is_keyframe;
  /* codec configuration: SequenceStart, MPEG2TSSequenceStart, legacy
   * AVCPacketType 0 */
  gboolean is_sequence_header;
  gboolean is_sequence_end;
  /* frame type 5 with a VideoCommand instead of video data */
  gboolean is_command;
  guint8 command; /* RtmpFlvVideoCommand when is_command */

  /* ModEx TimestampOffsetNano (the last one when repeated) */
  gboolean has_timestamp_offset;
  guint32 timestamp_offset_ns;

  gboolean is_multitrack;
  guint8 multitrack_type; /* RtmpFlvMultitrackType */
  guint n_tracks;         /* 1 unless multitrack */
  /* multitrack only: the first MIN (n_tracks, RTMP_FLV_MAX_TRACKS) tracks */
  RtmpFlvTrack tracks[RTMP_FLV_MAX_TRACKS];

  /* where the codec data starts in the body (after every header field,
   * including the composition time); for multitrack, the first track's */
  gsize data_offset;
} RtmpFlvVideoInfo;

/* Parses the video tag header at the start of a video tag body / RTMP video
 * message payload. Unknown FourCCs are accepted (their data is opaque);
 * reserved frame types, packet types, codec ids and multitrack types, and
 * truncated headers, are errors (MALFORMED or UNSUPPORTED). An empty body is
 * MALFORMED. */
gboolean rtmp_flv_parse_video_header (const guint8 *data, gsize len,
    RtmpFlvVideoInfo *info, GError **error);

/* --- audio tag headers --- */

/* SoundFormat (FLV spec E.4.2.1; 9 is Enhanced RTMP's ExHeader) */
typedef enum
{
  RTMP_FLV_SOUND_FORMAT_PCM = 0, /* platform endian */
  RTMP_FLV_SOUND_FORMAT_ADPCM = 1,
  RTMP_FLV_SOUND_FORMAT_MP3 = 2,
  RTMP_FLV_SOUND_FORMAT_PCM_LE = 3,
  RTMP_FLV_SOUND_FORMAT_NELLYMOSER_16K_MONO = 4,
  RTMP_FLV_SOUND_FORMAT_NELLYMOSER_8K_MONO = 5,
  RTMP_FLV_SOUND_FORMAT_NELLYMOSER = 6,
  RTMP_FLV_SOUND_FORMAT_G711_ALAW = 7,
  RTMP_FLV_SOUND_FORMAT_G711_MULAW = 8,
  RTMP_FLV_SOUND_FORMAT_EX_HEADER = 9,
  RTMP_FLV_SOUND_FORMAT_AAC = 10,
  RTMP_FLV_SOUND_FORMAT_SPEEX = 11,
  RTMP_FLV_SOUND_FORMAT_MP3_8K = 14,
  RTMP_FLV_SOUND_FORMAT_DEVICE_SPECIFIC = 15,
} RtmpFlvSoundFormat;

/* SoundRate: 5.5, 11, 22, 44 kHz */
typedef enum
{
  RTMP_FLV_SOUND_RATE_5512 = 0,
  RTMP_FLV_SOUND_RATE_11025 = 1,
  RTMP_FLV_SOUND_RATE_22050 = 2,
  RTMP_FLV_SOUND_RATE_44100 = 3,
} RtmpFlvSoundRate;

/* Enhanced RTMP AudioPacketType. Legacy AACPacketType 0/1 (sequence header,
 * raw) has the same numbers as 0/1 here. */
typedef enum
{
  RTMP_FLV_AUDIO_PACKET_SEQUENCE_START = 0,
  RTMP_FLV_AUDIO_PACKET_CODED_FRAMES = 1,
  RTMP_FLV_AUDIO_PACKET_SEQUENCE_END = 2,
  RTMP_FLV_AUDIO_PACKET_MULTICHANNEL_CONFIG = 4,
  RTMP_FLV_AUDIO_PACKET_MULTITRACK = 5,
  RTMP_FLV_AUDIO_PACKET_MOD_EX = 7,
} RtmpFlvAudioPacketType;

/* AudioChannelOrder of a MultichannelConfig packet */
typedef enum
{
  RTMP_FLV_AUDIO_CHANNEL_ORDER_UNSPECIFIED = 0,
  RTMP_FLV_AUDIO_CHANNEL_ORDER_NATIVE = 1, /* channel_mask says which */
  RTMP_FLV_AUDIO_CHANNEL_ORDER_CUSTOM = 2, /* channel_count map bytes */
} RtmpFlvAudioChannelOrder;

typedef struct
{
  gboolean is_ex_header; /* SoundFormat 9 */
  guint8 sound_format;   /* RtmpFlvSoundFormat */
  /* legacy only (0 when is_ex_header): RtmpFlvSoundRate, 0 = 8-bit /
   * 1 = 16-bit samples, 0 = mono / 1 = stereo */
  guint8 sound_rate;
  guint8 sound_size;
  guint8 sound_type;
  /* Enhanced RTMP FourCC (of the first track when multitrack); mp4a for
   * legacy AAC, .mp3 for legacy MP3; 0 otherwise */
  guint32 fourcc;
  /* RtmpFlvAudioPacketType: the ex header's (after ModEx/Multitrack);
   * legacy AAC AACPacketType (same numbers); CODED_FRAMES for other legacy
   * formats */
  guint8 packet_type;

  gboolean is_sequence_header; /* SequenceStart, legacy AAC packet type 0 */
  gboolean is_sequence_end;
  /* an empty message: Enhanced RTMP v2 documents it as "audio silence" */
  gboolean is_silence;

  /* MultichannelConfig (the first track's when multitrack) */
  guint8 channel_order; /* RtmpFlvAudioChannelOrder */
  guint8 channel_count;
  guint32 channel_mask; /* NATIVE: AudioChannelMask bits */

  gboolean has_timestamp_offset;
  guint32 timestamp_offset_ns;

  gboolean is_multitrack;
  guint8 multitrack_type;
  guint n_tracks;
  RtmpFlvTrack tracks[RTMP_FLV_MAX_TRACKS];

  /* where the codec data (or the CUSTOM channel map) starts in the body;
   * for multitrack, the first track's */
  gsize data_offset;
} RtmpFlvAudioInfo;

/* Parses the audio tag header of an audio tag body / RTMP audio message
 * payload. An empty body parses (is_silence). Unknown FourCCs are accepted;
 * reserved formats, packet types and multitrack types, and truncated
 * headers, are errors. */
gboolean rtmp_flv_parse_audio_header (const guint8 *data, gsize len,
    RtmpFlvAudioInfo *info, GError **error);

/* --- tag header writers (tests, and elements that build tags) --- */

/* Writes the header described by @info up to its data: legacy (frame type,
 * codec id, and for AVC/HEVC/AV1 the packet type and composition time) or
 * ex (frame type, ModEx timestamp offset when has_timestamp_offset, packet
 * type, FourCC, composition time of avc1/hvc1 CodedFrames; command frames
 * get their command byte). For multitrack tags (is_multitrack) it stops
 * before the first track: append each with rtmp_flv_append_track_header ()
 * and the track's data. Reads only the fields that appear on the wire. */
void rtmp_flv_append_video_header (GByteArray *out,
    const RtmpFlvVideoInfo *info);
/* The same for audio: legacy (format, rate, size, type, and the AAC packet
 * type) or ex (ModEx, packet type, FourCC; MultichannelConfig fields). */
void rtmp_flv_append_audio_header (GByteArray *out,
    const RtmpFlvAudioInfo *info);

/* Shorthand for an ex video header: IsExHeader | frame type | packet type,
 * then @fourcc (5 bytes). The composition time of avc1/hvc1 CodedFrames is
 * the caller's (rtmp_flv_append_composition_time ()). */
void rtmp_flv_append_video_ex_header (GByteArray *out, guint8 frame_type,
    guint8 packet_type, guint32 fourcc);
/* Shorthand for an ex audio header: 0x90 | packet type, then @fourcc. */
void rtmp_flv_append_audio_ex_header (GByteArray *out, guint8 packet_type,
    guint32 fourcc);
/* SI24 composition time */
void rtmp_flv_append_composition_time (GByteArray *out, gint32 ms);
/* One track's header inside a multitrack body: FourCC (many codecs only),
 * track id, and for many tracks the UI24 size of the data that follows
 * (including the composition time when there is one). */
void rtmp_flv_append_track_header (GByteArray *out, guint8 multitrack_type,
    guint32 fourcc, guint8 track_id, guint32 track_len);

/* --- script tags (byte-level, AMF0 string = 0x02, u16 length, bytes) --- */

/* The name RTMP publishers send before "onMetaData" in a data message (as
 * an AMF0 string: 16 bytes); players receive the message without it. */
#define RTMP_FLV_SET_DATA_FRAME "@setDataFrame"

/* Borrows the first AMF0 value of @data when it is a complete string. */
gboolean rtmp_flv_script_peek_name (const guint8 *data, gsize len,
    const guint8 **name, gsize *name_len);
/* The first value is the string "onMetaData" (strip "@setDataFrame"
 * first). */
gboolean rtmp_flv_script_is_on_metadata (const guint8 *data, gsize len);
/* The first value is the string "@setDataFrame". */
gboolean rtmp_flv_script_has_set_data_frame (const guint8 *data, gsize len);
/* Returns (transfer full) @body without its leading "@setDataFrame" string,
 * as a slice (no copy), or a new reference to @body when it has none. */
GBytes *rtmp_flv_script_strip_set_data_frame (GBytes *body);
/* Returns (transfer full) @body with a leading "@setDataFrame" string (a
 * copy), or a new reference to @body when it already has one. */
GBytes *rtmp_flv_script_add_set_data_frame (GBytes *body);

G_END_DECLS

#endif /* __RTMP_FLV_H__ */
