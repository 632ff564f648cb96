/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtmp-docgen: writes the reference of the built rtmp plugin (GStreamer's
 * hotdoc plugin cache, docs/plugins/gst_plugins_cache.json, and Markdown
 * pages, docs/reference/<element>.md) from the registry, or checks that the
 * committed copies are current.
 *
 * Debian 12 has no hotdoc, so this replaces gst-hotdoc-plugins-scanner for
 * this project: the JSON has the shape of GStreamer's own caches (keys
 * sorted, four-space indentation, every value a string as the scanner
 * writes it). The Markdown pages add what the cache cannot hold: the
 * element's SECTION comment and the hotdoc comments of its properties and
 * signals (read from the C sources), the URI handler, the statistics
 * fields and the bus messages the element really posts.
 *
 * Output is deterministic: no time stamps, no absolute paths, everything
 * sorted, so that a test can compare it with the committed files. */

#include "config.h"
#include "docgen.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_PATH "plugins/gst_plugins_cache.json"
#define REFERENCE_DIR "reference"

/* --- output --- */

typedef struct
{
  gchar *path; /* relative to the docs directory */
  gchar *contents;
} OutputFile;

static void
output_file_free (gpointer data)
{
  OutputFile *f = data;

  g_free (f->path);
  g_free (f->contents);
  g_free (f);
}

static void
add_output (GPtrArray *files, const gchar *path, gchar *contents)
{
  OutputFile *f = g_new0 (OutputFile, 1);

  f->path = g_strdup (path);
  f->contents = contents;
  g_ptr_array_add (files, f);
}

static gboolean
same_directory (const gchar *a, const gchar *b)
{
  char *ra = realpath (a, NULL);
  char *rb = realpath (b, NULL);
  gboolean same = ra && rb && strcmp (ra, rb) == 0;

  free (ra);
  free (rb);
  return same;
}

static gint
compare_features (gconstpointer a, gconstpointer b)
{
  return strcmp (GST_OBJECT_NAME (*(GstObject **) a),
      GST_OBJECT_NAME (*(GstObject **) b));
}

/* Everything the plugin's reference consists of, or NULL with a message
 * when the registry's rtmp plugin is not the one in @plugin_dir */
static GPtrArray *
generate (const gchar *plugin_dir, const gchar *source_root)
{
  GstPlugin *plugin;
  GPtrArray *files, *factories, *type_names;
  GList *features, *l;
  DocJson *root, *pnode, *elements;
  DocgenCache cctx;
  DocgenPages pctx;
  gchar *basename, *filename, *dot, *plugin_file_dir;
  gboolean ok = TRUE;
  guint i;

  plugin = gst_registry_find_plugin (gst_registry_get (), DOCGEN_PLUGIN_NAME);
  if (plugin == NULL) {
    g_printerr ("rtmp-docgen: no plugin \"%s\" in the registry: is %s on "
                "GST_PLUGIN_PATH_1_0?\n",
        DOCGEN_PLUGIN_NAME, plugin_dir);
    return NULL;
  }
  /* Debian's librtmp plugin has the same name and file name: only the
   * directory and the source module tell ours */
  plugin_file_dir = g_path_get_dirname (gst_plugin_get_filename (plugin));
  if (!same_directory (plugin_file_dir, plugin_dir)
      || g_strcmp0 (gst_plugin_get_source (plugin), RTMP_PLUGIN_SOURCE) != 0) {
    g_printerr ("rtmp-docgen: the registry's \"%s\" plugin is %s (source "
                "module %s), not ours from %s (source module %s): put %s "
                "first on GST_PLUGIN_PATH_1_0\n",
        DOCGEN_PLUGIN_NAME, gst_plugin_get_filename (plugin),
        gst_plugin_get_source (plugin), plugin_dir, RTMP_PLUGIN_SOURCE,
        plugin_dir);
    g_free (plugin_file_dir);
    gst_object_unref (plugin);
    return NULL;
  }
  g_free (plugin_file_dir);

  /* "gstrtmp" for libgstrtmp.so, as the scanner names it */
  basename = g_path_get_basename (gst_plugin_get_filename (plugin));
  dot = strchr (basename, '.');
  if (dot)
    *dot = '\0';
  filename
      = g_strdup (g_str_has_prefix (basename, "lib") ? basename + 3 : basename);
  g_free (basename);

  /* loaded: the element types are known from here on */
  factories = g_ptr_array_new_with_free_func (gst_object_unref);
  features = gst_registry_get_feature_list_by_plugin (gst_registry_get (),
      DOCGEN_PLUGIN_NAME);
  for (l = features; l; l = l->next) {
    GstPluginFeature *loaded;

    if (!GST_IS_ELEMENT_FACTORY (l->data))
      continue;
    loaded = gst_plugin_feature_load (l->data);
    if (loaded == NULL) {
      g_printerr ("rtmp-docgen: cannot load %s\n", GST_OBJECT_NAME (l->data));
      ok = FALSE;
    } else if (gst_element_factory_get_skip_documentation (
                   GST_ELEMENT_FACTORY (loaded))) {
      gst_object_unref (loaded);
    } else {
      g_ptr_array_add (factories, loaded);
    }
  }
  gst_plugin_feature_list_free (features);
  g_ptr_array_sort (factories, compare_features);

  cctx.other_types = doc_json_object_new ();
  pctx.blocks = docgen_load_doc_comments (source_root);
  pctx.links.type_names = g_hash_table_new (g_str_hash, g_str_equal);
  type_names = g_ptr_array_new ();
  pctx.type_names = type_names;

  root = doc_json_object_new ();
  pnode = doc_json_object_new ();
  elements = doc_json_object_new ();
  doc_json_take (root, DOCGEN_PLUGIN_NAME, pnode);
  doc_json_set_string (pnode, "description",
      gst_plugin_get_description (plugin));
  doc_json_set_string (pnode, "filename", filename);
  doc_json_set_string (pnode, "license", gst_plugin_get_license (plugin));
  doc_json_set_string (pnode, "package", gst_plugin_get_package (plugin));
  doc_json_set_string (pnode, "source", gst_plugin_get_source (plugin));
  doc_json_set_string (pnode, "url", gst_plugin_get_origin (plugin));
  doc_json_take (pnode, "tracers", doc_json_object_new ());
  doc_json_take (pnode, "elements", elements);

  files = g_ptr_array_new_with_free_func (output_file_free);

  /* the type names first: pages link to each other's properties */
  for (i = 0; i < factories->len; i++) {
    GType type = gst_element_factory_get_element_type (factories->pdata[i]);

    g_ptr_array_add (type_names, (gpointer) g_type_name (type));
    g_hash_table_insert (pctx.links.type_names, (gpointer) g_type_name (type),
        (gpointer) GST_OBJECT_NAME (factories->pdata[i]));
  }
  g_ptr_array_sort (type_names, docgen_compare_strings);

  for (i = 0; ok && i < factories->len; i++) {
    GstElementFactory *factory = factories->pdata[i];
    GstElement *element = gst_element_factory_create (factory, NULL);
    gchar *path;

    if (element == NULL) {
      g_printerr ("rtmp-docgen: cannot create %s\n", GST_OBJECT_NAME (factory));
      ok = FALSE;
      break;
    }
    gst_object_ref_sink (element);
    doc_json_take (elements, GST_OBJECT_NAME (factory),
        docgen_element_to_json (&cctx, factory, element));
    path = g_strdup_printf (REFERENCE_DIR "/%s.md", GST_OBJECT_NAME (factory));
    add_output (files, path, docgen_element_page (&pctx, factory, element));
    g_free (path);
    gst_object_unref (element);
  }
  doc_json_take (pnode, "other-types", cctx.other_types);

  if (ok) {
    GString *json = g_string_new (NULL);

    doc_json_write (json, root, 0);
    g_string_append_c (json, '\n');
    add_output (files, CACHE_PATH, g_string_free (json, FALSE));
    add_output (files, REFERENCE_DIR "/index.md",
        docgen_plugin_page (plugin, factories, filename));
  } else {
    g_clear_pointer (&files, g_ptr_array_unref);
  }

  doc_json_free (root);
  g_hash_table_unref (pctx.blocks);
  g_hash_table_unref (pctx.links.type_names);
  g_ptr_array_unref (type_names);
  g_ptr_array_unref (factories);
  g_free (filename);
  gst_object_unref (plugin);
  return files;
}

static gboolean
write_files (GPtrArray *files, const gchar *dir)
{
  guint i;

  for (i = 0; i < files->len; i++) {
    OutputFile *f = files->pdata[i];
    gchar *path = g_build_filename (dir, f->path, NULL);
    gchar *parent = g_path_get_dirname (path);
    GError *error = NULL;

    g_mkdir_with_parents (parent, 0755);
    if (!g_file_set_contents (path, f->contents, -1, &error)) {
      g_printerr ("rtmp-docgen: %s\n", error->message);
      g_error_free (error);
      g_free (parent);
      g_free (path);
      return FALSE;
    }
    g_free (parent);
    g_free (path);
  }
  return TRUE;
}

static gboolean
is_generated (GPtrArray *files, const gchar *path)
{
  guint i;

  for (i = 0; i < files->len; i++)
    if (g_str_equal (((OutputFile *) files->pdata[i])->path, path))
      return TRUE;
  return FALSE;
}

/* The *.md files of docs/reference that are no longer generated (an
 * element that is gone): (transfer full) relative paths */
static GPtrArray *
stale_pages (GPtrArray *files, const gchar *docs_dir)
{
  GPtrArray *stale = g_ptr_array_new_with_free_func (g_free);
  gchar *dir_path = g_build_filename (docs_dir, REFERENCE_DIR, NULL);
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL) {
    gchar *rel = g_strdup_printf (REFERENCE_DIR "/%s", name);

    if (g_str_has_suffix (name, ".md") && !is_generated (files, rel))
      g_ptr_array_add (stale, rel);
    else
      g_free (rel);
  }
  if (dir)
    g_dir_close (dir);
  g_free (dir_path);
  g_ptr_array_sort (stale, docgen_compare_strings);
  return stale;
}

/* Prints where @committed and @generated first differ */
static void
print_first_difference (const gchar *path, const gchar *committed,
    const gchar *generated)
{
  gchar **a = g_strsplit (committed, "\n", -1);
  gchar **b = g_strsplit (generated, "\n", -1);
  guint i;

  for (i = 0; a[i] && b[i] && g_str_equal (a[i], b[i]); i++)
    ;
  g_printerr ("  docs/%s:%u:\n    committed: %s\n    generated: %s\n", path,
      i + 1, a[i] ? a[i] : "(end of file)", b[i] ? b[i] : "(end of file)");
  g_strfreev (a);
  g_strfreev (b);
}

static gboolean
remove_tree (const gchar *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL) {
    gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      remove_tree (child);
    else
      g_remove (child);
    g_free (child);
  }
  if (dir)
    g_dir_close (dir);
  return g_rmdir (path) == 0;
}

/* Regenerates into a temporary directory and compares with the committed
 * files; the copies stay there when they differ */
static gboolean
check_files (GPtrArray *files, const gchar *docs_dir,
    const gchar *update_command)
{
  GError *error = NULL;
  gchar *tmp = g_dir_make_tmp ("rtmp-docgen-XXXXXX", &error);
  GPtrArray *stale;
  gboolean ok = TRUE;
  guint i;

  if (tmp == NULL) {
    g_printerr ("rtmp-docgen: %s\n", error->message);
    g_error_free (error);
    return FALSE;
  }
  if (!write_files (files, tmp)) {
    g_free (tmp);
    return FALSE;
  }

  for (i = 0; i < files->len; i++) {
    OutputFile *f = files->pdata[i];
    gchar *path = g_build_filename (docs_dir, f->path, NULL);
    gchar *committed = NULL;

    if (!g_file_get_contents (path, &committed, NULL, NULL)) {
      if (ok)
        g_printerr ("The committed reference documentation is stale:\n");
      g_printerr ("  docs/%s: missing\n", f->path);
      ok = FALSE;
    } else if (!g_str_equal (committed, f->contents)) {
      if (ok)
        g_printerr ("The committed reference documentation is stale:\n");
      print_first_difference (f->path, committed, f->contents);
      ok = FALSE;
    }
    g_free (committed);
    g_free (path);
  }
  stale = stale_pages (files, docs_dir);
  for (i = 0; i < stale->len; i++) {
    if (ok)
      g_printerr ("The committed reference documentation is stale:\n");
    g_printerr ("  docs/%s: no such element any more\n",
        (gchar *) stale->pdata[i]);
    ok = FALSE;
  }
  g_ptr_array_unref (stale);

  if (ok) {
    remove_tree (tmp);
    g_print ("docs/%s and docs/%s/*.md are current\n", CACHE_PATH,
        REFERENCE_DIR);
  } else {
    g_printerr ("\nThe generated copies are in %s (diff -ru %s %s).\n"
                "Regenerate and commit them with:\n\n    %s\n\n",
        tmp, docs_dir, tmp, update_command);
  }
  g_free (tmp);
  return ok;
}

int
main (int argc, char **argv)
{
  gchar *plugin_dir = NULL, *source_root = NULL, *output_dir = NULL;
  gchar *update_command = NULL;
  gboolean check = FALSE;
  GOptionEntry entries[] = {
    { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
        "Directory of the built libgstrtmp.so (must be what the registry "
        "loads)",
        "DIR" },
    { "source-root", 0, 0, G_OPTION_ARG_FILENAME, &source_root,
        "Top of the source tree (doc comments are read from gst/*.c)", "DIR" },
    { "output-dir", 0, 0, G_OPTION_ARG_FILENAME, &output_dir,
        "Write plugins/gst_plugins_cache.json and reference/*.md here", "DIR" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check,
        "Compare with the files committed under SOURCE_ROOT/docs instead",
        NULL },
    { "update-command", 0, 0, G_OPTION_ARG_STRING, &update_command,
        "Command to suggest when --check finds stale files", "CMD" },
    { NULL },
  };
  GOptionContext *context;
  GError *error = NULL;
  GPtrArray *files;
  gboolean ok;

  setlocale (LC_ALL, "C");
  context = g_option_context_new ("- reference documentation of the rtmp "
                                  "plugin");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("rtmp-docgen: %s\n", error->message);
    return 2;
  }
  g_option_context_free (context);
  if (plugin_dir == NULL || source_root == NULL
      || (output_dir == NULL) == !check) {
    g_printerr ("rtmp-docgen: needs --plugin-dir, --source-root and either "
                "--output-dir or --check\n");
    return 2;
  }

  gst_init (NULL, NULL);
  files = generate (plugin_dir, source_root);
  if (files == NULL)
    return 1;

  if (check) {
    gchar *docs_dir = g_build_filename (source_root, "docs", NULL);

    ok = check_files (files, docs_dir,
        update_command ? update_command
                       : "meson compile -C <builddir> update-docs");
    g_free (docs_dir);
  } else {
    GPtrArray *stale = stale_pages (files, output_dir);
    guint i;

    ok = write_files (files, output_dir);
    for (i = 0; ok && i < stale->len; i++) {
      gchar *path = g_build_filename (output_dir, stale->pdata[i], NULL);

      g_print ("removing %s\n", path);
      g_remove (path);
      g_free (path);
    }
    g_ptr_array_unref (stale);
    if (ok)
      g_print ("wrote %u files into %s\n", files->len, output_dir);
  }

  g_ptr_array_unref (files);
  g_free (plugin_dir);
  g_free (source_root);
  g_free (output_dir);
  g_free (update_command);
  gst_deinit ();
  return ok ? 0 : 1;
}
