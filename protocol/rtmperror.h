/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol layer's error domain and the shared read-result type. */

#ifndef __RTMP_ERROR_H__
#define __RTMP_ERROR_H__

#include <glib.h>

G_BEGIN_DECLS

#define RTMP_ERROR (rtmp_error_quark ())

typedef enum
{
  RTMP_ERROR_MALFORMED,   /* bytes break the wire format */
  RTMP_ERROR_PROTOCOL,    /* valid bytes, wrong state or order */
  RTMP_ERROR_LIMIT,       /* a configured bound was exceeded */
  RTMP_ERROR_UNSUPPORTED, /* valid, not implemented (the message says what) */
  RTMP_ERROR_REJECTED,    /* peer answered _error or *.Rejected */
  RTMP_ERROR_AUTH,        /* credentials missing or refused */
  RTMP_ERROR_BAD_URL,
  RTMP_ERROR_TIMEOUT, /* a phase did not finish before its deadline */
  RTMP_ERROR_CLOSED,  /* the peer closed the connection */
} RtmpError;

typedef enum
{
  RTMP_READ_OK,        /* one item produced; *consumed bytes used */
  RTMP_READ_NEED_MORE, /* nothing produced; call again with more bytes */
  RTMP_READ_ERROR,     /* *error set; the reader must be freed */
} RtmpReadResult;

GQuark rtmp_error_quark (void);

const gchar *rtmp_error_code_name (RtmpError code);

G_END_DECLS

#endif /* __RTMP_ERROR_H__ */
