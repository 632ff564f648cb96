/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmp-docgen: the plugin cache (docs/plugins/gst_plugins_cache.json) in
 * the shape of GStreamer's own, and values written as its hotdoc scanner
 * (gst-hotdoc-plugins-scanner) writes them. */

#include "docgen.h"

#include <string.h>

gint
docgen_compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

/* The scanner doubles '%' in the strings it takes from the plugin (hotdoc
 * would read "%NAME" as a constant reference) and writes "NULL" for a NULL
 * string; the cache keeps both. */
gchar *
docgen_hotdoc_string (const gchar *s)
{
  GString *out;

  if (s == NULL)
    return g_strdup ("NULL");
  out = g_string_new (NULL);
  for (; *s; s++) {
    if (*s == '%')
      g_string_append_c (out, '%');
    g_string_append_c (out, *s);
  }
  return g_string_free (out, FALSE);
}

void
doc_json_set_hotdoc (DocJson *object, const gchar *key, const gchar *value)
{
  gchar *escaped = docgen_hotdoc_string (value);

  doc_json_set_string (object, key, escaped);
  g_free (escaped);
}

/* "none", "primary", or the nearest named rank with the offset:
 * "primary + 2" */
gchar *
docgen_rank_name (guint rank)
{
  static const struct
  {
    gint rank;
    const gchar *name;
  } ranks[] = {
    { GST_RANK_NONE, "none" },
    { GST_RANK_MARGINAL, "marginal" },
    { GST_RANK_SECONDARY, "secondary" },
    { GST_RANK_PRIMARY, "primary" },
  };
  guint i, best = 0;

  for (i = 0; i < G_N_ELEMENTS (ranks); i++) {
    if ((gint) rank == ranks[i].rank)
      return g_strdup (ranks[i].name);
    if (ABS ((gint) rank - ranks[i].rank)
        < ABS ((gint) rank - ranks[best].rank))
      best = i;
  }
  return g_strdup_printf ("%s %c %d", ranks[best].name,
      (gint) rank > ranks[best].rank ? '+' : '-',
      ABS ((gint) rank - ranks[best].rank));
}

/* A flags value as its nick when one value matches exactly, else the nicks
 * of the set values from the highest down joined with '+' */
static gchar *
flags_to_string (GType type, guint flags)
{
  GFlagsClass *klass = g_type_class_ref (type);
  GString *s = g_string_new (NULL);
  guint left = flags;
  gint i;

  for (i = 0; i < (gint) klass->n_values; i++) {
    if (klass->values[i].value == flags) {
      g_string_assign (s, klass->values[i].value_nick);
      g_type_class_unref (klass);
      return g_string_free (s, FALSE);
    }
  }
  for (i = (gint) klass->n_values - 1; i >= 0 && left != 0; i--) {
    guint v = klass->values[i].value;

    if (v != 0 && (left & v) == v) {
      if (s->len > 0)
        g_string_append_c (s, '+');
      g_string_append (s, klass->values[i].value_nick);
      left &= ~v;
    }
  }
  if (s->len == 0)
    g_string_assign (s, "(none)");
  g_type_class_unref (klass);
  return g_string_free (s, FALSE);
}

static gchar *
enum_to_string (GType type, gint value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);
  gchar *s = g_strdup_printf ("%s (%d)", v ? v->value_nick : "", value);

  g_type_class_unref (klass);
  return s;
}

/* The property's value on a fresh instance (or its default when it cannot
 * be read) */
void
docgen_property_value (GObject *instance, GParamSpec *spec, GValue *value)
{
  g_value_init (value, spec->value_type);
  if (instance != NULL && (spec->flags & G_PARAM_READABLE)
      && !(spec->flags & GST_PARAM_DOC_SHOW_DEFAULT))
    g_object_get_property (instance, spec->name, value);
  else
    g_param_value_set_default (spec, value);
}

/* The "default", "min" and "max" strings of the cache (NULL when the
 * scanner writes none). Unlike gst-hotdoc-plugins-scanner, unsigned and
 * 64-bit signed values are printed with their own signedness. */
void
docgen_format_value (GParamSpec *spec, const GValue *value, gchar **def,
    gchar **min, gchar **max)
{
  *def = *min = *max = NULL;

  switch (G_VALUE_TYPE (value)) {
    case G_TYPE_STRING:
      *def = docgen_hotdoc_string (g_value_get_string (value));
      return;
    case G_TYPE_BOOLEAN:
      *def = g_strdup (g_value_get_boolean (value) ? "true" : "false");
      return;
    case G_TYPE_INT: {
      GParamSpecInt *p = G_PARAM_SPEC_INT (spec);

      *def = g_strdup_printf ("%d", g_value_get_int (value));
      *min = g_strdup_printf ("%d", p->minimum);
      *max = g_strdup_printf ("%d", p->maximum);
      return;
    }
    case G_TYPE_UINT: {
      GParamSpecUInt *p = G_PARAM_SPEC_UINT (spec);

      *def = g_strdup_printf ("%u", g_value_get_uint (value));
      *min = g_strdup_printf ("%u", p->minimum);
      *max = g_strdup_printf ("%u", p->maximum);
      return;
    }
    case G_TYPE_INT64: {
      GParamSpecInt64 *p = G_PARAM_SPEC_INT64 (spec);

      *def = g_strdup_printf ("%" G_GINT64_FORMAT, g_value_get_int64 (value));
      *min = g_strdup_printf ("%" G_GINT64_FORMAT, p->minimum);
      *max = g_strdup_printf ("%" G_GINT64_FORMAT, p->maximum);
      return;
    }
    case G_TYPE_UINT64: {
      GParamSpecUInt64 *p = G_PARAM_SPEC_UINT64 (spec);

      *def = g_strdup_printf ("%" G_GUINT64_FORMAT, g_value_get_uint64 (value));
      *min = g_strdup_printf ("%" G_GUINT64_FORMAT, p->minimum);
      *max = g_strdup_printf ("%" G_GUINT64_FORMAT, p->maximum);
      return;
    }
    case G_TYPE_LONG: {
      GParamSpecLong *p = G_PARAM_SPEC_LONG (spec);

      *def = g_strdup_printf ("%ld", g_value_get_long (value));
      *min = g_strdup_printf ("%ld", p->minimum);
      *max = g_strdup_printf ("%ld", p->maximum);
      return;
    }
    case G_TYPE_ULONG: {
      GParamSpecULong *p = G_PARAM_SPEC_ULONG (spec);

      *def = g_strdup_printf ("%lu", g_value_get_ulong (value));
      *min = g_strdup_printf ("%lu", p->minimum);
      *max = g_strdup_printf ("%lu", p->maximum);
      return;
    }
    case G_TYPE_FLOAT: {
      GParamSpecFloat *p = G_PARAM_SPEC_FLOAT (spec);

      *def = g_strdup_printf ("%g", g_value_get_float (value));
      *min = g_strdup_printf ("%g", p->minimum);
      *max = g_strdup_printf ("%g", p->maximum);
      return;
    }
    case G_TYPE_DOUBLE: {
      GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE (spec);

      *def = g_strdup_printf ("%g", g_value_get_double (value));
      *min = g_strdup_printf ("%g", p->minimum);
      *max = g_strdup_printf ("%g", p->maximum);
      return;
    }
    default:
      break;
  }

  if (spec->value_type == GST_TYPE_CAPS) {
    const GstCaps *caps = gst_value_get_caps (value);

    if (caps) {
      gchar *s = gst_caps_to_string (caps);

      *def = docgen_hotdoc_string (s);
      g_free (s);
    }
  } else if (spec->value_type == GST_TYPE_STRUCTURE) {
    const GstStructure *s = gst_value_get_structure (value);

    if (s) {
      gchar *str = gst_structure_to_string (s);

      *def = docgen_hotdoc_string (str);
      g_free (str);
    }
  } else if (GST_IS_PARAM_SPEC_FRACTION (spec)) {
    GstParamSpecFraction *p = GST_PARAM_SPEC_FRACTION (spec);

    *def = g_strdup_printf ("%d/%d", gst_value_get_fraction_numerator (value),
        gst_value_get_fraction_denominator (value));
    *min = g_strdup_printf ("%d/%d", p->min_num, p->min_den);
    *max = g_strdup_printf ("%d/%d", p->max_num, p->max_den);
  } else if (G_IS_PARAM_SPEC_ENUM (spec)) {
    *def = enum_to_string (spec->value_type, g_value_get_enum (value));
  } else if (G_IS_PARAM_SPEC_FLAGS (spec)) {
    *def = flags_to_string (spec->value_type, g_value_get_flags (value));
  }
}

static const gchar *
mutable_name (GParamSpec *spec)
{
  if (spec->flags & GST_PARAM_MUTABLE_PLAYING)
    return "playing";
  if (spec->flags & GST_PARAM_MUTABLE_PAUSED)
    return "paused";
  if (spec->flags & GST_PARAM_MUTABLE_READY)
    return "ready";
  return "null";
}

/* --- the cache ("other-types", properties, signals, elements) --- */

static void add_object_details (DocgenCache *ctx, DocJson *node, GType type,
    GObject *instance);

static void
add_enum_type (DocgenCache *ctx, GType type, GstPluginAPIFlags api_flags)
{
  DocJson *node = doc_json_object_new ();
  GEnumClass *klass = g_type_class_ref (type);
  guint i;

  doc_json_set_string (node, "kind", "enum");
  if (api_flags & GST_PLUGIN_API_FLAG_IGNORE_ENUM_MEMBERS) {
    doc_json_set_boolean (node, "ignore-enum-members", TRUE);
  } else {
    DocJson *values = doc_json_array_new ();

    for (i = 0; i < klass->n_values; i++) {
      DocJson *v = doc_json_object_new ();
      gchar *number = g_strdup_printf ("%d", klass->values[i].value);

      doc_json_set_hotdoc (v, "desc", klass->values[i].value_name);
      doc_json_set_hotdoc (v, "name", klass->values[i].value_nick);
      doc_json_set_string (v, "value", number);
      g_ptr_array_add (values->items, v);
      g_free (number);
    }
    doc_json_take (node, "values", values);
  }
  g_type_class_unref (klass);
  doc_json_take (ctx->other_types, g_type_name (type), node);
}

static void
add_flags_type (DocgenCache *ctx, GType type)
{
  DocJson *node = doc_json_object_new ();
  DocJson *values = doc_json_array_new ();
  GFlagsClass *klass = g_type_class_ref (type);
  guint i;

  doc_json_set_string (node, "kind", "flags");
  for (i = 0; i < klass->n_values; i++) {
    DocJson *v = doc_json_object_new ();
    gchar *number = g_strdup_printf ("0x%08x", klass->values[i].value);

    doc_json_set_hotdoc (v, "desc", klass->values[i].value_name);
    doc_json_set_hotdoc (v, "name", klass->values[i].value_nick);
    doc_json_set_string (v, "value", number);
    g_ptr_array_add (values->items, v);
    g_free (number);
  }
  doc_json_take (node, "values", values);
  g_type_class_unref (klass);
  doc_json_take (ctx->other_types, g_type_name (type), node);
}

/* Adds @type to "other-types" when the plugin marked it as plugin API and
 * it is not there yet */
static void
add_other_type (DocgenCache *ctx, GType type, GObject *instance)
{
  GstPluginAPIFlags api_flags = 0;

  if (type == G_TYPE_NONE || g_type_name (type) == NULL)
    return;
  if (doc_json_lookup (ctx->other_types, g_type_name (type)) != NULL)
    return;
  if (!gst_type_is_plugin_api (type, &api_flags))
    return;

  if (g_type_is_a (type, G_TYPE_ENUM)) {
    add_enum_type (ctx, type, api_flags);
  } else if (g_type_is_a (type, G_TYPE_FLAGS)) {
    add_flags_type (ctx, type);
  } else if (g_type_is_a (type, G_TYPE_OBJECT) || G_TYPE_IS_INTERFACE (type)) {
    DocJson *node = doc_json_object_new ();

    /* reserve the name first: the object may refer to itself */
    doc_json_take (ctx->other_types, g_type_name (type), node);
    doc_json_set_string (node, "kind",
        G_TYPE_IS_INTERFACE (type) ? "interface" : "object");
    add_object_details (ctx, node, type, instance);
  }
}

static void
add_properties (DocgenCache *ctx, DocJson *node, GType type, GObject *instance)
{
  DocJson *properties = doc_json_object_new ();
  GObjectClass *klass;
  GParamSpec **specs;
  guint i, n;

  if (G_TYPE_IS_INTERFACE (type)) {
    gpointer iface = g_type_default_interface_ref (type);

    specs = g_object_interface_list_properties (iface, &n);
    g_type_default_interface_unref (iface);
  } else {
    klass = g_type_class_ref (type);
    specs = g_object_class_list_properties (klass, &n);
    g_type_class_unref (klass);
  }

  for (i = 0; i < n; i++) {
    GParamSpec *spec = specs[i];
    DocJson *p;
    GValue value = G_VALUE_INIT;
    gchar *def, *min, *max;

    /* like hotdoc: a type documents the properties it installs itself */
    if (spec->owner_type != type)
      continue;

    p = doc_json_object_new ();
    doc_json_set_hotdoc (p, "blurb", g_param_spec_get_blurb (spec));
    doc_json_set_boolean (p, "conditionally-available",
        (spec->flags & GST_PARAM_CONDITIONALLY_AVAILABLE) != 0);
    doc_json_set_boolean (p, "construct",
        (spec->flags & G_PARAM_CONSTRUCT) != 0);
    doc_json_set_boolean (p, "construct-only",
        (spec->flags & G_PARAM_CONSTRUCT_ONLY) != 0);
    doc_json_set_boolean (p, "controllable",
        (spec->flags & GST_PARAM_CONTROLLABLE) != 0);
    doc_json_set_string (p, "mutable", mutable_name (spec));
    doc_json_set_boolean (p, "readable", (spec->flags & G_PARAM_READABLE) != 0);
    doc_json_set_string (p, "type", g_type_name (spec->value_type));
    doc_json_set_boolean (p, "writable", (spec->flags & G_PARAM_WRITABLE) != 0);

    docgen_property_value (instance, spec, &value);
    docgen_format_value (spec, &value, &def, &min, &max);
    if (def)
      doc_json_set_string (p, "default", def);
    if (min)
      doc_json_set_string (p, "min", min);
    if (max)
      doc_json_set_string (p, "max", max);
    g_free (def);
    g_free (min);
    g_free (max);

    add_other_type (ctx, spec->value_type,
        G_VALUE_HOLDS_OBJECT (&value) ? g_value_get_object (&value) : NULL);
    g_value_unset (&value);
    doc_json_take (properties, spec->name, p);
  }
  g_free (specs);
  doc_json_take (node, "properties", properties);
}

static void
add_signals (DocgenCache *ctx, DocJson *node, GType type)
{
  DocJson *signals = doc_json_object_new ();
  guint *ids, n, i, j;

  ids = g_signal_list_ids (type, &n);
  for (i = 0; i < n; i++) {
    GSignalQuery query;
    DocJson *s = doc_json_object_new ();
    DocJson *args = doc_json_array_new ();

    g_signal_query (ids[i], &query);
    for (j = 0; j < query.n_params; j++) {
      GType arg_type = query.param_types[j] & ~G_SIGNAL_TYPE_STATIC_SCOPE;
      DocJson *arg = doc_json_object_new ();
      gchar *name = g_strdup_printf ("arg%u", j);

      doc_json_set_string (arg, "name", name);
      doc_json_set_string (arg, "type", g_type_name (arg_type));
      g_ptr_array_add (args->items, arg);
      add_other_type (ctx, arg_type, NULL);
      g_free (name);
    }
    doc_json_take (s, "args", args);
    doc_json_set_string (s, "return-type", g_type_name (query.return_type));
    add_other_type (ctx, query.return_type, NULL);
    if (query.signal_flags & G_SIGNAL_RUN_FIRST)
      doc_json_set_string (s, "when", "first");
    else if (query.signal_flags & G_SIGNAL_RUN_LAST)
      doc_json_set_string (s, "when", "last");
    else if (query.signal_flags & G_SIGNAL_RUN_CLEANUP)
      doc_json_set_string (s, "when", "cleanup");
    if (query.signal_flags & G_SIGNAL_NO_RECURSE)
      doc_json_set_boolean (s, "no-recurse", TRUE);
    if (query.signal_flags & G_SIGNAL_DETAILED)
      doc_json_set_boolean (s, "detailed", TRUE);
    if (query.signal_flags & G_SIGNAL_ACTION)
      doc_json_set_boolean (s, "action", TRUE);
    if (query.signal_flags & G_SIGNAL_NO_HOOKS)
      doc_json_set_boolean (s, "no-hooks", TRUE);
    doc_json_take (signals, query.signal_name, s);
  }
  g_free (ids);
  if (g_tree_nnodes (signals->members) > 0)
    doc_json_take (node, "signals", signals);
  else
    doc_json_free (signals);
}

static void
add_object_details (DocgenCache *ctx, DocJson *node, GType type,
    GObject *instance)
{
  DocJson *hierarchy = doc_json_array_new ();
  GType t;
  GType *interfaces;
  guint n_interfaces, i;

  for (t = type; t != 0; t = g_type_parent (t)) {
    g_ptr_array_add (hierarchy->items, doc_json_string_new (g_type_name (t)));
    if (t != type)
      add_other_type (ctx, t, instance);
  }
  doc_json_take (node, "hierarchy", hierarchy);

  interfaces = g_type_interfaces (type, &n_interfaces);
  if (n_interfaces > 0) {
    DocJson *list = doc_json_array_new ();

    for (i = 0; i < n_interfaces; i++) {
      g_ptr_array_add (list->items,
          doc_json_string_new (g_type_name (interfaces[i])));
      add_other_type (ctx, interfaces[i], instance);
    }
    doc_json_take (node, "interfaces", list);
  }
  g_free (interfaces);

  add_properties (ctx, node, type,
      instance && G_TYPE_CHECK_INSTANCE_TYPE (instance, type) ? instance
                                                              : NULL);
  add_signals (ctx, node, type);
}

/* "%15s: %s\n" per field, as the scanner lays caps out */
static gboolean
append_caps_field (GQuark field, const GValue *value, gpointer user_data)
{
  GString *out = user_data;
  const gchar *name = g_quark_to_string (field);
  gchar *s = gst_value_serialize (value);

  if (g_strcmp0 (name, "format") == 0 || g_strcmp0 (name, "rate") == 0) {
    GRegex *re = g_regex_new ("\\(string\\)|\\(rate\\)", 0, 0, NULL);
    gchar *clean = g_regex_replace (re, s, -1, 0, "", 0, NULL);

    g_regex_unref (re);
    g_free (s);
    s = clean;
  }
  g_string_append_printf (out, "%15s: %s\n", name, s);
  g_free (s);
  return TRUE;
}

gchar *
docgen_caps_to_string (const GstCaps *caps)
{
  GString *out = g_string_new (NULL);
  guint i;

  if (gst_caps_is_any (caps))
    return g_string_free (g_string_assign (out, "ANY"), FALSE);
  if (gst_caps_is_empty (caps))
    return g_string_free (g_string_assign (out, "EMPTY"), FALSE);

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (caps, i);

    if (f
        && (gst_caps_features_is_any (f)
            || !gst_caps_features_is_equal (f,
                GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY))) {
      gchar *fs = gst_caps_features_to_string (f);

      g_string_append_printf (out, "%s%s(%s):\n", i ? "\n" : "",
          gst_structure_get_name (s), fs);
      g_free (fs);
    } else {
      g_string_append_printf (out, "%s:\n", gst_structure_get_name (s));
    }
    gst_structure_foreach (s, append_caps_field, out);
  }
  return g_string_free (out, FALSE);
}

GstPadTemplate *
docgen_pad_template (GstElement *element, const gchar *name)
{
  return gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (element),
      name);
}

static void
add_pad_templates (DocgenCache *ctx, DocJson *node, GstElement *element,
    GstElementFactory *factory)
{
  DocJson *templates = doc_json_object_new ();
  const GList *l;

  for (l = gst_element_factory_get_static_pad_templates (factory); l;
       l = l->next) {
    GstStaticPadTemplate *st = l->data;
    GstPadTemplate *tmpl = docgen_pad_template (element, st->name_template);
    DocJson *t = doc_json_object_new ();
    GstCaps *caps = gst_pad_template_get_documentation_caps (tmpl);
    gchar *caps_str = docgen_caps_to_string (caps);
    GType pad_type = GST_PAD_TEMPLATE_GTYPE (tmpl);

    doc_json_set_hotdoc (t, "caps", caps_str);
    doc_json_set_string (t, "direction",
        st->direction == GST_PAD_SRC        ? "src"
            : st->direction == GST_PAD_SINK ? "sink"
                                            : "unknown");
    doc_json_set_string (t, "presence",
        st->presence == GST_PAD_ALWAYS          ? "always"
            : st->presence == GST_PAD_SOMETIMES ? "sometimes"
            : st->presence == GST_PAD_REQUEST   ? "request"
                                                : "unknown");
    if (pad_type != G_TYPE_NONE && pad_type != GST_TYPE_PAD) {
      doc_json_set_string (t, "type", g_type_name (pad_type));
      add_other_type (ctx, pad_type, NULL);
    }
    {
      gchar *name = docgen_hotdoc_string (st->name_template);

      doc_json_take (templates, name, t);
      g_free (name);
    }
    g_free (caps_str);
    gst_caps_unref (caps);
  }
  doc_json_take (node, "pad-templates", templates);
}

DocJson *
docgen_element_to_json (DocgenCache *ctx, GstElementFactory *factory,
    GstElement *element)
{
  DocJson *node = doc_json_object_new ();
  gchar **keys, **k;
  gchar *rank = docgen_rank_name (
      gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE (factory)));

  doc_json_set_string (node, "rank", rank);
  g_free (rank);
  keys = gst_element_factory_get_metadata_keys (factory);
  for (k = keys; k && *k; k++)
    doc_json_set_hotdoc (node, *k,
        gst_element_factory_get_metadata (factory, *k));
  g_strfreev (keys);

  add_object_details (ctx, node, G_OBJECT_TYPE (element), G_OBJECT (element));
  add_pad_templates (ctx, node, element, factory);
  return node;
}
