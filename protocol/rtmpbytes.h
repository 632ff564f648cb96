/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded big/little-endian readers and writers: the only way wire data is
 * read or written in the protocol layer. */

#ifndef __RTMP_BYTES_H__
#define __RTMP_BYTES_H__

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

/* A reader over borrowed bytes. Every read checks the remaining length and
 * returns FALSE, leaving the position untouched, when too few bytes remain. */
typedef struct
{
  const guint8 *data; /* borrowed */
  gsize len;
  gsize pos;
} RtmpBytesReader;

static inline void
rtmp_bytes_reader_init (RtmpBytesReader *r, const guint8 *data, gsize len)
{
  r->data = data;
  r->len = len;
  r->pos = 0;
}

static inline gsize
rtmp_bytes_reader_remaining (const RtmpBytesReader *r)
{
  return r->len - r->pos;
}

static inline const guint8 *
rtmp_bytes_reader_peek_pointer (const RtmpBytesReader *r)
{
  return r->data + r->pos;
}

static inline gboolean
rtmp_bytes_skip (RtmpBytesReader *r, gsize n)
{
  if (rtmp_bytes_reader_remaining (r) < n)
    return FALSE;
  r->pos += n;
  return TRUE;
}

/* Borrows @n bytes at the current position and advances past them. */
static inline gboolean
rtmp_bytes_read_pointer (RtmpBytesReader *r, gsize n, const guint8 **out)
{
  if (rtmp_bytes_reader_remaining (r) < n)
    return FALSE;
  *out = r->data + r->pos;
  r->pos += n;
  return TRUE;
}

static inline gboolean
rtmp_bytes_read_u8 (RtmpBytesReader *r, guint8 *v)
{
  if (rtmp_bytes_reader_remaining (r) < 1)
    return FALSE;
  *v = r->data[r->pos++];
  return TRUE;
}

static inline gboolean
rtmp_bytes_peek_u8 (const RtmpBytesReader *r, guint8 *v)
{
  if (rtmp_bytes_reader_remaining (r) < 1)
    return FALSE;
  *v = r->data[r->pos];
  return TRUE;
}

static inline gboolean
rtmp_bytes_read_u16_be (RtmpBytesReader *r, guint16 *v)
{
  const guint8 *p;

  if (!rtmp_bytes_read_pointer (r, 2, &p))
    return FALSE;
  *v = (guint16) ((p[0] << 8) | p[1]);
  return TRUE;
}

static inline gboolean
rtmp_bytes_read_u24_be (RtmpBytesReader *r, guint32 *v)
{
  const guint8 *p;

  if (!rtmp_bytes_read_pointer (r, 3, &p))
    return FALSE;
  *v = ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
  return TRUE;
}

static inline gboolean
rtmp_bytes_read_u32_be (RtmpBytesReader *r, guint32 *v)
{
  const guint8 *p;

  if (!rtmp_bytes_read_pointer (r, 4, &p))
    return FALSE;
  *v = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8)
      | p[3];
  return TRUE;
}

static inline gboolean
rtmp_bytes_read_u32_le (RtmpBytesReader *r, guint32 *v)
{
  const guint8 *p;

  if (!rtmp_bytes_read_pointer (r, 4, &p))
    return FALSE;
  *v = ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8)
      | p[0];
  return TRUE;
}

static inline gboolean
rtmp_bytes_read_s16_be (RtmpBytesReader *r, gint16 *v)
{
  guint16 u;

  if (!rtmp_bytes_read_u16_be (r, &u))
    return FALSE;
  *v = (gint16) u;
  return TRUE;
}

static inline gboolean
rtmp_bytes_read_s24_be (RtmpBytesReader *r, gint32 *v)
{
  guint32 u;

  if (!rtmp_bytes_read_u24_be (r, &u))
    return FALSE;
  /* sign-extend from bit 23 */
  *v = (gint32) (u ^ 0x800000u) - 0x800000;
  return TRUE;
}

static inline gboolean
rtmp_bytes_read_f64_be (RtmpBytesReader *r, gdouble *v)
{
  const guint8 *p;
  guint64 u = 0;
  gint i;

  if (!rtmp_bytes_read_pointer (r, 8, &p))
    return FALSE;
  for (i = 0; i < 8; i++)
    u = (u << 8) | p[i];
  memcpy (v, &u, sizeof (*v));
  return TRUE;
}

/* Writers into a fixed, caller-owned buffer; they return the bytes written. */
static inline gsize
rtmp_bytes_put_u16_be (guint8 *p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
  return 2;
}

static inline gsize
rtmp_bytes_put_u24_be (guint8 *p, guint32 v)
{
  p[0] = (v >> 16) & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = v & 0xff;
  return 3;
}

static inline gsize
rtmp_bytes_put_u32_be (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
  return 4;
}

static inline gsize
rtmp_bytes_put_u32_le (guint8 *p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = v >> 24;
  return 4;
}

static inline gsize
rtmp_bytes_put_f64_be (guint8 *p, gdouble v)
{
  guint64 u;
  gint i;

  memcpy (&u, &v, sizeof (u));
  for (i = 7; i >= 0; i--) {
    p[i] = u & 0xff;
    u >>= 8;
  }
  return 8;
}

/* Appenders to a growable GByteArray, for encoders whose size is not known
 * in advance (AMF, commands). */
static inline void
rtmp_bytes_append_u8 (GByteArray *a, guint8 v)
{
  g_byte_array_append (a, &v, 1);
}

static inline void
rtmp_bytes_append_u16_be (GByteArray *a, guint16 v)
{
  guint8 b[2];

  g_byte_array_append (a, b, rtmp_bytes_put_u16_be (b, v));
}

static inline void
rtmp_bytes_append_u24_be (GByteArray *a, guint32 v)
{
  guint8 b[3];

  g_byte_array_append (a, b, rtmp_bytes_put_u24_be (b, v));
}

static inline void
rtmp_bytes_append_u32_be (GByteArray *a, guint32 v)
{
  guint8 b[4];

  g_byte_array_append (a, b, rtmp_bytes_put_u32_be (b, v));
}

static inline void
rtmp_bytes_append_u32_le (GByteArray *a, guint32 v)
{
  guint8 b[4];

  g_byte_array_append (a, b, rtmp_bytes_put_u32_le (b, v));
}

static inline void
rtmp_bytes_append_f64_be (GByteArray *a, gdouble v)
{
  guint8 b[8];

  g_byte_array_append (a, b, rtmp_bytes_put_f64_be (b, v));
}

static inline void
rtmp_bytes_append (GByteArray *a, const void *data, gsize len)
{
  g_byte_array_append (a, data, len);
}

G_END_DECLS

#endif /* __RTMP_BYTES_H__ */
