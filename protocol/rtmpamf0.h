/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AMF0 (Action Message Format 0, Adobe AMF0 specification 2007): decoder and
 * encoder between bytes and RtmpAmfValue trees. */

#ifndef __RTMP_AMF0_H__
#define __RTMP_AMF0_H__

#include <glib.h>
#include "rtmpamfvalue.h"
#include "rtmperror.h"
#include "rtmplimits.h"

G_BEGIN_DECLS

/* AMF0 §2.1 */
typedef enum
{
  RTMP_AMF0_NUMBER = 0x00,
  RTMP_AMF0_BOOLEAN = 0x01,
  RTMP_AMF0_STRING = 0x02,
  RTMP_AMF0_OBJECT = 0x03,
  RTMP_AMF0_MOVIECLIP = 0x04, /* reserved: refused */
  RTMP_AMF0_NULL = 0x05,
  RTMP_AMF0_UNDEFINED = 0x06,
  RTMP_AMF0_REFERENCE = 0x07,
  RTMP_AMF0_ECMA_ARRAY = 0x08,
  RTMP_AMF0_OBJECT_END = 0x09,
  RTMP_AMF0_STRICT_ARRAY = 0x0A,
  RTMP_AMF0_DATE = 0x0B,
  RTMP_AMF0_LONG_STRING = 0x0C,
  RTMP_AMF0_UNSUPPORTED = 0x0D, /* decodes as undefined */
  RTMP_AMF0_RECORDSET = 0x0E,   /* reserved: refused */
  RTMP_AMF0_XML_DOCUMENT = 0x0F,
  RTMP_AMF0_TYPED_OBJECT = 0x10,
  RTMP_AMF0_AVMPLUS = 0x11, /* the next value is AMF3 (AMF0 §3.1) */
} RtmpAmf0Marker;

/* Decoding rules:
 * - every AMF0 marker is decoded; movieclip and recordset (reserved) and
 *   unknown markers are RTMP_ERROR_MALFORMED; "unsupported" decodes as
 *   undefined; long strings decode as STRING;
 * - an ECMA array's count is ignored: fields are read up to the object end
 *   marker, because nginx-rtmp, FFmpeg and others send count 0 (or a wrong
 *   count) with fields; a missing object end marker is an error;
 * - references (marker 0x07) resolve to a deep copy of an object, typed
 *   object, ECMA array or strict array decoded earlier in the same message
 *   and already complete; a reference to one still being decoded (a cycle)
 *   is RTMP_ERROR_MALFORMED; each copy is charged to the limits in full;
 * - after marker 0x11 one AMF3 value follows, decoded with fresh AMF3
 *   reference tables (each switch is its own AMF3 stream, as Flash Player
 *   writes them) but under the same limits.
 * @limits may be NULL (defaults). */

/* One value; *consumed = bytes used. (transfer full) */
RtmpAmfValue *rtmp_amf0_decode (const guint8 *data, gsize len, gsize *consumed,
    const RtmpLimits *limits, GError **error);
/* Consecutive values until @len is used up, sharing one reference table and
 * one limits budget (one message). (transfer full): RtmpAmfValue *, with
 * the free function set; an empty array for len 0. */
GPtrArray *rtmp_amf0_decode_all (const guint8 *data, gsize len,
    const RtmpLimits *limits, GError **error);

/* Encoding never writes references. Strings longer than 65535 bytes are
 * long strings. Values AMF0 cannot carry are written in AMF3 after the 0x11
 * switch: INTEGER, ARRAY, XML, BYTE_ARRAY, VECTOR_*, DICTIONARY, objects with
 * sealed members or that are not dynamic, and names longer than 65535
 * bytes. Build commands with NUMBER, not INTEGER: many AMF0 peers cannot
 * read 0x11 (use rtmp_amf0_convert () for values that came from AMF3).
 * Fields with an empty name are skipped (they would end the object). */
void rtmp_amf0_encode (GByteArray *out, const RtmpAmfValue *value);
/* (transfer full) */
GBytes *rtmp_amf0_encode_values (const RtmpAmfValue *const *values,
    guint n_values);

/* (transfer full): a copy of @value with every AMF3-only type replaced by
 * its nearest AMF0 type, so that rtmp_amf0_encode () writes no 0x11 switch
 * (for FLV script data, which readers expect in plain AMF0):
 * INTEGER -> NUMBER; ARRAY -> STRICT_ARRAY when it has no named fields, else
 * ECMA_ARRAY with the dense items first under the names "0", "1", ...;
 * objects lose their traits (sealed members become ordinary fields);
 * XML -> XML_DOCUMENT; BYTE_ARRAY -> STRING of the same bytes; VECTOR_* ->
 * STRICT_ARRAY of NUMBER (or converted items); DICTIONARY -> ECMA_ARRAY
 * whose names are the string keys, or the dump of other keys ("7", "1.5"). */
RtmpAmfValue *rtmp_amf0_convert (const RtmpAmfValue *value);

G_END_DECLS

#endif /* __RTMP_AMF0_H__ */
