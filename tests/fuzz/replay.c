/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a fuzz target over every file of its corpus, as a regression test. */

#include <glib.h>
#include <stdio.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

static gboolean
replay_dir (const gchar *dir_path, guint *n_inputs)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  guint i;

  if (dir == NULL) {
    g_printerr ("cannot open corpus %s: %s\n", dir_path, error->message);
    return FALSE;
  }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (i = 0; i < names->len; i++) {
    g_autofree gchar *path
        = g_build_filename (dir_path, (const gchar *) names->pdata[i], NULL);
    g_autofree gchar *contents = NULL;
    gsize len;

    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      continue;
    if (!g_file_get_contents (path, &contents, &len, &error)) {
      g_printerr ("cannot read %s: %s\n", path, error->message);
      return FALSE;
    }
    LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
    (*n_inputs)++;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  guint n_inputs = 0;
  gint i;

  for (i = 1; i < argc; i++) {
    if (!replay_dir (argv[i], &n_inputs))
      return 1;
  }
  if (n_inputs == 0) {
    g_printerr ("no corpus inputs found\n");
    return 1;
  }
  g_print ("replayed %u inputs\n", n_inputs);
  return 0;
}
