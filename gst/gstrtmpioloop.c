/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process-wide I/O threads: a few threads, each running a GMainLoop on
 * its own GMainContext, shared by every connection of every element. A
 * thread is started when a connection needs one and the others are busy,
 * and ends when its last connection is gone. */

#include "gstrtmpioloop.h"

struct _GstRtmpIoLoop
{
  GMainContext *context;
  GMainLoop *main_loop;
  GThread *thread;
  guint n_users; /* under pool_lock */
  /* set when the last user left from the loop's own thread: the thread
   * frees the loop when its main loop returns */
  gboolean frees_itself;
};

static GMutex pool_lock;
static GstRtmpIoLoop *pool[GST_RTMP_IO_LOOP_MAX_THREADS];

/* Connections a thread takes before another thread is started */
#define USERS_PER_THREAD_BEFORE_SPREADING 1

static gpointer
loop_thread (gpointer data)
{
  GstRtmpIoLoop *loop = data;

  g_main_context_push_thread_default (loop->context);
  g_main_loop_run (loop->main_loop);
  g_main_context_pop_thread_default (loop->context);
  if (loop->frees_itself) {
    g_main_loop_unref (loop->main_loop);
    g_main_context_unref (loop->context);
    g_free (loop);
  }
  return NULL;
}

static GstRtmpIoLoop *
loop_new (guint index)
{
  GstRtmpIoLoop *loop = g_new0 (GstRtmpIoLoop, 1);
  g_autofree gchar *name = g_strdup_printf ("rtmp-io-%u", index);

  loop->context = g_main_context_new ();
  loop->main_loop = g_main_loop_new (loop->context, FALSE);
  loop->thread = g_thread_new (name, loop_thread, loop);
  return loop;
}

static gboolean
quit_loop (gpointer data)
{
  GstRtmpIoLoop *loop = data;

  g_main_loop_quit (loop->main_loop);
  return G_SOURCE_REMOVE;
}

static void
loop_free (GstRtmpIoLoop *loop)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, quit_loop, loop, NULL);
  g_source_attach (source, loop->context);
  g_source_unref (source);
  g_thread_join (loop->thread);
  g_main_loop_unref (loop->main_loop);
  g_main_context_unref (loop->context);
  g_free (loop);
}

GstRtmpIoLoop *
gst_rtmp_io_loop_acquire (void)
{
  GstRtmpIoLoop *best = NULL;
  gint free_slot = -1;
  guint i;

  g_mutex_lock (&pool_lock);
  for (i = 0; i < GST_RTMP_IO_LOOP_MAX_THREADS; i++) {
    if (pool[i] == NULL) {
      if (free_slot < 0)
        free_slot = i;
      continue;
    }
    if (best == NULL || pool[i]->n_users < best->n_users)
      best = pool[i];
  }
  /* spread connections over the threads: a new thread as long as every
   * running one is busy and the pool is not full */
  if (free_slot >= 0
      && (best == NULL || best->n_users >= USERS_PER_THREAD_BEFORE_SPREADING)) {
    pool[free_slot] = loop_new (free_slot);
    best = pool[free_slot];
  }
  best->n_users++;
  g_mutex_unlock (&pool_lock);
  return best;
}

void
gst_rtmp_io_loop_release (GstRtmpIoLoop *loop)
{
  gboolean stop = FALSE;
  guint i;

  g_mutex_lock (&pool_lock);
  g_assert (loop->n_users > 0);
  if (--loop->n_users == 0) {
    for (i = 0; i < GST_RTMP_IO_LOOP_MAX_THREADS; i++) {
      if (pool[i] == loop)
        pool[i] = NULL;
    }
    stop = TRUE;
  }
  g_mutex_unlock (&pool_lock);

  if (stop) {
    /* the last user may be running on this very loop: let the thread end
     * by itself rather than joining ourselves */
    if (gst_rtmp_io_loop_is_current_thread (loop)) {
      loop->frees_itself = TRUE;
      g_thread_unref (g_steal_pointer (&loop->thread));
      g_main_loop_quit (loop->main_loop);
    } else {
      loop_free (loop);
    }
  }
}

GMainContext *
gst_rtmp_io_loop_get_context (GstRtmpIoLoop *loop)
{
  return loop->context;
}

gboolean
gst_rtmp_io_loop_is_current_thread (GstRtmpIoLoop *loop)
{
  return loop->thread == g_thread_self ();
}

void
gst_rtmp_io_loop_invoke (GstRtmpIoLoop *loop, GSourceFunc func, gpointer data,
    GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, loop->context);
  g_source_unref (source);
}

guint
gst_rtmp_io_loop_get_n_threads (void)
{
  guint i, n = 0;

  g_mutex_lock (&pool_lock);
  for (i = 0; i < GST_RTMP_IO_LOOP_MAX_THREADS; i++)
    n += pool[i] != NULL;
  g_mutex_unlock (&pool_lock);
  return n;
}
