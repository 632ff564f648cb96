/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AMF3 decoder and encoder. */

#include "rtmpamf3.h"

#include <math.h>
#include <string.h>

/* AMF3 §3.8: a string in the string table, borrowed from the input */
typedef struct
{
  const gchar *data;
  gsize len;
} Amf3String;

/* AMF3 §3.12: traits, borrowed from the input */
typedef struct
{
  Amf3String class_name;
  gboolean is_dynamic;
  guint n_sealed;
  Amf3String *sealed; /* owned array of n_sealed names */
} Amf3Traits;

/* An object table entry (§2.2): what a reference copies */
typedef struct
{
  RtmpAmfValue *value; /* borrowed from the tree being decoded */
  gboolean complete;
  guint n_elements;
  gsize n_bytes;
  guint height;
} Amf3Ref;

typedef struct
{
  RtmpBytesReader r;
  RtmpAmfBudget *budget;
  GArray *strings; /* Amf3String */
  GArray *traits;  /* Amf3Traits */
  GArray *objects; /* Amf3Ref */
} Amf3Decoder;

static RtmpAmfValue *decode_value (Amf3Decoder *dec, guint depth, guint *height,
    GError **error);

gboolean
rtmp_amf3_read_u29 (RtmpBytesReader *reader, guint32 *value)
{
  gsize start = reader->pos;
  guint32 v = 0;
  guint8 b;
  gint i;

  /* up to three bytes of 7 bits with a continuation bit, then 8 bits */
  for (i = 0; i < 3; i++) {
    if (!rtmp_bytes_read_u8 (reader, &b)) {
      reader->pos = start;
      return FALSE;
    }
    v = (v << 7) | (b & 0x7F);
    if (!(b & 0x80)) {
      *value = v;
      return TRUE;
    }
  }
  if (!rtmp_bytes_read_u8 (reader, &b)) {
    reader->pos = start;
    return FALSE;
  }
  *value = (v << 8) | b;
  return TRUE;
}

void
rtmp_amf3_append_u29 (GByteArray *out, guint32 value)
{
  guint8 b[4];
  gsize n;

  g_return_if_fail (value <= RTMP_AMF3_U29_MAX);

  if (value < 0x80) {
    b[0] = value;
    n = 1;
  } else if (value < 0x4000) {
    b[0] = 0x80 | (value >> 7);
    b[1] = value & 0x7F;
    n = 2;
  } else if (value < 0x200000) {
    b[0] = 0x80 | (value >> 14);
    b[1] = 0x80 | ((value >> 7) & 0x7F);
    b[2] = value & 0x7F;
    n = 3;
  } else {
    b[0] = 0x80 | (value >> 22);
    b[1] = 0x80 | ((value >> 15) & 0x7F);
    b[2] = 0x80 | ((value >> 8) & 0x7F);
    b[3] = value & 0xFF;
    n = 4;
  }
  g_byte_array_append (out, b, n);
}

/* --- decoder --- */

static gboolean
truncated (Amf3Decoder *dec, const gchar *what, gsize start, GError **error)
{
  g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
      "AMF3 at offset %" G_GSIZE_FORMAT ": %s truncated (%" G_GSIZE_FORMAT
      " bytes left)",
      start, what, dec->r.len - start);
  return FALSE;
}

static gboolean
read_u29 (Amf3Decoder *dec, const gchar *what, guint32 *value, GError **error)
{
  if (!rtmp_amf3_read_u29 (&dec->r, value))
    return truncated (dec, what, dec->r.pos, error);
  return TRUE;
}

/* Reads @len bytes that a U29 length announced. */
static gboolean
read_bytes (Amf3Decoder *dec, const gchar *what, gsize start, gsize len,
    const guint8 **data, GError **error)
{
  if (!rtmp_bytes_read_pointer (&dec->r, len, data)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "AMF3 at offset %" G_GSIZE_FORMAT ": %s of %" G_GSIZE_FORMAT
        " bytes, only %" G_GSIZE_FORMAT " left",
        start, what, len, rtmp_bytes_reader_remaining (&dec->r));
    return FALSE;
  }
  return TRUE;
}

/* UTF-8-vr (§1.3.2, §3.8): an inline string, which enters the string table
 * unless empty, or a reference to one. */
static gboolean
read_string (Amf3Decoder *dec, const gchar *what, Amf3String *out,
    GError **error)
{
  gsize start = dec->r.pos;
  guint32 u29;

  if (!read_u29 (dec, what, &u29, error))
    return FALSE;

  if (!(u29 & 1)) {
    guint32 index = u29 >> 1;

    if (index >= dec->strings->len) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "AMF3 at offset %" G_GSIZE_FORMAT ": %s: string reference %u, "
          "but the table holds %u",
          start, what, index, dec->strings->len);
      return FALSE;
    }
    *out = g_array_index (dec->strings, Amf3String, index);
    return TRUE;
  }

  out->len = u29 >> 1;
  if (!read_bytes (dec, what, start, out->len, (const guint8 **) &out->data,
          error))
    return FALSE;
  if (out->len > 0) {
    if (!rtmp_amf_budget_check_table (dec->budget, "string", dec->strings->len,
            start, error))
      return FALSE;
    g_array_append_val (dec->strings, *out);
  }
  return TRUE;
}

/* The U29 after a marker of a type in the object table: FALSE with
 * *value set for a reference (low bit 0), TRUE and the rest of the bits
 * in *u29 for an inline value. */
static gboolean
read_object_header (Amf3Decoder *dec, const gchar *what, guint32 *u29,
    RtmpAmfValue **value, guint depth, guint *height, GError **error)
{
  gsize start = dec->r.pos - 1;
  const Amf3Ref *ref;
  guint32 index;

  *value = NULL;
  if (!read_u29 (dec, what, u29, error))
    return FALSE;
  if (*u29 & 1) {
    *u29 >>= 1;
    return TRUE;
  }

  index = *u29 >> 1;
  if (index >= dec->objects->len) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "AMF3 at offset %" G_GSIZE_FORMAT ": %s: object reference %u, but "
        "the table holds %u",
        start, what, index, dec->objects->len);
    return FALSE;
  }
  ref = &g_array_index (dec->objects, Amf3Ref, index);
  if (!ref->complete) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "AMF3 at offset %" G_GSIZE_FORMAT ": %s: object reference %u to a "
        "value still being decoded (cycle)",
        start, what, index);
    return FALSE;
  }
  if (!rtmp_amf_budget_check_depth (dec->budget, depth + ref->height, start,
          error))
    return FALSE;
  if (!rtmp_amf_budget_charge (dec->budget, ref->n_elements, ref->n_bytes,
          start, error))
    return FALSE;
  *height = ref->height;
  *value = rtmp_amf_value_copy (ref->value);
  return FALSE;
}

/* Adds @value to the object table (before its members are read, so that
 * members get later indices, §2.2) and charges its element. */
static gboolean
begin_object (Amf3Decoder *dec, RtmpAmfValue *value, gboolean is_container,
    guint depth, gsize start, guint *ref_index, GError **error)
{
  Amf3Ref ref = { value, FALSE, 0, 0, 0 };

  if (is_container
      && !rtmp_amf_budget_check_depth (dec->budget, depth + 1, start, error))
    return FALSE;
  if (!rtmp_amf_budget_check_table (dec->budget, "object", dec->objects->len,
          start, error))
    return FALSE;
  if (!rtmp_amf_budget_charge (dec->budget, 1, 0, start, error))
    return FALSE;
  *ref_index = dec->objects->len;
  g_array_append_val (dec->objects, ref);
  return TRUE;
}

static void
end_object (Amf3Decoder *dec, guint ref_index, guint start_elements,
    gsize start_bytes, guint height)
{
  Amf3Ref *ref = &g_array_index (dec->objects, Amf3Ref, ref_index);

  ref->complete = TRUE;
  ref->n_elements = dec->budget->n_elements - start_elements;
  ref->n_bytes = dec->budget->n_bytes - start_bytes;
  ref->height = height;
}

/* XMLDocument, XML, ByteArray: a U29 length and bytes */
static RtmpAmfValue *
decode_bytes_value (Amf3Decoder *dec, guint8 marker, gsize start, guint depth,
    guint *height, GError **error)
{
  const gchar *what = marker == RTMP_AMF3_BYTE_ARRAY ? "ByteArray"
      : marker == RTMP_AMF3_XML                      ? "XML"
                                                     : "XMLDocument";
  guint start_elements = dec->budget->n_elements;
  gsize start_bytes = dec->budget->n_bytes;
  RtmpAmfValue *value = NULL;
  const guint8 *data;
  guint32 len;
  guint ref_index;

  if (!read_object_header (dec, what, &len, &value, depth, height, error))
    return value;
  if (!read_bytes (dec, what, start, len, &data, error))
    return NULL;
  if (!rtmp_amf_budget_charge (dec->budget, 0, len, start, error))
    return NULL;

  if (marker == RTMP_AMF3_BYTE_ARRAY)
    value = rtmp_amf_value_new_byte_array (data, len);
  else if (marker == RTMP_AMF3_XML)
    value = rtmp_amf_value_new_xml ((const gchar *) data, len);
  else
    value = rtmp_amf_value_new_xml_document ((const gchar *) data, len);

  if (!begin_object (dec, value, FALSE, depth, start, &ref_index, error)) {
    rtmp_amf_value_free (value);
    return NULL;
  }
  end_object (dec, ref_index, start_elements, start_bytes, 0);
  return value;
}

static RtmpAmfValue *
decode_date (Amf3Decoder *dec, gsize start, guint depth, guint *height,
    GError **error)
{
  guint start_elements = dec->budget->n_elements;
  gsize start_bytes = dec->budget->n_bytes;
  RtmpAmfValue *value = NULL;
  guint32 u29;
  gdouble ms;
  guint ref_index;

  if (!read_object_header (dec, "date", &u29, &value, depth, height, error))
    return value;
  if (!rtmp_bytes_read_f64_be (&dec->r, &ms)) {
    truncated (dec, "date", start, error);
    return NULL;
  }
  value = rtmp_amf_value_new_date (ms, 0);
  if (!begin_object (dec, value, FALSE, depth, start, &ref_index, error)) {
    rtmp_amf_value_free (value);
    return NULL;
  }
  end_object (dec, ref_index, start_elements, start_bytes, 0);
  return value;
}

/* A value inside a container, tracking the container's height */
static gboolean
decode_member (Amf3Decoder *dec, guint depth, guint *max_child_height,
    RtmpAmfValue **member, GError **error)
{
  guint child_height;

  *member = decode_value (dec, depth, &child_height, error);
  if (*member == NULL)
    return FALSE;
  *max_child_height = MAX (*max_child_height, child_height);
  return TRUE;
}

/* Named members up to the empty name: an array's associative part or an
 * object's dynamic members. */
static gboolean
decode_named_members (Amf3Decoder *dec, RtmpAmfValue *value, guint depth,
    guint *max_child_height, GError **error)
{
  for (;;) {
    gsize start = dec->r.pos;
    Amf3String name;
    RtmpAmfValue *member;

    if (!read_string (dec, "member name", &name, error))
      return FALSE;
    if (name.len == 0)
      return TRUE;
    if (!rtmp_amf_budget_charge (dec->budget, 0, name.len, start, error))
      return FALSE;
    if (!decode_member (dec, depth, max_child_height, &member, error)) {
      g_prefix_error (error, "member \"%.*s\": ", (gint) MIN (name.len, 64),
          name.data);
      return FALSE;
    }
    rtmp_amf_value_append_field (value, name.data, name.len, member);
  }
}

/* Fails early, before a loop, when @count items of at least @item_size
 * bytes cannot fit in what is left. */
static gboolean
check_count (Amf3Decoder *dec, const gchar *what, gsize start, guint32 count,
    gsize item_size, GError **error)
{
  if ((guint64) count * item_size > rtmp_bytes_reader_remaining (&dec->r)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
        "AMF3 at offset %" G_GSIZE_FORMAT ": %s of %u items in %" G_GSIZE_FORMAT
        " bytes",
        start, what, count, rtmp_bytes_reader_remaining (&dec->r));
    return FALSE;
  }
  return TRUE;
}

static RtmpAmfValue *
decode_array (Amf3Decoder *dec, gsize start, guint depth, guint *height,
    GError **error)
{
  guint start_elements = dec->budget->n_elements;
  gsize start_bytes = dec->budget->n_bytes;
  g_autoptr (RtmpAmfValue) value = NULL;
  RtmpAmfValue *ref_value = NULL;
  guint32 count, i;
  guint ref_index, max_child_height = 0;

  if (!read_object_header (dec, "array", &count, &ref_value, depth, height,
          error))
    return ref_value;
  if (!check_count (dec, "array", start, count, 1, error))
    return NULL;
  value = rtmp_amf_value_new_array ();
  if (!begin_object (dec, value, TRUE, depth, start, &ref_index, error))
    return NULL;
  if (!decode_named_members (dec, value, depth + 1, &max_child_height, error))
    return NULL;
  for (i = 0; i < count; i++) {
    RtmpAmfValue *item;

    if (!decode_member (dec, depth + 1, &max_child_height, &item, error)) {
      g_prefix_error (error, "array item %u: ", i);
      return NULL;
    }
    rtmp_amf_value_take_item (value, item);
  }
  *height = max_child_height + 1;
  end_object (dec, ref_index, start_elements, start_bytes, *height);
  return g_steal_pointer (&value);
}

static void
clear_traits (gpointer data)
{
  Amf3Traits *traits = data;

  g_free (traits->sealed);
}

/* U29O-traits-ref, U29O-traits-ext, U29O-traits (§3.12); @u29 has the
 * object-reference bit already shifted out. */
static const Amf3Traits *
read_traits (Amf3Decoder *dec, guint32 u29, gsize start, GError **error)
{
  Amf3Traits traits = { { NULL, 0 }, FALSE, 0, NULL };
  guint32 i;

  if (!(u29 & 1)) {
    guint32 index = u29 >> 1;

    if (index >= dec->traits->len) {
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "AMF3 at offset %" G_GSIZE_FORMAT ": traits reference %u, but the "
          "table holds %u",
          start, index, dec->traits->len);
      return NULL;
    }
    return &g_array_index (dec->traits, Amf3Traits, index);
  }

  if (u29 & 2) {
    Amf3String class_name;

    /* The bytes of an externalizable object are whatever its class's
     * writeExternal wrote: without the class there is no way to read them,
     * or to find where the value ends. */
    if (!read_string (dec, "class name", &class_name, error))
      return NULL;
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_UNSUPPORTED,
        "AMF3 at offset %" G_GSIZE_FORMAT ": externalizable object of "
        "class \"%.*s\"",
        start, (gint) MIN (class_name.len, 256), class_name.data);
    return NULL;
  }

  traits.is_dynamic = (u29 & 4) != 0;
  traits.n_sealed = u29 >> 3;
  if (!read_string (dec, "class name", &traits.class_name, error))
    return NULL;
  /* every sealed name takes at least one byte */
  if (!check_count (dec, "traits", start, traits.n_sealed, 1, error))
    return NULL;
  if (!rtmp_amf_budget_check_table (dec->budget, "traits", dec->traits->len,
          start, error))
    return NULL;
  traits.sealed = g_new (Amf3String, traits.n_sealed);
  for (i = 0; i < traits.n_sealed; i++) {
    if (!read_string (dec, "sealed member name", &traits.sealed[i], error)) {
      g_free (traits.sealed);
      return NULL;
    }
  }
  g_array_append_val (dec->traits, traits);
  return &g_array_index (dec->traits, Amf3Traits, dec->traits->len - 1);
}

static RtmpAmfValue *
decode_object (Amf3Decoder *dec, gsize start, guint depth, guint *height,
    GError **error)
{
  guint start_elements = dec->budget->n_elements;
  gsize start_bytes = dec->budget->n_bytes;
  g_autoptr (RtmpAmfValue) value = NULL;
  RtmpAmfValue *ref_value = NULL;
  const Amf3Traits *entry;
  Amf3Traits traits;
  guint32 u29, i;
  guint ref_index, max_child_height = 0;

  if (!read_object_header (dec, "object", &u29, &ref_value, depth, height,
          error))
    return ref_value;

  value = rtmp_amf_value_new_object ();
  /* §2.2: the object takes its index before anything inside it */
  if (!begin_object (dec, value, TRUE, depth, start, &ref_index, error))
    return NULL;
  entry = read_traits (dec, u29, start, error);
  if (entry == NULL)
    return NULL;
  /* a copy: the table may move while the members add traits; the names
   * it points to stay where they are */
  traits = *entry;

  if (traits.class_name.len > 0) {
    rtmp_amf_value_set_class_name (value, traits.class_name.data,
        traits.class_name.len);
    if (!rtmp_amf_budget_charge (dec->budget, 0, traits.class_name.len, start,
            error))
      return NULL;
  }
  /* every sealed member value takes at least one byte */
  if (!check_count (dec, "object", start, traits.n_sealed, 1, error))
    return NULL;
  for (i = 0; i < traits.n_sealed; i++) {
    const Amf3String *name = &traits.sealed[i];
    RtmpAmfValue *member;

    if (!rtmp_amf_budget_charge (dec->budget, 0, name->len, dec->r.pos, error))
      return NULL;
    if (!decode_member (dec, depth + 1, &max_child_height, &member, error)) {
      g_prefix_error (error,
          "sealed member \"%.*s\": ", (gint) MIN (name->len, 64), name->data);
      return NULL;
    }
    rtmp_amf_value_append_field (value, name->data, name->len, member);
  }
  rtmp_amf_value_set_traits (value, traits.n_sealed, traits.is_dynamic);
  if (traits.is_dynamic
      && !decode_named_members (dec, value, depth + 1, &max_child_height,
          error))
    return NULL;

  *height = max_child_height + 1;
  end_object (dec, ref_index, start_elements, start_bytes, *height);
  return g_steal_pointer (&value);
}

static RtmpAmfValue *
decode_vector (Amf3Decoder *dec, guint8 marker, gsize start, guint depth,
    guint *height, GError **error)
{
  guint start_elements = dec->budget->n_elements;
  gsize start_bytes = dec->budget->n_bytes;
  g_autoptr (RtmpAmfValue) value = NULL;
  RtmpAmfValue *ref_value = NULL;
  RtmpAmfType type;
  Amf3String type_name = { NULL, 0 };
  guint32 count, i;
  guint8 fixed;
  gsize item_size;
  guint ref_index, max_child_height = 0;

  switch (marker) {
    case RTMP_AMF3_VECTOR_INT:
      type = RTMP_AMF_TYPE_VECTOR_INT;
      item_size = 4;
      break;
    case RTMP_AMF3_VECTOR_UINT:
      type = RTMP_AMF_TYPE_VECTOR_UINT;
      item_size = 4;
      break;
    case RTMP_AMF3_VECTOR_DOUBLE:
      type = RTMP_AMF_TYPE_VECTOR_DOUBLE;
      item_size = 8;
      break;
    default:
      type = RTMP_AMF_TYPE_VECTOR_OBJECT;
      item_size = 1;
      break;
  }

  if (!read_object_header (dec, "vector", &count, &ref_value, depth, height,
          error))
    return ref_value;
  if (!rtmp_bytes_read_u8 (&dec->r, &fixed)) {
    truncated (dec, "vector", start, error);
    return NULL;
  }
  if (type == RTMP_AMF_TYPE_VECTOR_OBJECT
      && !read_string (dec, "vector type name", &type_name, error))
    return NULL;
  if (!check_count (dec, "vector", start, count, item_size, error))
    return NULL;

  value = rtmp_amf_value_new_vector (type, NULL, fixed != 0);
  if (type_name.len > 0) {
    rtmp_amf_value_set_class_name (value, type_name.data, type_name.len);
    if (!rtmp_amf_budget_charge (dec->budget, 0, type_name.len, start, error))
      return NULL;
  }
  if (!begin_object (dec, value, TRUE, depth, start, &ref_index, error))
    return NULL;

  for (i = 0; i < count; i++) {
    RtmpAmfValue *item;
    guint32 u32 = 0;
    gdouble number = 0;

    if (type == RTMP_AMF_TYPE_VECTOR_OBJECT) {
      if (!decode_member (dec, depth + 1, &max_child_height, &item, error)) {
        g_prefix_error (error, "vector item %u: ", i);
        return NULL;
      }
      rtmp_amf_value_take_item (value, item);
      continue;
    }
    if (!rtmp_amf_budget_charge (dec->budget, 1, 0, dec->r.pos, error))
      return NULL;
    /* check_count made sure the bytes are there */
    if (type == RTMP_AMF_TYPE_VECTOR_DOUBLE) {
      rtmp_bytes_read_f64_be (&dec->r, &number);
      item = rtmp_amf_value_new_number (number);
    } else {
      rtmp_bytes_read_u32_be (&dec->r, &u32);
      if (type == RTMP_AMF_TYPE_VECTOR_INT)
        item = rtmp_amf_value_new_integer ((gint32) u32);
      else
        item = rtmp_amf_value_new_number (u32);
    }
    rtmp_amf_value_take_item (value, item);
  }
  *height = max_child_height + 1;
  end_object (dec, ref_index, start_elements, start_bytes, *height);
  return g_steal_pointer (&value);
}

static RtmpAmfValue *
decode_dictionary (Amf3Decoder *dec, gsize start, guint depth, guint *height,
    GError **error)
{
  guint start_elements = dec->budget->n_elements;
  gsize start_bytes = dec->budget->n_bytes;
  g_autoptr (RtmpAmfValue) value = NULL;
  RtmpAmfValue *ref_value = NULL;
  guint32 count, i;
  guint8 weak_keys;
  guint ref_index, max_child_height = 0;

  if (!read_object_header (dec, "dictionary", &count, &ref_value, depth, height,
          error))
    return ref_value;
  if (!rtmp_bytes_read_u8 (&dec->r, &weak_keys)) {
    truncated (dec, "dictionary", start, error);
    return NULL;
  }
  if (!check_count (dec, "dictionary", start, count, 2, error))
    return NULL;
  value = rtmp_amf_value_new_dictionary (weak_keys != 0);
  if (!begin_object (dec, value, TRUE, depth, start, &ref_index, error))
    return NULL;
  for (i = 0; i < count; i++) {
    RtmpAmfValue *key, *entry;

    if (!decode_member (dec, depth + 1, &max_child_height, &key, error)) {
      g_prefix_error (error, "dictionary key %u: ", i);
      return NULL;
    }
    rtmp_amf_value_take_item (value, key);
    if (!decode_member (dec, depth + 1, &max_child_height, &entry, error)) {
      g_prefix_error (error, "dictionary value %u: ", i);
      return NULL;
    }
    rtmp_amf_value_take_item (value, entry);
  }
  *height = max_child_height + 1;
  end_object (dec, ref_index, start_elements, start_bytes, *height);
  return g_steal_pointer (&value);
}

static RtmpAmfValue *
decode_value (Amf3Decoder *dec, guint depth, guint *height, GError **error)
{
  gsize start = dec->r.pos;
  RtmpAmfValue *value = NULL;
  guint8 marker;

  *height = 0;
  if (!rtmp_bytes_read_u8 (&dec->r, &marker)) {
    truncated (dec, "value marker", start, error);
    return NULL;
  }

  switch (marker) {
    case RTMP_AMF3_UNDEFINED:
      value = rtmp_amf_value_new_undefined ();
      break;
    case RTMP_AMF3_NULL:
      value = rtmp_amf_value_new_null ();
      break;
    case RTMP_AMF3_FALSE:
    case RTMP_AMF3_TRUE:
      value = rtmp_amf_value_new_boolean (marker == RTMP_AMF3_TRUE);
      break;
    case RTMP_AMF3_INTEGER: {
      guint32 u29;

      if (!read_u29 (dec, "integer", &u29, error))
        return NULL;
      /* §3.6: sign-extend from bit 28 */
      value = rtmp_amf_value_new_integer (
          (gint32) (u29 ^ 0x10000000u) - 0x10000000);
      break;
    }
    case RTMP_AMF3_DOUBLE: {
      gdouble number;

      if (!rtmp_bytes_read_f64_be (&dec->r, &number)) {
        truncated (dec, "double", start, error);
        return NULL;
      }
      value = rtmp_amf_value_new_number (number);
      break;
    }
    case RTMP_AMF3_STRING: {
      Amf3String s;

      if (!read_string (dec, "string", &s, error))
        return NULL;
      if (!rtmp_amf_budget_charge (dec->budget, 0, s.len, start, error))
        return NULL;
      value = rtmp_amf_value_new_string_len (s.data, s.len);
      break;
    }
    case RTMP_AMF3_XML_DOCUMENT:
    case RTMP_AMF3_XML:
    case RTMP_AMF3_BYTE_ARRAY:
      return decode_bytes_value (dec, marker, start, depth, height, error);
    case RTMP_AMF3_DATE:
      return decode_date (dec, start, depth, height, error);
    case RTMP_AMF3_ARRAY:
      return decode_array (dec, start, depth, height, error);
    case RTMP_AMF3_OBJECT:
      return decode_object (dec, start, depth, height, error);
    case RTMP_AMF3_VECTOR_INT:
    case RTMP_AMF3_VECTOR_UINT:
    case RTMP_AMF3_VECTOR_DOUBLE:
    case RTMP_AMF3_VECTOR_OBJECT:
      return decode_vector (dec, marker, start, depth, height, error);
    case RTMP_AMF3_DICTIONARY:
      return decode_dictionary (dec, start, depth, height, error);
    default:
      g_set_error (error, RTMP_ERROR, RTMP_ERROR_MALFORMED,
          "AMF3 at offset %" G_GSIZE_FORMAT ": unknown marker 0x%02x", start,
          marker);
      return NULL;
  }

  if (!rtmp_amf_budget_charge (dec->budget, 1, 0, start, error)) {
    rtmp_amf_value_free (value);
    return NULL;
  }
  return value;
}

static void
decoder_init (Amf3Decoder *dec, const guint8 *data, gsize len,
    RtmpAmfBudget *budget)
{
  rtmp_bytes_reader_init (&dec->r, data, len);
  dec->budget = budget;
  dec->strings = g_array_new (FALSE, FALSE, sizeof (Amf3String));
  dec->traits = g_array_new (FALSE, FALSE, sizeof (Amf3Traits));
  g_array_set_clear_func (dec->traits, clear_traits);
  dec->objects = g_array_new (FALSE, FALSE, sizeof (Amf3Ref));
}

static void
decoder_clear (Amf3Decoder *dec)
{
  g_array_unref (dec->strings);
  g_array_unref (dec->traits);
  g_array_unref (dec->objects);
}

RtmpAmfValue *
rtmp_amf3_decode_nested (const guint8 *data, gsize len, gsize *consumed,
    RtmpAmfBudget *budget, guint depth, guint *height, GError **error)
{
  Amf3Decoder dec;
  RtmpAmfValue *value;
  const gchar *codec = budget->codec;
  guint h = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  budget->codec = "AMF3";
  decoder_init (&dec, data, len, budget);
  value = decode_value (&dec, depth, &h, error);
  decoder_clear (&dec);
  budget->codec = codec;
  if (value != NULL) {
    if (consumed != NULL)
      *consumed = dec.r.pos;
    if (height != NULL)
      *height = h;
  }
  return value;
}

RtmpAmfValue *
rtmp_amf3_decode (const guint8 *data, gsize len, gsize *consumed,
    const RtmpLimits *limits, GError **error)
{
  RtmpAmfBudget budget;

  rtmp_amf_budget_init (&budget, "AMF3", limits);
  return rtmp_amf3_decode_nested (data, len, consumed, &budget, 0, NULL, error);
}

GPtrArray *
rtmp_amf3_decode_all (const guint8 *data, gsize len, const RtmpLimits *limits,
    GError **error)
{
  RtmpAmfBudget budget;
  Amf3Decoder dec;
  GPtrArray *values;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  values
      = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  rtmp_amf_budget_init (&budget, "AMF3", limits);
  decoder_init (&dec, data, len, &budget);
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
  decoder_clear (&dec);
  return values;
}

/* --- encoder --- */

typedef struct
{
  GByteArray *out;
  GHashTable *strings; /* GBytes -> index + 1 */
  GHashTable *traits;  /* GBytes (traits signature) -> index + 1 */
} Amf3Encoder;

static void encode_value (Amf3Encoder *enc, const RtmpAmfValue *value);

static void
encoder_init (Amf3Encoder *enc, GByteArray *out)
{
  enc->out = out;
  enc->strings = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
      (GDestroyNotify) g_bytes_unref, NULL);
  enc->traits = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
      (GDestroyNotify) g_bytes_unref, NULL);
}

static void
encoder_clear (Amf3Encoder *enc)
{
  g_hash_table_unref (enc->strings);
  g_hash_table_unref (enc->traits);
}

/* A U29 length with the inline bit: lengths past 2^28 - 1 cannot be
 * written (and are far past any RTMP message). */
static void
append_inline_length (Amf3Encoder *enc, gsize len)
{
  g_return_if_fail (len <= RTMP_AMF3_INTEGER_MAX);

  rtmp_amf3_append_u29 (enc->out, ((guint32) len << 1) | 1);
}

/* UTF-8-vr: a reference when the string was written before */
static void
encode_string (Amf3Encoder *enc, const gchar *data, gsize len)
{
  GBytes *key;
  guint index;

  if (len == 0) {
    rtmp_amf3_append_u29 (enc->out, 1);
    return;
  }
  key = g_bytes_new (data, len);
  index = GPOINTER_TO_UINT (g_hash_table_lookup (enc->strings, key));
  if (index > 0) {
    g_bytes_unref (key);
    rtmp_amf3_append_u29 (enc->out, (index - 1) << 1);
    return;
  }
  g_hash_table_insert (enc->strings, key,
      GUINT_TO_POINTER (g_hash_table_size (enc->strings) + 1));
  append_inline_length (enc, len);
  rtmp_bytes_append (enc->out, data, len);
}

static void
encode_bytes (Amf3Encoder *enc, guint8 marker, const gchar *data, gsize len)
{
  rtmp_bytes_append_u8 (enc->out, marker);
  append_inline_length (enc, len);
  rtmp_bytes_append (enc->out, data, len);
}

static void
encode_named_fields (Amf3Encoder *enc, const RtmpAmfValue *value, guint first)
{
  guint i, n = rtmp_amf_value_get_n_fields (value);

  for (i = first; i < n; i++) {
    const gchar *name;
    gsize name_len;
    const RtmpAmfValue *field
        = rtmp_amf_value_peek_field_at_len (value, i, &name, &name_len);

    /* an empty name ends the list */
    if (name_len == 0)
      continue;
    encode_string (enc, name, name_len);
    encode_value (enc, field);
  }
  encode_string (enc, "", 0);
}

static void
encode_array (Amf3Encoder *enc, const RtmpAmfValue *value)
{
  guint i, n = rtmp_amf_value_get_n_items (value);

  rtmp_bytes_append_u8 (enc->out, RTMP_AMF3_ARRAY);
  append_inline_length (enc, n);
  encode_named_fields (enc, value, 0);
  for (i = 0; i < n; i++)
    encode_value (enc, rtmp_amf_value_peek_item (value, i));
}

static void
encode_object (Amf3Encoder *enc, const RtmpAmfValue *value)
{
  guint n_fields = rtmp_amf_value_get_n_fields (value);
  guint n_sealed = MIN (rtmp_amf_value_get_n_sealed (value), n_fields);
  /* fields past the sealed ones can only be dynamic members */
  gboolean is_dynamic
      = rtmp_amf_value_is_dynamic (value) || n_fields > n_sealed;
  const gchar *class_name;
  gsize class_name_len;
  GByteArray *signature;
  GBytes *key;
  guint i, index;

  class_name = rtmp_amf_value_peek_class_name_len (value, &class_name_len);

  /* the traits, as bytes, identify a traits table entry */
  signature = g_byte_array_new ();
  rtmp_bytes_append_u8 (signature, is_dynamic);
  rtmp_bytes_append_u32_be (signature, n_sealed);
  rtmp_bytes_append_u32_be (signature, class_name_len);
  rtmp_bytes_append (signature, class_name, class_name_len);
  for (i = 0; i < n_sealed; i++) {
    const gchar *name;
    gsize name_len;

    rtmp_amf_value_peek_field_at_len (value, i, &name, &name_len);
    rtmp_bytes_append_u32_be (signature, name_len);
    rtmp_bytes_append (signature, name, name_len);
  }
  key = g_byte_array_free_to_bytes (signature);

  rtmp_bytes_append_u8 (enc->out, RTMP_AMF3_OBJECT);
  index = GPOINTER_TO_UINT (g_hash_table_lookup (enc->traits, key));
  if (index > 0) {
    g_bytes_unref (key);
    /* U29O-traits-ref */
    rtmp_amf3_append_u29 (enc->out, ((index - 1) << 2) | 1);
  } else {
    g_hash_table_insert (enc->traits, key,
        GUINT_TO_POINTER (g_hash_table_size (enc->traits) + 1));
    /* U29O-traits: sealed count, dynamic, not externalizable, inline
     * traits, inline object */
    rtmp_amf3_append_u29 (enc->out, (n_sealed << 4) | (is_dynamic ? 8 : 0) | 3);
    encode_string (enc, class_name, class_name_len);
    for (i = 0; i < n_sealed; i++) {
      const gchar *name;
      gsize name_len;

      rtmp_amf_value_peek_field_at_len (value, i, &name, &name_len);
      encode_string (enc, name, name_len);
    }
  }

  for (i = 0; i < n_sealed; i++)
    encode_value (enc, rtmp_amf_value_peek_field_at (value, i, NULL));
  if (is_dynamic)
    encode_named_fields (enc, value, n_sealed);
}

/* Vector.<int> / Vector.<uint> items that are not of the decoded type are
 * converted without undefined behaviour (NaN and out-of-range clamp). */
static guint32
item_as_u32 (const RtmpAmfValue *item, gboolean is_signed)
{
  gdouble d = 0;

  if (!rtmp_amf_value_to_number (item, &d) || isnan (d))
    return 0;
  if (is_signed)
    return (
        guint32) (gint32) CLAMP (d, (gdouble) G_MININT32, (gdouble) G_MAXINT32);
  return (guint32) CLAMP (d, 0.0, (gdouble) G_MAXUINT32);
}

static void
encode_vector (Amf3Encoder *enc, const RtmpAmfValue *value)
{
  RtmpAmfType type = rtmp_amf_value_get_type (value);
  guint i, n = rtmp_amf_value_get_n_items (value);
  guint8 marker;

  switch (type) {
    case RTMP_AMF_TYPE_VECTOR_INT:
      marker = RTMP_AMF3_VECTOR_INT;
      break;
    case RTMP_AMF_TYPE_VECTOR_UINT:
      marker = RTMP_AMF3_VECTOR_UINT;
      break;
    case RTMP_AMF_TYPE_VECTOR_DOUBLE:
      marker = RTMP_AMF3_VECTOR_DOUBLE;
      break;
    default:
      marker = RTMP_AMF3_VECTOR_OBJECT;
      break;
  }
  rtmp_bytes_append_u8 (enc->out, marker);
  append_inline_length (enc, n);
  rtmp_bytes_append_u8 (enc->out, rtmp_amf_value_get_flag (value) ? 1 : 0);
  if (marker == RTMP_AMF3_VECTOR_OBJECT) {
    gsize len;
    const gchar *name = rtmp_amf_value_peek_class_name_len (value, &len);

    encode_string (enc, name, len);
  }
  for (i = 0; i < n; i++) {
    const RtmpAmfValue *item = rtmp_amf_value_peek_item (value, i);
    gdouble d = 0;

    switch (marker) {
      case RTMP_AMF3_VECTOR_INT:
        rtmp_bytes_append_u32_be (enc->out, item_as_u32 (item, TRUE));
        break;
      case RTMP_AMF3_VECTOR_UINT:
        rtmp_bytes_append_u32_be (enc->out, item_as_u32 (item, FALSE));
        break;
      case RTMP_AMF3_VECTOR_DOUBLE:
        rtmp_amf_value_to_number (item, &d);
        rtmp_bytes_append_f64_be (enc->out, d);
        break;
      default:
        encode_value (enc, item);
        break;
    }
  }
}

static void
encode_value (Amf3Encoder *enc, const RtmpAmfValue *value)
{
  GByteArray *out = enc->out;
  const gchar *data;
  gsize len;
  guint i, n;

  switch (rtmp_amf_value_get_type (value)) {
    case RTMP_AMF_TYPE_UNDEFINED:
      rtmp_bytes_append_u8 (out, RTMP_AMF3_UNDEFINED);
      break;
    case RTMP_AMF_TYPE_NULL:
      rtmp_bytes_append_u8 (out, RTMP_AMF3_NULL);
      break;
    case RTMP_AMF_TYPE_BOOLEAN:
      rtmp_bytes_append_u8 (out,
          rtmp_amf_value_get_boolean (value) ? RTMP_AMF3_TRUE
                                             : RTMP_AMF3_FALSE);
      break;
    case RTMP_AMF_TYPE_INTEGER: {
      gint32 integer = rtmp_amf_value_get_integer (value);

      if (integer >= RTMP_AMF3_INTEGER_MIN
          && integer <= RTMP_AMF3_INTEGER_MAX) {
        rtmp_bytes_append_u8 (out, RTMP_AMF3_INTEGER);
        rtmp_amf3_append_u29 (out, (guint32) integer & RTMP_AMF3_U29_MAX);
      } else {
        rtmp_bytes_append_u8 (out, RTMP_AMF3_DOUBLE);
        rtmp_bytes_append_f64_be (out, integer);
      }
      break;
    }
    case RTMP_AMF_TYPE_NUMBER:
      rtmp_bytes_append_u8 (out, RTMP_AMF3_DOUBLE);
      rtmp_bytes_append_f64_be (out, rtmp_amf_value_get_number (value));
      break;
    case RTMP_AMF_TYPE_STRING:
      data = rtmp_amf_value_peek_string (value, &len);
      rtmp_bytes_append_u8 (out, RTMP_AMF3_STRING);
      encode_string (enc, data, len);
      break;
    case RTMP_AMF_TYPE_XML_DOCUMENT:
      data = rtmp_amf_value_peek_string (value, &len);
      encode_bytes (enc, RTMP_AMF3_XML_DOCUMENT, data, len);
      break;
    case RTMP_AMF_TYPE_XML:
      data = rtmp_amf_value_peek_string (value, &len);
      encode_bytes (enc, RTMP_AMF3_XML, data, len);
      break;
    case RTMP_AMF_TYPE_BYTE_ARRAY:
      data = (const gchar *) rtmp_amf_value_peek_bytes (value, &len);
      encode_bytes (enc, RTMP_AMF3_BYTE_ARRAY, data, len);
      break;
    case RTMP_AMF_TYPE_DATE:
      rtmp_bytes_append_u8 (out, RTMP_AMF3_DATE);
      rtmp_amf3_append_u29 (out, 1);
      rtmp_bytes_append_f64_be (out, rtmp_amf_value_get_date (value, NULL));
      break;
    case RTMP_AMF_TYPE_ARRAY:
    case RTMP_AMF_TYPE_STRICT_ARRAY:
    case RTMP_AMF_TYPE_ECMA_ARRAY:
      encode_array (enc, value);
      break;
    case RTMP_AMF_TYPE_OBJECT:
      encode_object (enc, value);
      break;
    case RTMP_AMF_TYPE_VECTOR_INT:
    case RTMP_AMF_TYPE_VECTOR_UINT:
    case RTMP_AMF_TYPE_VECTOR_DOUBLE:
    case RTMP_AMF_TYPE_VECTOR_OBJECT:
      encode_vector (enc, value);
      break;
    case RTMP_AMF_TYPE_DICTIONARY:
      /* items are key, value pairs: a lone last key is dropped */
      n = rtmp_amf_value_get_n_items (value) / 2;
      rtmp_bytes_append_u8 (out, RTMP_AMF3_DICTIONARY);
      append_inline_length (enc, n);
      rtmp_bytes_append_u8 (out, rtmp_amf_value_get_flag (value) ? 1 : 0);
      for (i = 0; i < 2 * n; i++)
        encode_value (enc, rtmp_amf_value_peek_item (value, i));
      break;
  }
}

void
rtmp_amf3_encode (GByteArray *out, const RtmpAmfValue *value)
{
  Amf3Encoder enc;

  g_return_if_fail (out != NULL);
  g_return_if_fail (value != NULL);

  encoder_init (&enc, out);
  encode_value (&enc, value);
  encoder_clear (&enc);
}

GBytes *
rtmp_amf3_encode_values (const RtmpAmfValue *const *values, guint n_values)
{
  GByteArray *out = g_byte_array_new ();
  Amf3Encoder enc;
  guint i;

  g_return_val_if_fail (values != NULL || n_values == 0, NULL);

  encoder_init (&enc, out);
  for (i = 0; i < n_values; i++)
    encode_value (&enc, values[i]);
  encoder_clear (&enc);
  return g_byte_array_free_to_bytes (out);
}
