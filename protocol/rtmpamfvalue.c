/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The value tree shared by the AMF0 and AMF3 codecs. */

#include "rtmpamfvalue.h"

#include "rtmperror.h"

#include <math.h>
#include <string.h>

typedef struct
{
  gchar *name; /* owned, NUL-terminated; may hold NUL bytes before name_len */
  gsize name_len;
  RtmpAmfValue *value; /* owned */
} Field;

struct _RtmpAmfValue
{
  RtmpAmfType type;
  /* BOOLEAN: the value; VECTOR_*: fixed length; DICTIONARY: weak keys */
  gboolean flag;
  gint32 integer;
  gint16 timezone_min; /* DATE */
  gdouble number;      /* NUMBER, DATE */
  /* STRING, XML_DOCUMENT, XML, BYTE_ARRAY: owned, NUL-terminated */
  gchar *data;
  gsize len;
  /* OBJECT, VECTOR_OBJECT: owned, NULL when anonymous */
  gchar *class_name;
  gsize class_name_len;
  GArray *fields;      /* Field, created on first use */
  GPtrArray *items;    /* RtmpAmfValue *, created on first use */
  guint n_sealed;      /* OBJECT */
  gboolean is_dynamic; /* OBJECT */
};

static RtmpAmfValue *
value_new (RtmpAmfType type)
{
  RtmpAmfValue *value = g_new0 (RtmpAmfValue, 1);

  value->type = type;
  value->is_dynamic = TRUE;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_undefined (void)
{
  return value_new (RTMP_AMF_TYPE_UNDEFINED);
}

RtmpAmfValue *
rtmp_amf_value_new_null (void)
{
  return value_new (RTMP_AMF_TYPE_NULL);
}

RtmpAmfValue *
rtmp_amf_value_new_boolean (gboolean boolean)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_TYPE_BOOLEAN);

  value->flag = !!boolean;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_number (gdouble number)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_TYPE_NUMBER);

  value->number = number;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_integer (gint32 integer)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_TYPE_INTEGER);

  value->integer = integer;
  return value;
}

static RtmpAmfValue *
new_with_data (RtmpAmfType type, const void *data, gsize len)
{
  RtmpAmfValue *value = value_new (type);

  g_return_val_if_fail (data != NULL || len == 0, value);

  value->data = g_malloc (len + 1);
  if (len > 0)
    memcpy (value->data, data, len);
  value->data[len] = '\0';
  value->len = len;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_string (const gchar *string)
{
  g_return_val_if_fail (string != NULL, NULL);

  return new_with_data (RTMP_AMF_TYPE_STRING, string, strlen (string));
}

RtmpAmfValue *
rtmp_amf_value_new_string_len (const gchar *string, gsize len)
{
  return new_with_data (RTMP_AMF_TYPE_STRING, string, len);
}

RtmpAmfValue *
rtmp_amf_value_new_object (void)
{
  return value_new (RTMP_AMF_TYPE_OBJECT);
}

RtmpAmfValue *
rtmp_amf_value_new_typed_object (const gchar *class_name)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_TYPE_OBJECT);

  rtmp_amf_value_set_class_name (value, class_name, -1);
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_ecma_array (void)
{
  return value_new (RTMP_AMF_TYPE_ECMA_ARRAY);
}

RtmpAmfValue *
rtmp_amf_value_new_strict_array (void)
{
  return value_new (RTMP_AMF_TYPE_STRICT_ARRAY);
}

RtmpAmfValue *
rtmp_amf_value_new_array (void)
{
  return value_new (RTMP_AMF_TYPE_ARRAY);
}

RtmpAmfValue *
rtmp_amf_value_new_date (gdouble ms_since_epoch, gint16 timezone_min)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_TYPE_DATE);

  value->number = ms_since_epoch;
  value->timezone_min = timezone_min;
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_xml_document (const gchar *xml, gsize len)
{
  return new_with_data (RTMP_AMF_TYPE_XML_DOCUMENT, xml, len);
}

RtmpAmfValue *
rtmp_amf_value_new_xml (const gchar *xml, gsize len)
{
  return new_with_data (RTMP_AMF_TYPE_XML, xml, len);
}

RtmpAmfValue *
rtmp_amf_value_new_byte_array (const guint8 *data, gsize len)
{
  return new_with_data (RTMP_AMF_TYPE_BYTE_ARRAY, data, len);
}

static gboolean
is_vector (RtmpAmfType type)
{
  return type == RTMP_AMF_TYPE_VECTOR_INT || type == RTMP_AMF_TYPE_VECTOR_UINT
      || type == RTMP_AMF_TYPE_VECTOR_DOUBLE
      || type == RTMP_AMF_TYPE_VECTOR_OBJECT;
}

RtmpAmfValue *
rtmp_amf_value_new_vector (RtmpAmfType type, const gchar *class_name,
    gboolean fixed)
{
  RtmpAmfValue *value;

  g_return_val_if_fail (is_vector (type), NULL);

  value = value_new (type);
  value->flag = !!fixed;
  if (type == RTMP_AMF_TYPE_VECTOR_OBJECT)
    rtmp_amf_value_set_class_name (value, class_name, -1);
  return value;
}

RtmpAmfValue *
rtmp_amf_value_new_dictionary (gboolean weak_keys)
{
  RtmpAmfValue *value = value_new (RTMP_AMF_TYPE_DICTIONARY);

  value->flag = !!weak_keys;
  return value;
}

static void
field_clear (gpointer data)
{
  Field *field = data;

  g_free (field->name);
  rtmp_amf_value_free (field->value);
}

void
rtmp_amf_value_free (RtmpAmfValue *value)
{
  if (value == NULL)
    return;
  g_free (value->data);
  g_free (value->class_name);
  if (value->fields != NULL)
    g_array_unref (value->fields);
  if (value->items != NULL)
    g_ptr_array_unref (value->items);
  g_free (value);
}

static GArray *
ensure_fields (RtmpAmfValue *value)
{
  if (value->fields == NULL) {
    value->fields = g_array_new (FALSE, FALSE, sizeof (Field));
    g_array_set_clear_func (value->fields, field_clear);
  }
  return value->fields;
}

static GPtrArray *
ensure_items (RtmpAmfValue *value)
{
  if (value->items == NULL)
    value->items
        = g_ptr_array_new_with_free_func ((GDestroyNotify) rtmp_amf_value_free);
  return value->items;
}

RtmpAmfValue *
rtmp_amf_value_copy (const RtmpAmfValue *value)
{
  RtmpAmfValue *copy;
  guint i;

  g_return_val_if_fail (value != NULL, NULL);

  copy = value_new (value->type);
  copy->flag = value->flag;
  copy->integer = value->integer;
  copy->timezone_min = value->timezone_min;
  copy->number = value->number;
  copy->n_sealed = value->n_sealed;
  copy->is_dynamic = value->is_dynamic;
  if (value->data != NULL) {
    copy->data = g_memdup2 (value->data, value->len + 1);
    copy->len = value->len;
  }
  if (value->class_name != NULL) {
    copy->class_name = g_memdup2 (value->class_name, value->class_name_len + 1);
    copy->class_name_len = value->class_name_len;
  }
  if (value->fields != NULL && value->fields->len > 0) {
    GArray *fields = ensure_fields (copy);

    g_array_set_size (fields, value->fields->len);
    for (i = 0; i < value->fields->len; i++) {
      const Field *src = &g_array_index (value->fields, Field, i);
      Field *dst = &g_array_index (fields, Field, i);

      dst->name = g_memdup2 (src->name, src->name_len + 1);
      dst->name_len = src->name_len;
      dst->value = rtmp_amf_value_copy (src->value);
    }
  }
  if (value->items != NULL && value->items->len > 0) {
    GPtrArray *items = ensure_items (copy);

    for (i = 0; i < value->items->len; i++)
      g_ptr_array_add (items, rtmp_amf_value_copy (value->items->pdata[i]));
  }
  return copy;
}

/* Doubles compare by bits: NaN equals the same NaN and 0.0 differs from
 * -0.0, so a round trip must keep every bit. */
static gboolean
doubles_identical (gdouble a, gdouble b)
{
  return memcmp (&a, &b, sizeof (a)) == 0;
}

static gboolean
bytes_equal (const gchar *a, gsize a_len, const gchar *b, gsize b_len)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a_len == b_len && memcmp (a, b, a_len) == 0;
}

gboolean
rtmp_amf_value_equal (const RtmpAmfValue *a, const RtmpAmfValue *b)
{
  guint i, n_a, n_b;

  if (a == NULL || b == NULL)
    return a == b;
  if (a->type != b->type)
    return FALSE;

  switch (a->type) {
    case RTMP_AMF_TYPE_UNDEFINED:
    case RTMP_AMF_TYPE_NULL:
      return TRUE;
    case RTMP_AMF_TYPE_BOOLEAN:
      return a->flag == b->flag;
    case RTMP_AMF_TYPE_NUMBER:
      return doubles_identical (a->number, b->number);
    case RTMP_AMF_TYPE_INTEGER:
      return a->integer == b->integer;
    case RTMP_AMF_TYPE_DATE:
      return doubles_identical (a->number, b->number)
          && a->timezone_min == b->timezone_min;
    case RTMP_AMF_TYPE_STRING:
    case RTMP_AMF_TYPE_XML_DOCUMENT:
    case RTMP_AMF_TYPE_XML:
    case RTMP_AMF_TYPE_BYTE_ARRAY:
      return bytes_equal (a->data, a->len, b->data, b->len);
    default:
      break;
  }

  /* containers */
  if (a->flag != b->flag || a->n_sealed != b->n_sealed
      || a->is_dynamic != b->is_dynamic
      || !bytes_equal (a->class_name, a->class_name_len, b->class_name,
          b->class_name_len))
    return FALSE;

  n_a = a->fields ? a->fields->len : 0;
  n_b = b->fields ? b->fields->len : 0;
  if (n_a != n_b)
    return FALSE;
  for (i = 0; i < n_a; i++) {
    const Field *fa = &g_array_index (a->fields, Field, i);
    const Field *fb = &g_array_index (b->fields, Field, i);

    if (!bytes_equal (fa->name, fa->name_len, fb->name, fb->name_len)
        || !rtmp_amf_value_equal (fa->value, fb->value))
      return FALSE;
  }

  n_a = a->items ? a->items->len : 0;
  n_b = b->items ? b->items->len : 0;
  if (n_a != n_b)
    return FALSE;
  for (i = 0; i < n_a; i++) {
    if (!rtmp_amf_value_equal (a->items->pdata[i], b->items->pdata[i]))
      return FALSE;
  }
  return TRUE;
}

RtmpAmfType
rtmp_amf_value_get_type (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, RTMP_AMF_TYPE_UNDEFINED);

  return value->type;
}

const gchar *
rtmp_amf_type_get_name (RtmpAmfType type)
{
  switch (type) {
    case RTMP_AMF_TYPE_UNDEFINED:
      return "undefined";
    case RTMP_AMF_TYPE_NULL:
      return "null";
    case RTMP_AMF_TYPE_BOOLEAN:
      return "boolean";
    case RTMP_AMF_TYPE_NUMBER:
      return "number";
    case RTMP_AMF_TYPE_INTEGER:
      return "integer";
    case RTMP_AMF_TYPE_STRING:
      return "string";
    case RTMP_AMF_TYPE_OBJECT:
      return "object";
    case RTMP_AMF_TYPE_ECMA_ARRAY:
      return "ecma-array";
    case RTMP_AMF_TYPE_STRICT_ARRAY:
      return "strict-array";
    case RTMP_AMF_TYPE_ARRAY:
      return "array";
    case RTMP_AMF_TYPE_DATE:
      return "date";
    case RTMP_AMF_TYPE_XML_DOCUMENT:
      return "xml-document";
    case RTMP_AMF_TYPE_XML:
      return "xml";
    case RTMP_AMF_TYPE_BYTE_ARRAY:
      return "byte-array";
    case RTMP_AMF_TYPE_VECTOR_INT:
      return "vector-int";
    case RTMP_AMF_TYPE_VECTOR_UINT:
      return "vector-uint";
    case RTMP_AMF_TYPE_VECTOR_DOUBLE:
      return "vector-double";
    case RTMP_AMF_TYPE_VECTOR_OBJECT:
      return "vector-object";
    case RTMP_AMF_TYPE_DICTIONARY:
      return "dictionary";
  }
  return "unknown";
}

gboolean
rtmp_amf_type_is_container (RtmpAmfType type)
{
  switch (type) {
    case RTMP_AMF_TYPE_OBJECT:
    case RTMP_AMF_TYPE_ECMA_ARRAY:
    case RTMP_AMF_TYPE_STRICT_ARRAY:
    case RTMP_AMF_TYPE_ARRAY:
    case RTMP_AMF_TYPE_VECTOR_INT:
    case RTMP_AMF_TYPE_VECTOR_UINT:
    case RTMP_AMF_TYPE_VECTOR_DOUBLE:
    case RTMP_AMF_TYPE_VECTOR_OBJECT:
    case RTMP_AMF_TYPE_DICTIONARY:
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean
rtmp_amf_value_get_boolean (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (value->type == RTMP_AMF_TYPE_BOOLEAN, FALSE);

  return value->flag;
}

gdouble
rtmp_amf_value_get_number (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, 0.0);
  g_return_val_if_fail (value->type == RTMP_AMF_TYPE_NUMBER, 0.0);

  return value->number;
}

gint32
rtmp_amf_value_get_integer (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, 0);
  g_return_val_if_fail (value->type == RTMP_AMF_TYPE_INTEGER, 0);

  return value->integer;
}

const gchar *
rtmp_amf_value_peek_string (const RtmpAmfValue *value, gsize *len)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->type == RTMP_AMF_TYPE_STRING
          || value->type == RTMP_AMF_TYPE_XML_DOCUMENT
          || value->type == RTMP_AMF_TYPE_XML,
      NULL);

  if (len != NULL)
    *len = value->len;
  return value->data;
}

const guint8 *
rtmp_amf_value_peek_bytes (const RtmpAmfValue *value, gsize *len)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->type == RTMP_AMF_TYPE_BYTE_ARRAY, NULL);

  if (len != NULL)
    *len = value->len;
  return (const guint8 *) value->data;
}

gdouble
rtmp_amf_value_get_date (const RtmpAmfValue *value, gint16 *timezone_min)
{
  g_return_val_if_fail (value != NULL, 0.0);
  g_return_val_if_fail (value->type == RTMP_AMF_TYPE_DATE, 0.0);

  if (timezone_min != NULL)
    *timezone_min = value->timezone_min;
  return value->number;
}

const gchar *
rtmp_amf_value_peek_class_name (const RtmpAmfValue *value)
{
  return rtmp_amf_value_peek_class_name_len (value, NULL);
}

const gchar *
rtmp_amf_value_peek_class_name_len (const RtmpAmfValue *value, gsize *len)
{
  g_return_val_if_fail (value != NULL, NULL);

  if (len != NULL)
    *len = value->class_name_len;
  return value->class_name;
}

void
rtmp_amf_value_set_class_name (RtmpAmfValue *value, const gchar *name,
    gssize len)
{
  g_return_if_fail (value != NULL);
  g_return_if_fail (value->type == RTMP_AMF_TYPE_OBJECT
      || value->type == RTMP_AMF_TYPE_VECTOR_OBJECT);

  g_clear_pointer (&value->class_name, g_free);
  value->class_name_len = 0;
  if (name == NULL)
    return;
  if (len < 0)
    len = strlen (name);
  value->class_name = g_malloc (len + 1);
  memcpy (value->class_name, name, len);
  value->class_name[len] = '\0';
  value->class_name_len = len;
}

gboolean
rtmp_amf_value_to_number (const RtmpAmfValue *value, gdouble *number)
{
  if (value == NULL)
    return FALSE;
  if (value->type == RTMP_AMF_TYPE_NUMBER) {
    *number = value->number;
    return TRUE;
  }
  if (value->type == RTMP_AMF_TYPE_INTEGER) {
    *number = value->integer;
    return TRUE;
  }
  return FALSE;
}

static gboolean
has_fields (const RtmpAmfValue *value)
{
  return value->type == RTMP_AMF_TYPE_OBJECT
      || value->type == RTMP_AMF_TYPE_ECMA_ARRAY
      || value->type == RTMP_AMF_TYPE_ARRAY;
}

static gboolean
has_items (const RtmpAmfValue *value)
{
  return value->type == RTMP_AMF_TYPE_STRICT_ARRAY
      || value->type == RTMP_AMF_TYPE_ARRAY || is_vector (value->type)
      || value->type == RTMP_AMF_TYPE_DICTIONARY;
}

guint
rtmp_amf_value_get_n_fields (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, 0);

  return value->fields ? value->fields->len : 0;
}

const RtmpAmfValue *
rtmp_amf_value_peek_field_at_len (const RtmpAmfValue *value, guint index,
    const gchar **name, gsize *name_len)
{
  const Field *field;

  g_return_val_if_fail (value != NULL, NULL);

  if (value->fields == NULL || index >= value->fields->len)
    return NULL;
  field = &g_array_index (value->fields, Field, index);
  if (name != NULL)
    *name = field->name;
  if (name_len != NULL)
    *name_len = field->name_len;
  return field->value;
}

const RtmpAmfValue *
rtmp_amf_value_peek_field_at (const RtmpAmfValue *value, guint index,
    const gchar **name)
{
  return rtmp_amf_value_peek_field_at_len (value, index, name, NULL);
}

static gint
find_field (const RtmpAmfValue *value, const gchar *name)
{
  gsize name_len = strlen (name);
  guint i;

  if (value->fields == NULL)
    return -1;
  /* linear: field lists are short (commands), and a long ECMA array is
   * scanned once per lookup, never once per field */
  for (i = 0; i < value->fields->len; i++) {
    const Field *field = &g_array_index (value->fields, Field, i);

    if (field->name_len == name_len
        && memcmp (field->name, name, name_len) == 0)
      return i;
  }
  return -1;
}

const RtmpAmfValue *
rtmp_amf_value_peek_field (const RtmpAmfValue *value, const gchar *name)
{
  gint i;

  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  i = find_field (value, name);
  return i < 0 ? NULL : g_array_index (value->fields, Field, i).value;
}

void
rtmp_amf_value_append_field (RtmpAmfValue *value, const gchar *name,
    gsize name_len, RtmpAmfValue *field)
{
  Field f;

  g_return_if_fail (value != NULL);
  g_return_if_fail (has_fields (value));
  g_return_if_fail (name != NULL || name_len == 0);
  g_return_if_fail (field != NULL);

  f.name = g_malloc (name_len + 1);
  if (name_len > 0)
    memcpy (f.name, name, name_len);
  f.name[name_len] = '\0';
  f.name_len = name_len;
  f.value = field;
  g_array_append_val (ensure_fields (value), f);
}

void
rtmp_amf_value_take_field (RtmpAmfValue *value, const gchar *name,
    RtmpAmfValue *field)
{
  gint i;

  g_return_if_fail (value != NULL);
  g_return_if_fail (has_fields (value));
  g_return_if_fail (name != NULL);
  g_return_if_fail (field != NULL);

  i = find_field (value, name);
  if (i >= 0) {
    Field *f = &g_array_index (value->fields, Field, i);

    rtmp_amf_value_free (f->value);
    f->value = field;
    return;
  }
  rtmp_amf_value_append_field (value, name, strlen (name), field);
}

void
rtmp_amf_value_set_string_field (RtmpAmfValue *value, const gchar *name,
    const gchar *string)
{
  rtmp_amf_value_take_field (value, name, rtmp_amf_value_new_string (string));
}

void
rtmp_amf_value_set_number_field (RtmpAmfValue *value, const gchar *name,
    gdouble number)
{
  rtmp_amf_value_take_field (value, name, rtmp_amf_value_new_number (number));
}

void
rtmp_amf_value_set_boolean_field (RtmpAmfValue *value, const gchar *name,
    gboolean boolean)
{
  rtmp_amf_value_take_field (value, name, rtmp_amf_value_new_boolean (boolean));
}

const gchar *
rtmp_amf_value_lookup_string (const RtmpAmfValue *value, const gchar *name)
{
  const RtmpAmfValue *field;

  if (value == NULL || !has_fields (value))
    return NULL;
  field = rtmp_amf_value_peek_field (value, name);
  if (field == NULL || field->type != RTMP_AMF_TYPE_STRING)
    return NULL;
  return field->data;
}

gboolean
rtmp_amf_value_lookup_number (const RtmpAmfValue *value, const gchar *name,
    gdouble *number)
{
  if (value == NULL || !has_fields (value))
    return FALSE;
  return rtmp_amf_value_to_number (rtmp_amf_value_peek_field (value, name),
      number);
}

gboolean
rtmp_amf_value_lookup_boolean (const RtmpAmfValue *value, const gchar *name,
    gboolean *boolean)
{
  const RtmpAmfValue *field;

  if (value == NULL || !has_fields (value))
    return FALSE;
  field = rtmp_amf_value_peek_field (value, name);
  if (field == NULL || field->type != RTMP_AMF_TYPE_BOOLEAN)
    return FALSE;
  *boolean = field->flag;
  return TRUE;
}

guint
rtmp_amf_value_get_n_items (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, 0);

  return value->items ? value->items->len : 0;
}

const RtmpAmfValue *
rtmp_amf_value_peek_item (const RtmpAmfValue *value, guint index)
{
  g_return_val_if_fail (value != NULL, NULL);

  if (value->items == NULL || index >= value->items->len)
    return NULL;
  return value->items->pdata[index];
}

void
rtmp_amf_value_take_item (RtmpAmfValue *value, RtmpAmfValue *item)
{
  g_return_if_fail (value != NULL);
  g_return_if_fail (has_items (value));
  g_return_if_fail (item != NULL);

  g_ptr_array_add (ensure_items (value), item);
}

void
rtmp_amf_value_set_traits (RtmpAmfValue *value, guint n_sealed,
    gboolean is_dynamic)
{
  g_return_if_fail (value != NULL);
  g_return_if_fail (value->type == RTMP_AMF_TYPE_OBJECT);

  value->n_sealed = n_sealed;
  value->is_dynamic = !!is_dynamic;
}

guint
rtmp_amf_value_get_n_sealed (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, 0);

  return value->type == RTMP_AMF_TYPE_OBJECT ? value->n_sealed : 0;
}

gboolean
rtmp_amf_value_is_dynamic (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, FALSE);

  return value->type == RTMP_AMF_TYPE_OBJECT ? value->is_dynamic : FALSE;
}

gboolean
rtmp_amf_value_get_flag (const RtmpAmfValue *value)
{
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (is_vector (value->type)
          || value->type == RTMP_AMF_TYPE_DICTIONARY,
      FALSE);

  return value->flag;
}

/* --- dump --- */

typedef struct
{
  GString *out;
  gsize start;
  gsize max_len; /* 0: no bound */
  gboolean full;
} Dump;

/* TRUE once the bound is reached: callers stop walking the tree. */
static gboolean
dump_full (Dump *d)
{
  if (d->full)
    return TRUE;
  if (d->max_len > 0 && d->out->len - d->start > d->max_len) {
    gsize cut = d->start + d->max_len;

    /* do not leave half a UTF-8 sequence before the ellipsis */
    while (cut > d->start && ((guint8) d->out->str[cut] & 0xC0) == 0x80)
      cut--;
    g_string_truncate (d->out, cut);
    g_string_append (d->out, "...");
    d->full = TRUE;
  }
  return d->full;
}

/* Appenders that do nothing once the bound was reached */
static void
put (Dump *d, const gchar *s)
{
  if (!d->full)
    g_string_append (d->out, s);
}

static void
put_len (Dump *d, const gchar *s, gsize len)
{
  if (!d->full)
    g_string_append_len (d->out, s, len);
}

static void
put_c (Dump *d, gchar c)
{
  if (!d->full)
    g_string_append_c (d->out, c);
}

static void G_GNUC_PRINTF (2, 3) put_printf (Dump *d, const gchar *format, ...)
{
  va_list args;

  if (d->full)
    return;
  va_start (args, format);
  g_string_append_vprintf (d->out, format, args);
  va_end (args);
}

static void
dump_quoted (Dump *d, const gchar *data, gsize len)
{
  gsize i;

  put_c (d, '"');
  for (i = 0; i < len; i++) {
    guint8 c = data[i];

    /* check the bound now and then so a huge string is not copied whole */
    if ((i & 255) == 255 && dump_full (d))
      return;
    switch (c) {
      case '"':
        put (d, "\\\"");
        break;
      case '\\':
        put (d, "\\\\");
        break;
      case '\n':
        put (d, "\\n");
        break;
      case '\r':
        put (d, "\\r");
        break;
      case '\t':
        put (d, "\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F)
          put_printf (d, "\\x%02x", c);
        else
          put_c (d, c);
        break;
    }
  }
  put_c (d, '"');
}

static void
dump_name (Dump *d, const gchar *name, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++) {
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '$'
        && name[i] != '@' && name[i] != '.' && name[i] != '-')
      break;
  }
  if (len > 0 && i == len)
    put_len (d, name, len);
  else
    dump_quoted (d, name, len);
}

static void
dump_number (Dump *d, gdouble number)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* range first: casting a double out of gint64's range is undefined */
  if (number > -1e15 && number < 1e15 && number == (gdouble) (gint64) number
      && !(number == 0 && signbit (number)))
    put_printf (d, "%" G_GINT64_FORMAT, (gint64) number);
  else {
    /* the shortest of %.15g and %.17g that reads back the same */
    g_ascii_formatd (buf, sizeof (buf), "%.15g", number);
    if (g_ascii_strtod (buf, NULL) != number)
      g_ascii_formatd (buf, sizeof (buf), "%.17g", number);
    put (d, buf);
  }
}

static void dump_value (Dump *d, const RtmpAmfValue *value);

static void
dump_fields (Dump *d, const RtmpAmfValue *value, gboolean first)
{
  guint i;

  for (i = 0; value->fields != NULL && i < value->fields->len; i++) {
    const Field *field = &g_array_index (value->fields, Field, i);

    if (dump_full (d))
      return;
    if (!first)
      put (d, ", ");
    first = FALSE;
    dump_name (d, field->name, field->name_len);
    put (d, ": ");
    dump_value (d, field->value);
  }
}

static void
dump_items (Dump *d, const RtmpAmfValue *value, const gchar *separator,
    guint every)
{
  guint i;

  for (i = 0; value->items != NULL && i < value->items->len; i++) {
    if (dump_full (d))
      return;
    if (i > 0)
      put (d, i % every == 0 ? ", " : separator);
    dump_value (d, value->items->pdata[i]);
  }
}

static void
dump_value (Dump *d, const RtmpAmfValue *value)
{
  if (dump_full (d))
    return;

  switch (value->type) {
    case RTMP_AMF_TYPE_UNDEFINED:
      put (d, "undefined");
      break;
    case RTMP_AMF_TYPE_NULL:
      put (d, "null");
      break;
    case RTMP_AMF_TYPE_BOOLEAN:
      put (d, value->flag ? "true" : "false");
      break;
    case RTMP_AMF_TYPE_NUMBER:
      dump_number (d, value->number);
      break;
    case RTMP_AMF_TYPE_INTEGER:
      put_printf (d, "%" G_GINT32_FORMAT, value->integer);
      break;
    case RTMP_AMF_TYPE_STRING:
      dump_quoted (d, value->data, value->len);
      break;
    case RTMP_AMF_TYPE_XML_DOCUMENT:
      put (d, "XMLDocument(");
      dump_quoted (d, value->data, value->len);
      put_c (d, ')');
      break;
    case RTMP_AMF_TYPE_XML:
      put (d, "XML(");
      dump_quoted (d, value->data, value->len);
      put_c (d, ')');
      break;
    case RTMP_AMF_TYPE_BYTE_ARRAY:
      put_printf (d, "ByteArray(%" G_GSIZE_FORMAT " bytes)", value->len);
      break;
    case RTMP_AMF_TYPE_DATE:
      put (d, "Date(");
      dump_number (d, value->number);
      if (value->timezone_min != 0)
        put_printf (d, ", tz %d", value->timezone_min);
      put_c (d, ')');
      break;
    case RTMP_AMF_TYPE_OBJECT:
      if (value->class_name != NULL) {
        dump_name (d, value->class_name, value->class_name_len);
        put_c (d, ' ');
      }
      put_c (d, '{');
      dump_fields (d, value, TRUE);
      put_c (d, '}');
      break;
    case RTMP_AMF_TYPE_ECMA_ARRAY:
      put_c (d, '{');
      dump_fields (d, value, TRUE);
      put_c (d, '}');
      break;
    case RTMP_AMF_TYPE_STRICT_ARRAY:
      put_c (d, '[');
      dump_items (d, value, ", ", 1);
      put_c (d, ']');
      break;
    case RTMP_AMF_TYPE_ARRAY:
      put_c (d, '[');
      dump_items (d, value, ", ", 1);
      dump_fields (d, value, value->items == NULL || value->items->len == 0);
      put_c (d, ']');
      break;
    case RTMP_AMF_TYPE_VECTOR_INT:
    case RTMP_AMF_TYPE_VECTOR_UINT:
    case RTMP_AMF_TYPE_VECTOR_DOUBLE:
    case RTMP_AMF_TYPE_VECTOR_OBJECT:
      put (d, "Vector.<");
      if (value->type == RTMP_AMF_TYPE_VECTOR_INT)
        put (d, "int");
      else if (value->type == RTMP_AMF_TYPE_VECTOR_UINT)
        put (d, "uint");
      else if (value->type == RTMP_AMF_TYPE_VECTOR_DOUBLE)
        put (d, "Number");
      else if (value->class_name != NULL)
        dump_name (d, value->class_name, value->class_name_len);
      else
        put (d, "*");
      put (d, value->flag ? ">(fixed)[" : ">[");
      dump_items (d, value, ", ", 1);
      put_c (d, ']');
      break;
    case RTMP_AMF_TYPE_DICTIONARY:
      put (d, value->flag ? "Dictionary(weak){" : "Dictionary{");
      dump_items (d, value, " => ", 2);
      put_c (d, '}');
      break;
  }
}

void
rtmp_amf_value_dump (const RtmpAmfValue *value, GString *out, gsize max_len)
{
  Dump d = { out, out->len, max_len, FALSE };

  g_return_if_fail (value != NULL);
  g_return_if_fail (out != NULL);

  dump_value (&d, value);
  dump_full (&d);
}

gchar *
rtmp_amf_value_dump_to_string (const RtmpAmfValue *value, gsize max_len)
{
  GString *out = g_string_new (NULL);

  rtmp_amf_value_dump (value, out, max_len);
  return g_string_free (out, FALSE);
}

/* --- decoder accounting --- */

void
rtmp_amf_budget_init (RtmpAmfBudget *budget, const gchar *codec,
    const RtmpLimits *limits)
{
  RtmpLimits defaults;

  if (limits == NULL) {
    rtmp_limits_init_default (&defaults);
    limits = &defaults;
  }
  memset (budget, 0, sizeof (*budget));
  budget->codec = codec;
  budget->max_depth = limits->amf_max_depth;
  budget->max_elements = limits->amf_max_elements;
  budget->max_references = limits->amf_max_references;
  budget->max_bytes = limits->amf_max_bytes;
}

gboolean
rtmp_amf_budget_charge (RtmpAmfBudget *budget, guint n_elements, gsize n_bytes,
    gsize offset, GError **error)
{
  if (n_elements
      > budget->max_elements - MIN (budget->n_elements, budget->max_elements)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "%s at offset %" G_GSIZE_FORMAT ": %" G_GUINT64_FORMAT
        " decoded values exceed the limit of %u",
        budget->codec, offset, (guint64) budget->n_elements + n_elements,
        budget->max_elements);
    return FALSE;
  }
  if (n_bytes > budget->max_bytes - MIN (budget->n_bytes, budget->max_bytes)) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "%s at offset %" G_GSIZE_FORMAT ": %" G_GUINT64_FORMAT
        " decoded bytes exceed the limit of %" G_GSIZE_FORMAT,
        budget->codec, offset, (guint64) budget->n_bytes + n_bytes,
        budget->max_bytes);
    return FALSE;
  }
  budget->n_elements += n_elements;
  budget->n_bytes += n_bytes;
  return TRUE;
}

gboolean
rtmp_amf_budget_check_depth (RtmpAmfBudget *budget, guint depth, gsize offset,
    GError **error)
{
  if (depth > budget->max_depth) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "%s at offset %" G_GSIZE_FORMAT ": nesting depth %u exceeds the "
        "limit of %u",
        budget->codec, offset, depth, budget->max_depth);
    return FALSE;
  }
  return TRUE;
}

gboolean
rtmp_amf_budget_check_table (RtmpAmfBudget *budget, const gchar *table,
    guint n_entries, gsize offset, GError **error)
{
  if (n_entries >= budget->max_references) {
    g_set_error (error, RTMP_ERROR, RTMP_ERROR_LIMIT,
        "%s at offset %" G_GSIZE_FORMAT ": %s reference table would hold "
        "%u entries, more than the limit of %u",
        budget->codec, offset, table, n_entries + 1, budget->max_references);
    return FALSE;
  }
  return TRUE;
}
