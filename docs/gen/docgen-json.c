/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal JSON tree for rtmp-docgen, written as Python's json.dump
 * (sort_keys=True, indent=4) writes GStreamer's plugin caches. */

#include "docgen.h"

#include <string.h>

static gint
compare_keys (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (a, b);
}

DocJson *
doc_json_object_new (void)
{
  DocJson *node = g_new0 (DocJson, 1);

  node->kind = DOC_JSON_OBJECT;
  node->members = g_tree_new_full (compare_keys, NULL, g_free, doc_json_free);
  return node;
}

DocJson *
doc_json_array_new (void)
{
  DocJson *node = g_new0 (DocJson, 1);

  node->kind = DOC_JSON_ARRAY;
  node->items = g_ptr_array_new_with_free_func (doc_json_free);
  return node;
}

DocJson *
doc_json_string_new (const gchar *value)
{
  DocJson *node = g_new0 (DocJson, 1);

  node->kind = DOC_JSON_STRING;
  node->string = g_strdup (value);
  return node;
}

DocJson *
doc_json_boolean_new (gboolean value)
{
  DocJson *node = g_new0 (DocJson, 1);

  node->kind = DOC_JSON_BOOLEAN;
  node->boolean = value;
  return node;
}

void
doc_json_free (gpointer data)
{
  DocJson *node = data;

  if (node == NULL)
    return;
  if (node->members)
    g_tree_destroy (node->members);
  if (node->items)
    g_ptr_array_unref (node->items);
  g_free (node->string);
  g_free (node);
}

/* Takes @value */
void
doc_json_take (DocJson *object, const gchar *key, DocJson *value)
{
  g_tree_replace (object->members, g_strdup (key), value);
}

void
doc_json_set_string (DocJson *object, const gchar *key, const gchar *value)
{
  doc_json_take (object, key, doc_json_string_new (value));
}

void
doc_json_set_boolean (DocJson *object, const gchar *key, gboolean value)
{
  doc_json_take (object, key, doc_json_boolean_new (value));
}

DocJson *
doc_json_lookup (DocJson *object, const gchar *key)
{
  return g_tree_lookup (object->members, key);
}

static void
write_json_string (GString *out, const gchar *s)
{
  g_string_append_c (out, '"');
  for (; *s; s++) {
    guchar c = (guchar) *s;

    switch (c) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '\b':
        g_string_append (out, "\\b");
        break;
      case '\f':
        g_string_append (out, "\\f");
        break;
      default:
        if (c < 0x20)
          g_string_append_printf (out, "\\u%04x", c);
        else
          g_string_append_c (out, (gchar) c);
        break;
    }
  }
  g_string_append_c (out, '"');
}

typedef struct
{
  GString *out;
  guint indent;
  guint index;
  guint count;
} WriteMembers;

static gboolean
write_member (gpointer key, gpointer value, gpointer user_data)
{
  WriteMembers *w = user_data;

  g_string_append_printf (w->out, "%*s", w->indent + 4, "");
  write_json_string (w->out, key);
  g_string_append (w->out, ": ");
  doc_json_write (w->out, value, w->indent + 4);
  g_string_append (w->out, ++w->index < w->count ? ",\n" : "\n");
  return FALSE;
}

/* Python's json.dump (indent=4): "key": value, one per line */
void
doc_json_write (GString *out, const DocJson *node, guint indent)
{
  guint i;

  switch (node->kind) {
    case DOC_JSON_STRING:
      write_json_string (out, node->string ? node->string : "");
      break;
    case DOC_JSON_BOOLEAN:
      g_string_append (out, node->boolean ? "true" : "false");
      break;
    case DOC_JSON_OBJECT: {
      WriteMembers w = { out, indent, 0, g_tree_nnodes (node->members) };

      if (w.count == 0) {
        g_string_append (out, "{}");
        break;
      }
      g_string_append (out, "{\n");
      g_tree_foreach (node->members, write_member, &w);
      g_string_append_printf (out, "%*s}", indent, "");
      break;
    }
    case DOC_JSON_ARRAY:
      if (node->items->len == 0) {
        g_string_append (out, "[]");
        break;
      }
      g_string_append (out, "[\n");
      for (i = 0; i < node->items->len; i++) {
        g_string_append_printf (out, "%*s", indent + 4, "");
        doc_json_write (out, node->items->pdata[i], indent + 4);
        g_string_append (out, i + 1 < node->items->len ? ",\n" : "\n");
      }
      g_string_append_printf (out, "%*s]", indent, "");
      break;
  }
}
