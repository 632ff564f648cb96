/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AMF0 decoder and encoder. */

#include "rtmpamf0.h"
#include "rtmpamf3.h"
#include "rtmpbytes.h"

#include <string.h>

/* An entry of the AMF0 reference table (AMF0 §2.9): objects, typed objects,
 * ECMA arrays and strict arrays, in the order their markers appear. */
typedef struct
{
  RtmpAmfValue *value; /* borrowed from the tree being decoded */
  gboolean complete;
  /* what a copy costs, known once complete */
  guint n_elements;
  gsize n_bytes;
  guint height;
} Amf0Ref;

typedef struct
{
  RtmpBytesReader r;
  RtmpAmfBudget budget;
  GArray *refs; /* Amf0Ref */
} Amf0Decoder;

static RtmpAmfValue *decode_value (Amf0Decoder *dec, guint depth, guint *height,
    GError **error);

static const gchar *
marker_name (guint8 marker)
{
  switch (marker) {
    case RTMP_AMF0_NUMBER:
      return "number";
    case RTMP_AMF0_BOOLEAN:
      return "boolean";
    case RTMP_AMF0_STRING:
      return "string";
    case RTMP_AMF0_OBJECT:
      return "object";
    case RTMP_AMF0_MOVIECLIP:
      return "movieclip";
    case RTMP_AMF0_NULL:
      return "null";
    case RTMP_AMF0_UNDEFINED:
      return "undefined";
    case RTMP_AMF0_REFERENCE:
      return "reference";
    case RTMP_AMF0_ECMA_ARRAY:
      return "ECMA array";
    case RTMP_AMF0_OBJECT_END:
      return "object end";
    case RTMP_AMF0_STRICT_ARRAY:
      return "strict array";
    case RTMP_AMF0_DATE:
      return "date";
    case RTMP_AMF0_LONG_STRING:
      return "long string";
    case RTMP_AMF0_UNSUPPORTED:
      return "unsupported";
    case RTMP_AMF0_RECORDSET:
      return "recordset";
    case RTMP_AMF0_XML_DOCUMENT:
      return "XML document";
    case RTMP_AMF0_TYPED_OBJECT:
      return "typed object";
    case RTMP_AMF0_AVMPLUS:
      return "avmplus";
  }
  return "unknown";
}

static gboolean
truncated (Amf0Decoder *dec, const gchar *what, gsize start, gsize need,
    GError **error)
{
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "AMF0 at offset %" G_GSIZE_FORMAT ": %s truncated (need %" G_GSIZE_FORMAT
      " bytes, %" G_GSIZE_FORMAT " left)",
      start, what, need, dec->r.len - start);
  return FALSE;
}

/* Reads a u16- or u32-length string, borrowing its bytes. */
static gboolean
read_utf8 (Amf0Decoder *dec, gboolean is_long, const gchar *what,
    const guint8 **data, gsize *len, GError **error)
{
  gsize start = dec->r.pos;
  guint32 n;

  if (is_long) {
    if (!rtmp_bytes_read_u32_be (&dec->r, &n))
      return truncated (dec, what, start, 4, error);
  } else {
    guint16 n16;

    if (!rtmp_bytes_read_u16_be (&dec->r, &n16))
      return truncated (dec, what, start, 2, error);
    n = n16;
  }
  if (!rtmp_bytes_read_pointer (&dec->r, n, data)) {
    dec->r.pos = start;
    return truncated (dec, what, start, (is_long ? 4 : 2) + (gsize) n, error);
  }
  *len = n;
  return TRUE;
}

/* Starts a container: depth check, its element, its reference table
 * entry. Returns the entry index through @ref_index. */
static gboolean
begin_container (Amf0Decoder *dec, RtmpAmfValue *value, guint depth,
    gsize start, guint *ref_index, GError **error)
{
  Amf0Ref ref = { value, FALSE, 0, 0, 0 };

  if (!rtmp_amf_budget_check_depth (&dec->budget, depth + 1, start, error))
    return FALSE;
  if (!rtmp_amf_budget_check_table (&dec->budget, "object", dec->refs->len,
          start, error))
    return FALSE;
  *ref_index = dec->refs->len;
  g_array_append_val (dec->refs, ref);
  return TRUE;
}

static void
end_container (Amf0Decoder *dec, guint ref_index, guint start_elements,
    gsize start_bytes, guint height)
{
  Amf0Ref *ref = &g_array_index (dec->refs, Amf0Ref, ref_index);

  ref->complete = TRUE;
  ref->n_elements = dec->budget.n_elements - start_elements;
  ref->n_bytes = dec->budget.n_bytes - start_bytes;
  ref->height = height;
}

/* Object properties (AMF0 §2.5): (name value)* then an empty name and the
 * object end marker. */
static gboolean
decode_properties (Amf0Decoder *dec, RtmpAmfValue *object, guint depth,
    guint *max_child_height, GError **error)
{
  for (;;) {
    gsize start = dec->r.pos;
    const guint8 *name;
    gsize name_len;
    RtmpAmfValue *field;
    guint child_height;

    if (!read_utf8 (dec, FALSE, "property name", &name, &name_len, error))
      return FALSE;
    if (name_len == 0) {
      guint8 marker;

      if (!rtmp_bytes_read_u8 (&dec->r, &marker))
        return truncated (dec, "object end marker", start, 3, error);
      if (marker != RTMP_AMF0_OBJECT_END) {
        g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
            "AMF0 at offset %" G_GSIZE_FORMAT ": empty property name "
            "followed by marker 0x%02x, not object end",
            start, marker);
        return FALSE;
      }
      return TRUE;
    }
    if (!rtmp_amf_budget_charge (&dec->budget, 0, name_len, start, error))
      return FALSE;
    field = decode_value (dec, depth, &child_height, error);
    if (field == NULL) {
      g_prefix_error (error, "property \"%.*s\": ", (gint) MIN (name_len, 64),
          (const gchar *) name);
      return FALSE;
    }
    *max_child_height = MAX (*max_child_height, child_height);
    rtmp_amf_value_append_field (object, (const gchar *) name, name_len, field);
  }
}

static RtmpAmfValue *
decode_object (Amf0Decoder *dec, guint8 marker, gsize start, guint depth,
    guint *height, GError **error)
{
  guint start_elements = dec->budget.n_elements;
  gsize start_bytes = dec->budget.n_bytes;
  g_autoptr (RtmpAmfValue) value = NULL;
  guint ref_index, max_child_height = 0;

  if (marker == RTMP_AMF0_ECMA_ARRAY) {
    guint32 count;

    /* The count is only a hint: nginx-rtmp and FFmpeg write 0 for ECMA
     * arrays that hold fields, and other peers write wrong counts, so the
     * fields are read up to the object end marker whatever it says. */
    if (!rtmp_bytes_read_u32_be (&dec->r, &count)) {
      truncated (dec, "ECMA array count", start, 5, error);
      return NULL;
    }
    value = rtmp_amf_value_new_ecma_array ();
  } else if (marker == RTMP_AMF0_TYPED_OBJECT) {
    const guint8 *class_name;
    gsize class_name_len;

    if (!read_utf8 (dec, FALSE, "typed object class name", &class_name,
            &class_name_len, error))
      return NULL;
    value = rtmp_amf_value_new_object ();
    rtmp_amf_value_set_class_name (value, (const gchar *) class_name,
        class_name_len);
    if (!rtmp_amf_budget_charge (&dec->budget, 0, class_name_len, start, error))
      return NULL;
  } else {
    value = rtmp_amf_value_new_object ();
  }

  if (!rtmp_amf_budget_charge (&dec->budget, 1, 0, start, error))
    return NULL;
  if (!begin_container (dec, value, depth, start, &ref_index, error))
    return NULL;
  if (!decode_properties (dec, value, depth + 1, &max_child_height, error))
    return NULL;
  *height = max_child_height + 1;
  end_container (dec, ref_index, start_elements, start_bytes, *height);
  return g_steal_pointer (&value);
}

static RtmpAmfValue *
decode_strict_array (Amf0Decoder *dec, gsize start, guint depth, guint *height,
    GError **error)
{
  guint start_elements = dec->budget.n_elements;
  gsize start_bytes = dec->budget.n_bytes;
  g_autoptr (RtmpAmfValue) value = rtmp_amf_value_new_strict_array ();
  guint ref_index, max_child_height = 0;
  guint32 count, i;

  if (!rtmp_bytes_read_u32_be (&dec->r, &count)) {
    truncated (dec, "strict array count", start, 5, error);
    return NULL;
  }
  /* every value takes at least its marker byte */
  if (count > rtmp_bytes_reader_remaining (&dec->r)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "AMF0 at offset %" G_GSIZE_FORMAT ": strict array of %u values "
        "in %" G_GSIZE_FORMAT " bytes",
        start, count, rtmp_bytes_reader_remaining (&dec->r));
    return NULL;
  }
  if (!rtmp_amf_budget_charge (&dec->budget, 1, 0, start, error))
    return NULL;
  if (!begin_container (dec, value, depth, start, &ref_index, error))
    return NULL;
  for (i = 0; i < count; i++) {
    guint child_height;
    RtmpAmfValue *item = decode_value (dec, depth + 1, &child_height, error);

    if (item == NULL) {
      g_prefix_error (error, "strict array item %u: ", i);
      return NULL;
    }
    max_child_height = MAX (max_child_height, child_height);
    rtmp_amf_value_take_item (value, item);
  }
  *height = max_child_height + 1;
  end_container (dec, ref_index, start_elements, start_bytes, *height);
  return g_steal_pointer (&value);
}

static RtmpAmfValue *
decode_reference (Amf0Decoder *dec, gsize start, guint depth, guint *height,
    GError **error)
{
  const Amf0Ref *ref;
  guint16 index;

  if (!rtmp_bytes_read_u16_be (&dec->r, &index)) {
    truncated (dec, "reference", start, 3, error);
    return NULL;
  }
  if (index >= dec->refs->len) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "AMF0 at offset %" G_GSIZE_FORMAT ": reference %u, but only %u "
        "objects came before",
        start, index, dec->refs->len);
    return NULL;
  }
  ref = &g_array_index (dec->refs, Amf0Ref, index);
  if (!ref->complete) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "AMF0 at offset %" G_GSIZE_FORMAT ": reference %u to an object "
        "still being decoded (cycle)",
        start, index);
    return NULL;
  }
  /* the copy must fit where it lands, as if it had been written inline */
  if (!rtmp_amf_budget_check_depth (&dec->budget, depth + ref->height, start,
          error))
    return NULL;
  if (!rtmp_amf_budget_charge (&dec->budget, ref->n_elements, ref->n_bytes,
          start, error))
    return NULL;
  *height = ref->height;
  return rtmp_amf_value_copy (ref->value);
}

static RtmpAmfValue *
decode_value (Amf0Decoder *dec, guint depth, guint *height, GError **error)
{
  gsize start = dec->r.pos;
  guint8 marker;
  const guint8 *data;
  gsize len;
  RtmpAmfValue *value = NULL;

  *height = 0;
  if (!rtmp_bytes_read_u8 (&dec->r, &marker)) {
    truncated (dec, "value marker", start, 1, error);
    return NULL;
  }

  switch (marker) {
    case RTMP_AMF0_NUMBER: {
      gdouble number;

      if (!rtmp_bytes_read_f64_be (&dec->r, &number)) {
        truncated (dec, "number", start, 9, error);
        return NULL;
      }
      value = rtmp_amf_value_new_number (number);
      break;
    }
    case RTMP_AMF0_BOOLEAN: {
      guint8 b;

      if (!rtmp_bytes_read_u8 (&dec->r, &b)) {
        truncated (dec, "boolean", start, 2, error);
        return NULL;
      }
      value = rtmp_amf_value_new_boolean (b != 0);
      break;
    }
    case RTMP_AMF0_STRING:
    case RTMP_AMF0_LONG_STRING:
      if (!read_utf8 (dec, marker == RTMP_AMF0_LONG_STRING,
              marker_name (marker), &data, &len, error))
        return NULL;
      if (!rtmp_amf_budget_charge (&dec->budget, 0, len, start, error))
        return NULL;
      value = rtmp_amf_value_new_string_len ((const gchar *) data, len);
      break;
    case RTMP_AMF0_XML_DOCUMENT:
      if (!read_utf8 (dec, TRUE, "XML document", &data, &len, error))
        return NULL;
      if (!rtmp_amf_budget_charge (&dec->budget, 0, len, start, error))
        return NULL;
      value = rtmp_amf_value_new_xml_document ((const gchar *) data, len);
      break;
    case RTMP_AMF0_OBJECT:
    case RTMP_AMF0_TYPED_OBJECT:
    case RTMP_AMF0_ECMA_ARRAY:
      /* charges its own element */
      return decode_object (dec, marker, start, depth, height, error);
    case RTMP_AMF0_STRICT_ARRAY:
      return decode_strict_array (dec, start, depth, height, error);
    case RTMP_AMF0_REFERENCE:
      return decode_reference (dec, start, depth, height, error);
    case RTMP_AMF0_NULL:
      value = rtmp_amf_value_new_null ();
      break;
    case RTMP_AMF0_UNDEFINED:
    case RTMP_AMF0_UNSUPPORTED:
      /* AMF0 §2.15: "unsupported" stands for a value the sender could not
       * serialize; the closest value is undefined */
      value = rtmp_amf_value_new_undefined ();
      break;
    case RTMP_AMF0_DATE: {
      gdouble ms;
      gint16 tz;

      if (!rtmp_bytes_read_f64_be (&dec->r, &ms)
          || !rtmp_bytes_read_s16_be (&dec->r, &tz)) {
        dec->r.pos = start + 1;
        truncated (dec, "date", start, 11, error);
        return NULL;
      }
      value = rtmp_amf_value_new_date (ms, tz);
      break;
    }
    case RTMP_AMF0_AVMPLUS: {
      gsize used = 0;

      value = rtmp_amf3_decode_nested (rtmp_bytes_reader_peek_pointer (&dec->r),
          rtmp_bytes_reader_remaining (&dec->r), &used, &dec->budget, depth,
          height, error);
      if (value == NULL) {
        g_prefix_error (error,
            "AMF0 at offset %" G_GSIZE_FORMAT ": AMF3 value: ", start);
        return NULL;
      }
      rtmp_bytes_skip (&dec->r, used);
      /* charged by the AMF3 decoder */
      return value;
    }
    case RTMP_AMF0_OBJECT_END:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "AMF0 at offset %" G_GSIZE_FORMAT ": object end marker where a "
          "value was expected",
          start);
      return NULL;
    case RTMP_AMF0_MOVIECLIP:
    case RTMP_AMF0_RECORDSET:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "AMF0 at offset %" G_GSIZE_FORMAT ": %s marker 0x%02x is "
          "reserved",
          start, marker_name (marker), marker);
      return NULL;
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "AMF0 at offset %" G_GSIZE_FORMAT ": unknown marker 0x%02x", start,
          marker);
      return NULL;
  }

  if (!rtmp_amf_budget_charge (&dec->budget, 1, 0, start, error)) {
    rtmp_amf_value_free (value);
    return NULL;
  }
  return value;
}

static void
decoder_init (Amf0Decoder *dec, const guint8 *data, gsize len,
    const RtmpLimits *limits)
{
  rtmp_bytes_reader_init (&dec->r, data, len);
  rtmp_amf_budget_init (&dec->budget, "AMF0", limits);
  dec->refs = g_array_new (FALSE, FALSE, sizeof (Amf0Ref));
}

RtmpAmfValue *
rtmp_amf0_decode (const guint8 *data, gsize len, gsize *consumed,
    const RtmpLimits *limits, GError **error)
{
  Amf0Decoder dec;
  RtmpAmfValue *value;
  guint height;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  decoder_init (&dec, data, len, limits);
  value = decode_value (&dec, 0, &height, error);
  g_array_unref (dec.refs);
  if (value != NULL && consumed != NULL)
    *consumed = dec.r.pos;
  return value;
}

GPtrArray *
rtmp_amf0_decode_all (const guint8 *data, gsize len, const RtmpLimits *limits,
    GError **error)
{
  Amf0Decoder dec;
  GPtrArray *values;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  values
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  decoder_init (&dec, data, len, limits);
  while (rtmp_bytes_reader_remaining (&dec.r) > 0) {
    guint height;
    RtmpAmfValue *value = decode_value (&dec, 0, &height, error);

    if (value == NULL) {
      g_prefix_error (error, "value %u: ", values->len);
      g_clear_pointer (&values, g_ptr_array_unref);
      break;
    }
    g_ptr_array_add (values, value);
  }
  g_array_unref (dec.refs);
  return values;
}

/* --- encoder --- */

static gboolean
fields_fit_amf0 (const RtmpAmfValue *value)
{
  guint i, n = rtmp_amf_value_get_n_fields (value);

  for (i = 0; i < n; i++) {
    gsize name_len;

    rtmp_amf_value_peek_field_at_len (value, i, NULL, &name_len);
    if (name_len > G_MAXUINT16)
      return FALSE;
  }
  return TRUE;
}

/* TRUE when @value needs the AMF3 switch */
static gboolean
needs_amf3 (const RtmpAmfValue *value)
{
  gsize class_name_len = 0;

  switch (rtmp_amf_value_get_type (value)) {
    case RTMP_AMF_TYPE_INTEGER:
    case RTMP_AMF_TYPE_ARRAY:
    case RTMP_AMF_TYPE_XML:
    case RTMP_AMF_TYPE_BYTE_ARRAY:
    case RTMP_AMF_TYPE_VECTOR_INT:
    case RTMP_AMF_TYPE_VECTOR_UINT:
    case RTMP_AMF_TYPE_VECTOR_DOUBLE:
    case RTMP_AMF_TYPE_VECTOR_OBJECT:
    case RTMP_AMF_TYPE_DICTIONARY:
      return TRUE;
    case RTMP_AMF_TYPE_OBJECT:
      rtmp_amf_value_peek_class_name_len (value, &class_name_len);
      return rtmp_amf_value_get_n_sealed (value) > 0
          || !rtmp_amf_value_is_dynamic (value) || class_name_len > G_MAXUINT16
          || !fields_fit_amf0 (value);
    case RTMP_AMF_TYPE_ECMA_ARRAY:
      return !fields_fit_amf0 (value);
    default:
      return FALSE;
  }
}

static void
append_utf8 (GByteArray *out, const gchar *data, gsize len)
{
  rtmp_bytes_append_u16_be (out, len);
  rtmp_bytes_append (out, data, len);
}

static void
encode_properties (GByteArray *out, const RtmpAmfValue *value)
{
  guint i, n = rtmp_amf_value_get_n_fields (value);

  for (i = 0; i < n; i++) {
    const gchar *name;
    gsize name_len;
    const RtmpAmfValue *field
        = rtmp_amf_value_peek_field_at_len (value, i, &name, &name_len);

    if (name_len == 0)
      continue;
    append_utf8 (out, name, name_len);
    rtmp_amf0_encode (out, field);
  }
  rtmp_bytes_append_u16_be (out, 0);
  rtmp_bytes_append_u8 (out, RTMP_AMF0_OBJECT_END);
}

void
rtmp_amf0_encode (GByteArray *out, const RtmpAmfValue *value)
{
  const gchar *data;
  gsize len;
  guint i, n;

  g_return_if_fail (out != NULL);
  g_return_if_fail (value != NULL);

  if (needs_amf3 (value)) {
    rtmp_bytes_append_u8 (out, RTMP_AMF0_AVMPLUS);
    rtmp_amf3_encode (out, value);
    return;
  }

  switch (rtmp_amf_value_get_type (value)) {
    case RTMP_AMF_TYPE_UNDEFINED:
      rtmp_bytes_append_u8 (out, RTMP_AMF0_UNDEFINED);
      break;
    case RTMP_AMF_TYPE_NULL:
      rtmp_bytes_append_u8 (out, RTMP_AMF0_NULL);
      break;
    case RTMP_AMF_TYPE_BOOLEAN:
      rtmp_bytes_append_u8 (out, RTMP_AMF0_BOOLEAN);
      rtmp_bytes_append_u8 (out, rtmp_amf_value_get_boolean (value) ? 1 : 0);
      break;
    case RTMP_AMF_TYPE_NUMBER:
      rtmp_bytes_append_u8 (out, RTMP_AMF0_NUMBER);
      rtmp_bytes_append_f64_be (out, rtmp_amf_value_get_number (value));
      break;
    case RTMP_AMF_TYPE_STRING:
      data = rtmp_amf_value_peek_string (value, &len);
      if (len <= G_MAXUINT16) {
        rtmp_bytes_append_u8 (out, RTMP_AMF0_STRING);
        append_utf8 (out, data, len);
      } else {
        rtmp_bytes_append_u8 (out, RTMP_AMF0_LONG_STRING);
        rtmp_bytes_append_u32_be (out, len);
        rtmp_bytes_append (out, data, len);
      }
      break;
    case RTMP_AMF_TYPE_XML_DOCUMENT:
      data = rtmp_amf_value_peek_string (value, &len);
      rtmp_bytes_append_u8 (out, RTMP_AMF0_XML_DOCUMENT);
      rtmp_bytes_append_u32_be (out, len);
      rtmp_bytes_append (out, data, len);
      break;
    case RTMP_AMF_TYPE_DATE: {
      gint16 tz;
      gdouble ms = rtmp_amf_value_get_date (value, &tz);

      rtmp_bytes_append_u8 (out, RTMP_AMF0_DATE);
      rtmp_bytes_append_f64_be (out, ms);
      rtmp_bytes_append_u16_be (out, (guint16) tz);
      break;
    }
    case RTMP_AMF_TYPE_OBJECT:
      data = rtmp_amf_value_peek_class_name_len (value, &len);
      if (data != NULL) {
        rtmp_bytes_append_u8 (out, RTMP_AMF0_TYPED_OBJECT);
        append_utf8 (out, data, len);
      } else {
        rtmp_bytes_append_u8 (out, RTMP_AMF0_OBJECT);
      }
      encode_properties (out, value);
      break;
    case RTMP_AMF_TYPE_ECMA_ARRAY:
      rtmp_bytes_append_u8 (out, RTMP_AMF0_ECMA_ARRAY);
      rtmp_bytes_append_u32_be (out, rtmp_amf_value_get_n_fields (value));
      encode_properties (out, value);
      break;
    case RTMP_AMF_TYPE_STRICT_ARRAY:
      n = rtmp_amf_value_get_n_items (value);
      rtmp_bytes_append_u8 (out, RTMP_AMF0_STRICT_ARRAY);
      rtmp_bytes_append_u32_be (out, n);
      for (i = 0; i < n; i++)
        rtmp_amf0_encode (out, rtmp_amf_value_peek_item (value, i));
      break;
    default:
      /* every other type took the AMF3 switch */
      g_assert_not_reached ();
  }
}

GBytes *
rtmp_amf0_encode_values (const RtmpAmfValue *const *values, guint n_values)
{
  GByteArray *out = g_byte_array_new ();
  guint i;

  g_return_val_if_fail (values != NULL || n_values == 0, NULL);

  for (i = 0; i < n_values; i++)
    rtmp_amf0_encode (out, values[i]);
  return g_byte_array_free_to_bytes (out);
}

/* --- AMF3 to AMF0 conversion --- */

static void
convert_fields (RtmpAmfValue *dst, const RtmpAmfValue *src)
{
  guint i, n = rtmp_amf_value_get_n_fields (src);

  for (i = 0; i < n; i++) {
    const gchar *name;
    gsize name_len;
    const RtmpAmfValue *field
        = rtmp_amf_value_peek_field_at_len (src, i, &name, &name_len);

    rtmp_amf_value_append_field (dst, name, name_len,
        rtmp_amf0_convert (field));
  }
}

static void
convert_items (RtmpAmfValue *dst, const RtmpAmfValue *src)
{
  guint i, n = rtmp_amf_value_get_n_items (src);

  for (i = 0; i < n; i++)
    rtmp_amf_value_take_item (dst,
        rtmp_amf0_convert (rtmp_amf_value_peek_item (src, i)));
}

/* String keys name the field as they are; numbers and other keys by their
 * dump ("7", "1.5", "{a: 1}") */
static gchar *
dictionary_key_name (const RtmpAmfValue *key)
{
  if (rtmp_amf_value_get_type (key) == RTMP_AMF_TYPE_STRING)
    return g_strdup (rtmp_amf_value_peek_string (key, NULL));
  return rtmp_amf_value_dump_to_string (key, 256);
}

RtmpAmfValue *
rtmp_amf0_convert (const RtmpAmfValue *value)
{
  RtmpAmfValue *copy;
  const gchar *data;
  gsize len;
  guint i, n;

  g_return_val_if_fail (value != NULL, NULL);

  switch (rtmp_amf_value_get_type (value)) {
    case RTMP_AMF_TYPE_INTEGER:
      return rtmp_amf_value_new_number (rtmp_amf_value_get_integer (value));
    case RTMP_AMF_TYPE_XML:
      data = rtmp_amf_value_peek_string (value, &len);
      return rtmp_amf_value_new_xml_document (data, len);
    case RTMP_AMF_TYPE_BYTE_ARRAY: {
      const guint8 *bytes = rtmp_amf_value_peek_bytes (value, &len);

      return rtmp_amf_value_new_string_len ((const gchar *) bytes, len);
    }
    case RTMP_AMF_TYPE_OBJECT:
      copy = rtmp_amf_value_new_object ();
      data = rtmp_amf_value_peek_class_name_len (value, &len);
      if (data != NULL)
        rtmp_amf_value_set_class_name (copy, data, len);
      convert_fields (copy, value);
      return copy;
    case RTMP_AMF_TYPE_ECMA_ARRAY:
      copy = rtmp_amf_value_new_ecma_array ();
      convert_fields (copy, value);
      return copy;
    case RTMP_AMF_TYPE_STRICT_ARRAY:
    case RTMP_AMF_TYPE_VECTOR_INT:
    case RTMP_AMF_TYPE_VECTOR_UINT:
    case RTMP_AMF_TYPE_VECTOR_DOUBLE:
    case RTMP_AMF_TYPE_VECTOR_OBJECT:
      copy = rtmp_amf_value_new_strict_array ();
      convert_items (copy, value);
      return copy;
    case RTMP_AMF_TYPE_ARRAY:
      if (rtmp_amf_value_get_n_fields (value) == 0) {
        copy = rtmp_amf_value_new_strict_array ();
        convert_items (copy, value);
        return copy;
      }
      copy = rtmp_amf_value_new_ecma_array ();
      n = rtmp_amf_value_get_n_items (value);
      for (i = 0; i < n; i++) {
        gchar name[16];

        len = g_snprintf (name, sizeof (name), "%u", i);
        rtmp_amf_value_append_field (copy, name, len,
            rtmp_amf0_convert (rtmp_amf_value_peek_item (value, i)));
      }
      convert_fields (copy, value);
      return copy;
    case RTMP_AMF_TYPE_DICTIONARY:
      copy = rtmp_amf_value_new_ecma_array ();
      n = rtmp_amf_value_get_n_items (value);
      for (i = 0; i + 1 < n; i += 2) {
        g_autofree gchar *name
            = dictionary_key_name (rtmp_amf_value_peek_item (value, i));

        /* an empty name would end the ECMA array */
        if (name[0] == '\0')
          continue;
        rtmp_amf_value_append_field (copy, name, strlen (name),
            rtmp_amf0_convert (rtmp_amf_value_peek_item (value, i + 1)));
      }
      return copy;
    default:
      return rtmp_amf_value_copy (value);
  }
}
