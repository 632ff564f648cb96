/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounds on every size a peer controls. */

#ifndef __RTMP_LIMITS_H__
#define __RTMP_LIMITS_H__

#include <glib.h>

G_BEGIN_DECLS

/* RTMP 1.0 §5.3.1.2.1: message length is a 24-bit field. */
#define RTMP_MAX_MESSAGE_LENGTH 0xFFFFFF

typedef struct
{
  /* largest message accepted, at most RTMP_MAX_MESSAGE_LENGTH */
  guint32 max_message_bytes;
  /* memory reserved for partially received messages, all chunk streams
   * together */
  gsize max_buffered_bytes;
  /* chunk streams with state at once */
  guint max_chunk_streams;
  /* AMF: nesting depth, values in one decode (copies made for AMF0
   * references count too), and reference table entries */
  guint amf_max_depth;
  guint amf_max_elements;
  guint amf_max_references;
  /* AMF: bytes of decoded values (strings, byte arrays, copies made for
   * references), which references could otherwise multiply */
  gsize amf_max_bytes;
} RtmpLimits;

#define RTMP_LIMITS_DEFAULT_MAX_MESSAGE_BYTES RTMP_MAX_MESSAGE_LENGTH
#define RTMP_LIMITS_DEFAULT_MAX_BUFFERED_BYTES (64u * 1024 * 1024)
#define RTMP_LIMITS_DEFAULT_MAX_CHUNK_STREAMS 64
#define RTMP_LIMITS_DEFAULT_AMF_MAX_DEPTH 32
#define RTMP_LIMITS_DEFAULT_AMF_MAX_ELEMENTS 65536
#define RTMP_LIMITS_DEFAULT_AMF_MAX_REFERENCES 4096
#define RTMP_LIMITS_DEFAULT_AMF_MAX_BYTES (32u * 1024 * 1024)

static inline void
rtmp_limits_init_default (RtmpLimits *limits)
{
  limits->max_message_bytes = RTMP_LIMITS_DEFAULT_MAX_MESSAGE_BYTES;
  limits->max_buffered_bytes = RTMP_LIMITS_DEFAULT_MAX_BUFFERED_BYTES;
  limits->max_chunk_streams = RTMP_LIMITS_DEFAULT_MAX_CHUNK_STREAMS;
  limits->amf_max_depth = RTMP_LIMITS_DEFAULT_AMF_MAX_DEPTH;
  limits->amf_max_elements = RTMP_LIMITS_DEFAULT_AMF_MAX_ELEMENTS;
  limits->amf_max_references = RTMP_LIMITS_DEFAULT_AMF_MAX_REFERENCES;
  limits->amf_max_bytes = RTMP_LIMITS_DEFAULT_AMF_MAX_BYTES;
}

/* Log callback shared by every protocol object: silent when NULL. */
typedef void (*RtmpLogFunc) (GLogLevelFlags level, const gchar *message,
    gpointer user_data);

G_END_DECLS

#endif /* __RTMP_LIMITS_H__ */
