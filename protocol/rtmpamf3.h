/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AMF3 (Adobe AMF3 specification, January 2013): decoder and encoder
 * between bytes and RtmpAmfValue trees, with the per-message string, object
 * and traits reference tables. */

#ifndef __RTMP_AMF3_H__
#define __RTMP_AMF3_H__

#include <glib.h>
#include "rtmpamfvalue.h"
#include "rtmpbytes.h"
#include "rtmperror.h"
#include "rtmplimits.h"

G_BEGIN_DECLS

/* AMF3 §3.1 */
typedef enum
{
  RTMP_AMF3_UNDEFINED = 0x00,
  RTMP_AMF3_NULL = 0x01,
  RTMP_AMF3_FALSE = 0x02,
  RTMP_AMF3_TRUE = 0x03,
  RTMP_AMF3_INTEGER = 0x04,
  RTMP_AMF3_DOUBLE = 0x05,
  RTMP_AMF3_STRING = 0x06,
  RTMP_AMF3_XML_DOCUMENT = 0x07,
  RTMP_AMF3_DATE = 0x08,
  RTMP_AMF3_ARRAY = 0x09,
  RTMP_AMF3_OBJECT = 0x0A,
  RTMP_AMF3_XML = 0x0B,
  RTMP_AMF3_BYTE_ARRAY = 0x0C,
  RTMP_AMF3_VECTOR_INT = 0x0D,
  RTMP_AMF3_VECTOR_UINT = 0x0E,
  RTMP_AMF3_VECTOR_DOUBLE = 0x0F,
  RTMP_AMF3_VECTOR_OBJECT = 0x10,
  RTMP_AMF3_DICTIONARY = 0x11,
} RtmpAmf3Marker;

/* AMF3 §1.3.1: largest and smallest integer an integer marker carries */
#define RTMP_AMF3_INTEGER_MAX 0x0FFFFFFF
#define RTMP_AMF3_INTEGER_MIN (-0x10000000)
/* largest U29 */
#define RTMP_AMF3_U29_MAX 0x1FFFFFFF

/* Decoding rules:
 * - integers are sign-extended from 29 bits; vectors of int are 32-bit;
 * - strings (never the empty one), traits and objects (dates, arrays,
 *   objects, XML, XMLDocument, ByteArray, vectors, dictionaries) enter their
 *   reference tables as AMF3 §2.2 says, each bounded by amf_max_references;
 * - an object reference resolves to a deep copy of a complete value, charged
 *   to the limits in full; a reference to a value still being decoded (a
 *   cycle) is RTMP_ERROR_MALFORMED;
 * - objects keep their traits: class name (NULL when anonymous), sealed
 *   member count, dynamic flag; externalizable objects are
 *   RTMP_ERROR_UNSUPPORTED (their bytes have no generic format), the message
 *   names the class;
 * - a Vector.<Object>'s type name "" decodes as a NULL class name.
 * @limits may be NULL (defaults). */

/* One value with fresh reference tables. (transfer full) */
RtmpAmfValue *rtmp_amf3_decode (const guint8 *data, gsize len, gsize *consumed,
    const RtmpLimits *limits, GError **error);
/* Consecutive values until @len is used up, sharing reference tables and one
 * limits budget (one message). (transfer full): RtmpAmfValue *, with the free
 * function set. */
GPtrArray *rtmp_amf3_decode_all (const guint8 *data, gsize len,
    const RtmpLimits *limits, GError **error);

/* For the AMF0 decoder's 0x11 switch: one value with fresh reference tables,
 * inside @depth open containers, charged to @budget. *height = containers
 * nested in the value (0 for a scalar). */
RtmpAmfValue *rtmp_amf3_decode_nested (const guint8 *data, gsize len,
    gsize *consumed, RtmpAmfBudget *budget, guint depth, guint *height,
    GError **error);

/* Encoding uses string and traits references, never object references
 * (values are trees). NUMBER is always a double and INTEGER an integer
 * unless out of the 29-bit range. AMF0-only types map to AMF3: STRICT_ARRAY
 * and ECMA_ARRAY to an array (dense items, named fields), the date's
 * timezone is dropped. */

/* Writes one value with fresh reference tables. */
void rtmp_amf3_encode (GByteArray *out, const RtmpAmfValue *value);
/* Writes the values with shared reference tables, as rtmp_amf3_decode_all
 * reads them. (transfer full) */
GBytes *rtmp_amf3_encode_values (const RtmpAmfValue *const *values,
    guint n_values);

/* AMF3 §1.3.1 variable-length unsigned 29-bit integers */
gboolean rtmp_amf3_read_u29 (RtmpBytesReader *reader, guint32 *value);
/* @value <= RTMP_AMF3_U29_MAX */
void rtmp_amf3_append_u29 (GByteArray *out, guint32 value);

G_END_DECLS

#endif /* __RTMP_AMF3_H__ */
