/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Real peers for integration tests: nginx-rtmp, ffmpeg, ffprobe, rtmpdump,
 * gst-launch-1.0 and stunnel, started by argv on 127.0.0.1 and stopped by
 * pid. */

#include "rtmpexternal.h"

#include <gst/check/gstcheck.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* How often waits look at a process or a port */
#define POLL_INTERVAL_US (10 * 1000)
#define PORT_POLL_INTERVAL_US (20 * 1000)
/* SIGTERM to SIGKILL, when a wait timed out or a process is freed */
#define DEFAULT_GRACE_MS 3000
/* nginx finishes its workers' connections on SIGTERM */
#define NGINX_GRACE_MS 5000
#define NGINX_START_TIMEOUT_MS 10000
#define STUNNEL_START_TIMEOUT_MS 10000
/* The end of a log quoted in failure messages */
#define LOG_TAIL_LINES 30

/* Debian's nginx prefix: relative load_module paths start here */
#define NGINX_PREFIX "/usr/share/nginx"
#define NGINX_RTMP_MODULE "ngx_rtmp_module.so"

GQuark
rtmp_external_error_quark (void)
{
  return g_quark_from_static_string ("rtmp-external-error-quark");
}

/* --- programs --- */

static gchar *
find_in_dirs (const gchar *program, const gchar *dirs)
{
  g_auto (GStrv) list = g_strsplit (dirs, G_SEARCHPATH_SEPARATOR_S, -1);
  guint i;

  for (i = 0; list[i] != NULL; i++) {
    g_autofree gchar *path = NULL;

    if (list[i][0] == '\0')
      continue;
    path = g_build_filename (list[i], program, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE)
        && !g_file_test (path, G_FILE_TEST_IS_DIR))
      return g_steal_pointer (&path);
  }
  return NULL;
}

gchar *
rtmp_external_find_program (const gchar *program)
{
  const gchar *override = g_getenv ("RTMP_TEST_PROGRAM_PATH");
  gchar *path;

  g_return_val_if_fail (program != NULL && program[0] != '\0', NULL);

  if (strchr (program, G_DIR_SEPARATOR) != NULL) {
    if (g_file_test (program, G_FILE_TEST_IS_EXECUTABLE))
      return g_strdup (program);
    return NULL;
  }
  if (override != NULL)
    return find_in_dirs (program, override);
  path = g_find_program_in_path (program);
  if (path == NULL)
    path = find_in_dirs (program, "/usr/local/sbin:/usr/sbin:/sbin");
  return path;
}

static const gchar *
program_search_path (void)
{
  const gchar *override = g_getenv ("RTMP_TEST_PROGRAM_PATH");

  if (override != NULL)
    return override;
  return g_getenv ("PATH");
}

gchar *
rtmp_external_require_program (const gchar *program, const gchar *package)
{
  gchar *path = rtmp_external_find_program (program);

  if (path == NULL) {
    ck_abort_msg ("%s is not installed (looked in %s%s): this test needs it "
                  "as a real peer; install the Debian package %s "
                  "(apt-get install %s, or run scripts/setup)",
        program, program_search_path (),
        g_getenv ("RTMP_TEST_PROGRAM_PATH")
            ? ""
            : " and /usr/local/sbin:/usr/sbin:/sbin",
        package, package);
  }
  return path;
}

/* --- ports --- */

static GSocketAddress *
loopback_address (guint16 port)
{
  g_autoptr (GInetAddress) inet
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  return g_inet_socket_address_new (inet, port);
}

guint16
rtmp_external_pick_port (GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = loopback_address (0);
  g_autoptr (GSocketAddress) bound = NULL;
  guint16 port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return 0;
  if (!g_socket_bind (socket, address, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return 0;
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

/* --- processes --- */

struct _RtmpExternalProcess
{
  gchar *name;
  GPid pid; /* 0 once reaped */
  RtmpExternalStatus status;
  /* what we did to it, the status it gets when it ends */
  RtmpExternalStatus ending;
  gint exit_code;
  gint signal;
  gchar *dir; /* owned temporary directory */
  gchar *stdout_path;
  gchar *stderr_path;
};

void
rtmp_external_remove_tree (const gchar *path)
{
  GDir *dir;
  const gchar *name;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)
      && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    dir = g_dir_open (path, 0, NULL);
    if (dir != NULL) {
      while ((name = g_dir_read_name (dir)) != NULL) {
        g_autofree gchar *child = g_build_filename (path, name, NULL);

        rtmp_external_remove_tree (child);
      }
      g_dir_close (dir);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

/* Cleaning up after tests that did not get to it. check ends a failing
 * test past every g_autoptr: with _exit () in its forked child (the runner
 * then kills the child's process group, our peers included), or by a jump
 * back into the runner (CK_FORK=no). So every temporary directory goes
 * into one directory per test program, removed when the program exits,
 * and processes still running at exit () are stopped gracefully (nginx's
 * master then stops its workers, which PR_SET_PDEATHSIG alone would
 * leave). */
G_LOCK_DEFINE_STATIC (registry);
static GPtrArray *live_processes; /* RtmpExternalProcess *, not owned */
static pid_t main_pid;            /* the test program's, before any fork */

static void terminate (RtmpExternalProcess *self, guint grace_ms,
    RtmpExternalStatus ending);

static gchar *
base_dir_path (void)
{
  g_autofree gchar *name = g_strdup_printf ("rtmp-tests-%d", (gint) main_pid);

  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

static void
cleanup_at_exit (void)
{
  g_autoptr (GPtrArray) processes = NULL;
  guint i;

  G_LOCK (registry);
  processes = g_steal_pointer (&live_processes);
  G_UNLOCK (registry);
  for (i = 0; processes != NULL && i < processes->len; i++)
    terminate (processes->pdata[i], 1000, RTMP_EXTERNAL_STATUS_STOPPED);

  /* forked test processes leave the directory to the program */
  if (getpid () == main_pid) {
    g_autofree gchar *base = base_dir_path ();

    rtmp_external_remove_tree (base);
  }
}

__attribute__ ((constructor)) static void
registry_init (void)
{
  main_pid = getpid ();
  atexit (cleanup_at_exit);
}

static void
register_process (RtmpExternalProcess *process)
{
  G_LOCK (registry);
  if (live_processes == NULL)
    live_processes = g_ptr_array_new ();
  g_ptr_array_add (live_processes, process);
  G_UNLOCK (registry);
}

static void
unregister_process (RtmpExternalProcess *process)
{
  G_LOCK (registry);
  if (live_processes != NULL)
    g_ptr_array_remove_fast (live_processes, process);
  G_UNLOCK (registry);
}

gchar *
rtmp_external_make_temp_dir (const gchar *prefix, GError **error)
{
  g_autofree gchar *base = base_dir_path ();
  g_autofree gchar *tmpl = NULL;

  if (g_mkdir (base, 0700) != 0 && errno != EEXIST) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_SPAWN,
        "cannot create %s: %s", base, g_strerror (errno));
    return NULL;
  }
  tmpl = g_strdup_printf ("%s/%s-XXXXXX", base, prefix);
  if (g_mkdtemp_full (tmpl, 0700) == NULL) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_SPAWN,
        "cannot create a directory %s: %s", tmpl, g_strerror (errno));
    return NULL;
  }
  return g_steal_pointer (&tmpl);
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void
child_setup (gpointer user_data)
{
  /* killed with the test that started it, whatever kills the test */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gint
open_output (const gchar *path, GError **error)
{
  gint fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_SPAWN,
        "cannot create %s: %s", path, g_strerror (errno));
  }
  return fd;
}

RtmpExternalProcess *
rtmp_external_process_start_full (const RtmpExternalSpawnOptions *options,
    GError **error)
{
  g_autoptr (RtmpExternalProcess) self = NULL;
  g_autofree gchar *program = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_auto (GStrv) envp = NULL;
  gint stdout_fd = -1, stderr_fd = -1;
  GError *spawn_error = NULL;
  gboolean spawned;
  guint i;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->argv != NULL && options->argv[0] != NULL,
      NULL);

  program = rtmp_external_find_program (options->argv[0]);
  if (program == NULL) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_MISSING,
        "%s is not installed (looked in %s)", options->argv[0],
        program_search_path ());
    return NULL;
  }

  self = g_new0 (RtmpExternalProcess, 1);
  self->name = g_path_get_basename (options->argv[0]);
  self->status = RTMP_EXTERNAL_STATUS_RUNNING;
  self->exit_code = -1;
  self->dir = rtmp_external_make_temp_dir (self->name, error);
  if (self->dir == NULL)
    return NULL;
  self->stdout_path = options->stdout_path
      ? g_strdup (options->stdout_path)
      : g_strdup_printf ("%s/%s.stdout", self->dir, self->name);
  self->stderr_path = options->stderr_path
      ? g_strdup (options->stderr_path)
      : g_strdup_printf ("%s/%s.stderr", self->dir, self->name);

  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, program);
  for (i = 1; options->argv[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) options->argv[i]);
  g_ptr_array_add (argv, NULL);

  envp = g_get_environ ();
  for (i = 0; options->env != NULL && options->env[i] != NULL; i++) {
    const gchar *eq = strchr (options->env[i], '=');
    g_autofree gchar *name = NULL;

    g_return_val_if_fail (eq != NULL && eq != options->env[i], NULL);
    name = g_strndup (options->env[i], eq - options->env[i]);
    envp = g_environ_setenv (envp, name, eq + 1, TRUE);
  }

  stdout_fd = open_output (self->stdout_path, error);
  if (stdout_fd < 0)
    return NULL;
  stderr_fd = open_output (self->stderr_path, error);
  if (stderr_fd < 0) {
    close (stdout_fd);
    return NULL;
  }

  spawned = g_spawn_async_with_pipes_and_fds (options->working_dir,
      (const gchar *const *) argv->pdata, (const gchar *const *) envp,
      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, child_setup,
      NULL, -1, stdout_fd, stderr_fd, NULL, NULL, 0, &self->pid, NULL, NULL,
      NULL, &spawn_error);
  close (stdout_fd);
  close (stderr_fd);
  if (!spawned) {
    self->pid = 0;
    self->status = RTMP_EXTERNAL_STATUS_EXITED;
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_SPAWN,
        "cannot start %s: %s", program, spawn_error->message);
    g_error_free (spawn_error);
    return NULL;
  }
  register_process (self);
  return g_steal_pointer (&self);
}

RtmpExternalProcess *
rtmp_external_process_start (const gchar *const *argv, GError **error)
{
  RtmpExternalSpawnOptions options = {
    .argv = argv,
  };

  return rtmp_external_process_start_full (&options, error);
}

static void
record_wait_status (RtmpExternalProcess *self, gint wait_status)
{
  self->pid = 0;
  if (WIFEXITED (wait_status)) {
    self->exit_code = WEXITSTATUS (wait_status);
    self->signal = 0;
  } else if (WIFSIGNALED (wait_status)) {
    self->exit_code = -1;
    self->signal = WTERMSIG (wait_status);
  }
  if (self->ending != RTMP_EXTERNAL_STATUS_RUNNING)
    self->status = self->ending;
  else if (WIFEXITED (wait_status))
    self->status = RTMP_EXTERNAL_STATUS_EXITED;
  else
    self->status = RTMP_EXTERNAL_STATUS_SIGNALED;
}

/* Reaps the process when it has ended; never blocks */
static void
poll_process (RtmpExternalProcess *self)
{
  gint wait_status = 0;
  pid_t pid;

  if (self->pid == 0)
    return;
  do {
    pid = waitpid (self->pid, &wait_status, WNOHANG);
  } while (pid < 0 && errno == EINTR);

  if (pid == self->pid) {
    record_wait_status (self, wait_status);
  } else if (pid < 0) {
    /* ECHILD: someone else reaped it; it is gone all the same */
    self->pid = 0;
    self->status = self->ending != RTMP_EXTERNAL_STATUS_RUNNING
        ? self->ending
        : RTMP_EXTERNAL_STATUS_EXITED;
  }
}

gboolean
rtmp_external_process_is_running (RtmpExternalProcess *self)
{
  poll_process (self);
  return self->pid != 0;
}

RtmpExternalStatus
rtmp_external_process_get_status (RtmpExternalProcess *self)
{
  poll_process (self);
  return self->status;
}

gint
rtmp_external_process_get_exit_code (const RtmpExternalProcess *self)
{
  return self->exit_code;
}

gint
rtmp_external_process_get_signal (const RtmpExternalProcess *self)
{
  return self->signal;
}

const gchar *
rtmp_external_process_get_name (const RtmpExternalProcess *self)
{
  return self->name;
}

GPid
rtmp_external_process_get_pid (const RtmpExternalProcess *self)
{
  return self->pid;
}

const gchar *
rtmp_external_process_get_stdout_path (const RtmpExternalProcess *self)
{
  return self->stdout_path;
}

const gchar *
rtmp_external_process_get_stderr_path (const RtmpExternalProcess *self)
{
  return self->stderr_path;
}

static gchar *
read_text (const gchar *path)
{
  gchar *contents = NULL;

  if (path == NULL || !g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

gchar *
rtmp_external_process_dup_stdout (const RtmpExternalProcess *self)
{
  return read_text (self->stdout_path);
}

gchar *
rtmp_external_process_dup_stderr (const RtmpExternalProcess *self)
{
  return read_text (self->stderr_path);
}

/* The last @n_lines lines of @text (a pointer into it) */
static const gchar *
text_tail (const gchar *text, guint n_lines)
{
  const gchar *p = text + strlen (text);
  guint seen = 0;

  /* a final newline does not start a line */
  if (p > text && p[-1] == '\n')
    p--;
  while (p > text) {
    if (p[-1] == '\n' && ++seen == n_lines)
      break;
    p--;
  }
  return p;
}

/* The pids whose parent is @parent, from /proc (nginx's workers) */
static GArray *
list_children (GPid parent)
{
  GArray *children = g_array_new (FALSE, FALSE, sizeof (GPid));
  GDir *proc = g_dir_open ("/proc", 0, NULL);
  const gchar *name;

  if (proc == NULL)
    return children;
  while ((name = g_dir_read_name (proc)) != NULL) {
    g_autofree gchar *stat_path = NULL;
    g_autofree gchar *stat = NULL;
    const gchar *end;
    gint ppid;
    gchar *endptr;
    GPid pid;

    if (!g_ascii_isdigit (name[0]))
      continue;
    stat_path = g_build_filename ("/proc", name, "stat", NULL);
    if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
      continue;
    /* "pid (comm) state ppid ...": comm may hold spaces and parentheses,
     * the last ')' ends it */
    end = strrchr (stat, ')');
    if (end == NULL || strlen (end) < 5)
      continue;
    ppid = (gint) g_ascii_strtoll (end + 4, &endptr, 10);
    if (ppid != parent)
      continue;
    pid = (GPid) g_ascii_strtoll (name, NULL, 10);
    g_array_append_val (children, pid);
  }
  g_dir_close (proc);
  return children;
}

static void
terminate (RtmpExternalProcess *self, guint grace_ms, RtmpExternalStatus ending)
{
  gint64 deadline;
  g_autoptr (GArray) children = NULL;
  gint wait_status = 0;
  pid_t pid;
  guint i;

  poll_process (self);
  if (self->pid == 0)
    return;

  self->ending = ending;
  kill (self->pid, SIGTERM);
  deadline = g_get_monotonic_time () + grace_ms * (gint64) 1000;
  while (g_get_monotonic_time () < deadline) {
    g_usleep (POLL_INTERVAL_US);
    poll_process (self);
    if (self->pid == 0)
      return;
  }

  /* the children first seen, so none is missed when the parent dies */
  children = list_children (self->pid);
  kill (self->pid, SIGKILL);
  for (i = 0; i < children->len; i++)
    kill (g_array_index (children, GPid, i), SIGKILL);
  do {
    pid = waitpid (self->pid, &wait_status, 0);
  } while (pid < 0 && errno == EINTR);
  if (pid == self->pid)
    record_wait_status (self, wait_status);
  else
    self->pid = 0;
  self->status = ending;
}

void
rtmp_external_process_stop (RtmpExternalProcess *self, guint grace_ms)
{
  terminate (self, grace_ms, RTMP_EXTERNAL_STATUS_STOPPED);
}

RtmpExternalStatus
rtmp_external_process_wait (RtmpExternalProcess *self, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  poll_process (self);
  while (self->pid != 0) {
    if (g_get_monotonic_time () >= deadline) {
      terminate (self, DEFAULT_GRACE_MS, RTMP_EXTERNAL_STATUS_TIMED_OUT);
      break;
    }
    g_usleep (POLL_INTERVAL_US);
    poll_process (self);
  }
  return self->status;
}

gchar *
rtmp_external_process_describe (RtmpExternalProcess *self)
{
  GString *out = g_string_new (NULL);
  g_autofree gchar *err = NULL;
  const gchar *tail;

  poll_process (self);
  g_string_append_printf (out, "%s", self->name);
  switch (self->status) {
    case RTMP_EXTERNAL_STATUS_RUNNING:
      g_string_append_printf (out, " (pid %d) is running", (gint) self->pid);
      break;
    case RTMP_EXTERNAL_STATUS_EXITED:
      g_string_append_printf (out, " exited with status %d", self->exit_code);
      break;
    case RTMP_EXTERNAL_STATUS_SIGNALED:
      g_string_append_printf (out, " was killed by signal %d (%s)",
          self->signal, g_strsignal (self->signal));
      break;
    case RTMP_EXTERNAL_STATUS_TIMED_OUT:
      g_string_append (out, " did not finish in time and was killed");
      break;
    case RTMP_EXTERNAL_STATUS_STOPPED:
      g_string_append (out, " was stopped by the test");
      break;
  }
  err = rtmp_external_process_dup_stderr (self);
  tail = text_tail (err, LOG_TAIL_LINES);
  if (tail[0] != '\0')
    g_string_append_printf (out, "; its stderr ends with:\n%s", tail);
  else
    g_string_append (out, "; its stderr is empty");
  return g_string_free (out, FALSE);
}

gboolean
rtmp_external_process_wait_success (RtmpExternalProcess *self, guint timeout_ms,
    GError **error)
{
  RtmpExternalStatus status = rtmp_external_process_wait (self, timeout_ms);
  g_autofree gchar *description = NULL;

  if (status == RTMP_EXTERNAL_STATUS_EXITED && self->exit_code == 0)
    return TRUE;
  description = rtmp_external_process_describe (self);
  g_set_error (error, RTMP_EXTERNAL_ERROR,
      status == RTMP_EXTERNAL_STATUS_TIMED_OUT ? RTMP_EXTERNAL_ERROR_TIMEOUT
                                               : RTMP_EXTERNAL_ERROR_FAILED,
      "%s%s", description,
      status == RTMP_EXTERNAL_STATUS_TIMED_OUT ? " (timeout)" : "");
  return FALSE;
}

void
rtmp_external_process_free (RtmpExternalProcess *self)
{
  if (self == NULL)
    return;
  terminate (self, DEFAULT_GRACE_MS, RTMP_EXTERNAL_STATUS_STOPPED);
  unregister_process (self);
  if (self->dir != NULL)
    rtmp_external_remove_tree (self->dir);
  g_free (self->dir);
  g_free (self->name);
  g_free (self->stdout_path);
  g_free (self->stderr_path);
  g_free (self);
}

gboolean
rtmp_external_run (const gchar *const *argv, guint timeout_ms,
    gchar **stdout_text, gchar **stderr_text, GError **error)
{
  g_autoptr (RtmpExternalProcess) process = NULL;
  gboolean ok;

  process = rtmp_external_process_start (argv, error);
  if (process == NULL)
    return FALSE;
  ok = rtmp_external_process_wait_success (process, timeout_ms, error);
  if (stdout_text != NULL)
    *stdout_text = rtmp_external_process_dup_stdout (process);
  if (stderr_text != NULL)
    *stderr_text = rtmp_external_process_dup_stderr (process);
  return ok;
}

static gboolean
port_accepts (guint16 port)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = loopback_address (port);
  gboolean connected;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  if (socket == NULL)
    return FALSE;
  g_socket_set_timeout (socket, 1);
  connected = g_socket_connect (socket, address, NULL, NULL);
  g_socket_close (socket, NULL);
  return connected;
}

gboolean
rtmp_external_wait_for_port (guint16 port, RtmpExternalProcess *process,
    guint timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  for (;;) {
    if (process != NULL && !rtmp_external_process_is_running (process)) {
      g_autofree gchar *description = rtmp_external_process_describe (process);

      g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_NOT_READY,
          "%s ended before accepting connections on 127.0.0.1:%u: %s",
          process->name, port, description);
      return FALSE;
    }
    if (port_accepts (port))
      return TRUE;
    if (g_get_monotonic_time () >= deadline)
      break;
    g_usleep (PORT_POLL_INTERVAL_US);
  }
  g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_NOT_READY,
      "nothing accepted connections on 127.0.0.1:%u within %u ms%s%s", port,
      timeout_ms, process ? " of starting " : "", process ? process->name : "");
  return FALSE;
}

/* --- nginx --- */

struct _RtmpExternalNginx
{
  guint16 port;
  guint32 chunk_size;
  gchar *live_directives;
  gchar *vod_dir;
  gchar *server_directives;
  gchar *rtmp_directives;
  gchar *main_directives;

  gchar *nginx_path;
  gchar *module_path;
  gchar *dir;
  gchar *conf_path;
  gchar *error_log_path;
  RtmpExternalProcess *process; /* NULL when stopped */
};

void
rtmp_external_nginx_config_init (RtmpExternalNginxConfig *config)
{
  memset (config, 0, sizeof (*config));
  config->chunk_size = 4096;
}

/* The path of the first "load_module ...rtmp...;" line of @conf */
static gchar *
module_from_conf (const gchar *conf)
{
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  guint i;

  if (!g_file_get_contents (conf, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar *line = g_strstrip (lines[i]);
    gchar *path, *end;

    if (!g_str_has_prefix (line, "load_module"))
      continue;
    path = g_strchug (line + strlen ("load_module"));
    end = strchr (path, ';');
    if (end != NULL)
      *end = '\0';
    g_strchomp (path);
    if (strstr (path, "rtmp") == NULL)
      continue;
    if (g_path_is_absolute (path))
      return g_strdup (path);
    return g_build_filename (NGINX_PREFIX, path, NULL);
  }
  return NULL;
}

static gchar *
module_from_conf_dir (const gchar *dir_path)
{
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  const gchar *name;
  gchar *found = NULL;

  if (dir == NULL)
    return NULL;
  while (found == NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *conf = NULL;
    g_autofree gchar *path = NULL;

    if (strstr (name, "rtmp") == NULL || !g_str_has_suffix (name, ".conf"))
      continue;
    conf = g_build_filename (dir_path, name, NULL);
    path = module_from_conf (conf);
    if (path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR))
      found = g_steal_pointer (&path);
  }
  g_dir_close (dir);
  return found;
}

gchar *
rtmp_external_find_nginx_rtmp_module (GError **error)
{
  static const gchar *const module_dirs[] = {
    "/usr/lib/nginx/modules",
    NGINX_PREFIX "/modules",
  };
  static const gchar *const conf_dirs[] = {
    NGINX_PREFIX "/modules-available",
    "/etc/nginx/modules-enabled",
  };
  const gchar *override = g_getenv ("RTMP_TEST_NGINX_RTMP_MODULE");
  gchar *path;
  guint i;

  if (override != NULL) {
    if (g_file_test (override, G_FILE_TEST_IS_REGULAR))
      return g_strdup (override);
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_MISSING,
        "RTMP_TEST_NGINX_RTMP_MODULE is %s, which is not a file", override);
    return NULL;
  }
  for (i = 0; i < G_N_ELEMENTS (module_dirs); i++) {
    path = g_build_filename (module_dirs[i], NGINX_RTMP_MODULE, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      return path;
    g_free (path);
  }
  for (i = 0; i < G_N_ELEMENTS (conf_dirs); i++) {
    path = module_from_conf_dir (conf_dirs[i]);
    if (path != NULL)
      return path;
  }
  g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_MISSING,
      "the nginx RTMP module (" NGINX_RTMP_MODULE ") is not installed: "
      "not in /usr/lib/nginx/modules nor " NGINX_PREFIX "/modules, and no "
      "load_module line in " NGINX_PREFIX "/modules-available; install the "
      "Debian package libnginx-mod-rtmp (apt-get install libnginx-mod-rtmp, "
      "or run scripts/setup)");
  return NULL;
}

/* @text with every "@DIR@" replaced by @dir (nullable) */
static gchar *
substitute_dir (const gchar *text, const gchar *dir)
{
  g_auto (GStrv) parts = NULL;

  if (text == NULL)
    return NULL;
  parts = g_strsplit (text, "@DIR@", -1);
  return g_strjoinv (dir, parts);
}

static gboolean
make_dir (const gchar *parent, const gchar *name, gchar **path_out,
    GError **error)
{
  g_autofree gchar *path = g_build_filename (parent, name, NULL);

  if (g_mkdir (path, 0755) != 0) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_SPAWN,
        "cannot create %s: %s", path, g_strerror (errno));
    return FALSE;
  }
  if (path_out != NULL)
    *path_out = g_steal_pointer (&path);
  return TRUE;
}

static gchar *
nginx_config_text (const RtmpExternalNginx *self)
{
  GString *conf = g_string_new (NULL);

  g_string_append_printf (conf,
      "# written by tests/common/rtmpexternal.c\n"
      "load_module %s;\n"
      "daemon off;\n"
      "master_process on;\n"
      "worker_processes 1;\n"
      "error_log %s info;\n"
      "pid %s/nginx.pid;\n",
      self->module_path, self->error_log_path, self->dir);
  /* A root master switches its workers to "nobody", who could read neither
   * the temporary directory (0700) nor a record directory in it: keep them
   * as the user running the tests. */
  if (geteuid () == 0) {
    struct passwd *user = getpwuid (geteuid ());
    struct group *group = getgrgid (getegid ());

    if (user != NULL && group != NULL)
      g_string_append_printf (conf, "user %s %s;\n", user->pw_name,
          group->gr_name);
  }
  g_string_append_printf (conf,
      "events {\n"
      "  worker_connections 256;\n"
      "}\n"
      "rtmp {\n"
      "  server {\n"
      "    listen 127.0.0.1:%u;\n"
      "    chunk_size %u;\n"
      "    application live {\n"
      "      live on;\n"
      "      record off;\n"
      "%s%s%s"
      "    }\n"
      "    application vod {\n"
      "      play %s;\n"
      "    }\n"
      "%s%s%s"
      "  }\n"
      "%s%s%s"
      "}\n"
      "%s%s",
      self->port, self->chunk_size, self->live_directives ? "      " : "",
      self->live_directives ? self->live_directives : "",
      self->live_directives ? "\n" : "", self->vod_dir,
      self->server_directives ? "    " : "",
      self->server_directives ? self->server_directives : "",
      self->server_directives ? "\n" : "", self->rtmp_directives ? "  " : "",
      self->rtmp_directives ? self->rtmp_directives : "",
      self->rtmp_directives ? "\n" : "",
      self->main_directives ? self->main_directives : "",
      self->main_directives ? "\n" : "");
  return g_string_free (conf, FALSE);
}

static gboolean
nginx_spawn (RtmpExternalNginx *self, GError **error)
{
  g_autofree gchar *prefix = g_strconcat (self->dir, "/", NULL);
  g_autofree gchar *stdout_path = NULL;
  g_autofree gchar *stderr_path = NULL;
  const gchar *argv[] = { self->nginx_path, "-p", prefix, "-c", self->conf_path,
    "-e", self->error_log_path, NULL };
  RtmpExternalSpawnOptions options = {
    .argv = argv,
    .working_dir = self->dir,
  };
  GError *wait_error = NULL;

  stdout_path = g_build_filename (self->dir, "nginx.stdout", NULL);
  stderr_path = g_build_filename (self->dir, "nginx.stderr", NULL);
  options.stdout_path = stdout_path;
  options.stderr_path = stderr_path;

  self->process = rtmp_external_process_start_full (&options, error);
  if (self->process == NULL)
    return FALSE;

  if (!rtmp_external_wait_for_port (self->port, self->process,
          NGINX_START_TIMEOUT_MS, &wait_error)) {
    g_autofree gchar *log = rtmp_external_nginx_dup_error_log (self);

    rtmp_external_nginx_stop (self);
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_NOT_READY,
        "nginx (config %s) did not start: %s\nnginx's error log:\n%s",
        self->conf_path, wait_error->message,
        log[0] ? text_tail (log, LOG_TAIL_LINES) : "(empty)\n");
    g_error_free (wait_error);
    return FALSE;
  }
  return TRUE;
}

RtmpExternalNginx *
rtmp_external_nginx_start (const RtmpExternalNginxConfig *config,
    GError **error)
{
  g_autoptr (RtmpExternalNginx) self = NULL;
  g_autofree gchar *conf = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_new0 (RtmpExternalNginx, 1);
  self->port = config->port;
  self->chunk_size = config->chunk_size ? config->chunk_size : 4096;
  self->nginx_path = rtmp_external_find_program ("nginx");
  if (self->nginx_path == NULL) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_MISSING,
        "nginx is not installed (looked in %s): install the Debian packages "
        "nginx and libnginx-mod-rtmp (apt-get install nginx "
        "libnginx-mod-rtmp, or run scripts/setup)",
        program_search_path ());
    return NULL;
  }
  self->module_path = rtmp_external_find_nginx_rtmp_module (error);
  if (self->module_path == NULL)
    return NULL;

  self->dir = rtmp_external_make_temp_dir ("nginx", error);
  if (self->dir == NULL)
    return NULL;
  self->live_directives = substitute_dir (config->live_directives, self->dir);
  self->server_directives
      = substitute_dir (config->server_directives, self->dir);
  self->rtmp_directives = substitute_dir (config->rtmp_directives, self->dir);
  self->main_directives = substitute_dir (config->main_directives, self->dir);
  if (!make_dir (self->dir, "record", NULL, error))
    return NULL;
  if (config->vod_dir != NULL)
    self->vod_dir = g_strdup (config->vod_dir);
  else if (!make_dir (self->dir, "vod", &self->vod_dir, error))
    return NULL;
  self->conf_path = g_build_filename (self->dir, "nginx.conf", NULL);
  self->error_log_path = g_build_filename (self->dir, "error.log", NULL);

  if (self->port == 0) {
    self->port = rtmp_external_pick_port (error);
    if (self->port == 0)
      return NULL;
  }

  conf = nginx_config_text (self);
  if (!g_file_set_contents (self->conf_path, conf, -1, error))
    return NULL;
  if (!nginx_spawn (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
rtmp_external_nginx_stop (RtmpExternalNginx *self)
{
  if (self->process == NULL)
    return;
  rtmp_external_process_stop (self->process, NGINX_GRACE_MS);
  g_clear_pointer (&self->process, rtmp_external_process_free);
}

gboolean
rtmp_external_nginx_restart (RtmpExternalNginx *self, GError **error)
{
  rtmp_external_nginx_stop (self);
  return nginx_spawn (self, error);
}

void
rtmp_external_nginx_free (RtmpExternalNginx *self)
{
  if (self == NULL)
    return;
  rtmp_external_nginx_stop (self);
  if (self->dir != NULL)
    rtmp_external_remove_tree (self->dir);
  g_free (self->live_directives);
  g_free (self->vod_dir);
  g_free (self->server_directives);
  g_free (self->rtmp_directives);
  g_free (self->main_directives);
  g_free (self->nginx_path);
  g_free (self->module_path);
  g_free (self->dir);
  g_free (self->conf_path);
  g_free (self->error_log_path);
  g_free (self);
}

guint16
rtmp_external_nginx_get_port (const RtmpExternalNginx *self)
{
  return self->port;
}

GPid
rtmp_external_nginx_get_pid (const RtmpExternalNginx *self)
{
  return self->process ? rtmp_external_process_get_pid (self->process) : 0;
}

const gchar *
rtmp_external_nginx_get_dir (const RtmpExternalNginx *self)
{
  return self->dir;
}

gchar *
rtmp_external_nginx_dup_url (const RtmpExternalNginx *self, const gchar *app,
    const gchar *stream)
{
  if (stream == NULL)
    return g_strdup_printf ("rtmp://127.0.0.1:%u/%s", self->port, app);
  return g_strdup_printf ("rtmp://127.0.0.1:%u/%s/%s", self->port, app, stream);
}

gchar *
rtmp_external_nginx_dup_error_log (const RtmpExternalNginx *self)
{
  return read_text (self->error_log_path);
}

/* --- stunnel --- */

gboolean
rtmp_external_make_certificate (const gchar *dir, gchar **cert_path,
    gchar **key_path, GError **error)
{
  g_autofree gchar *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree gchar *key = g_build_filename (dir, "key.pem", NULL);
  const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
    "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout", key, "-out", cert, NULL };

  if (!rtmp_external_run (argv, 30000, NULL, NULL, error))
    return FALSE;
  *cert_path = g_steal_pointer (&cert);
  *key_path = g_steal_pointer (&key);
  return TRUE;
}

RtmpExternalProcess *
rtmp_external_stunnel_start (const gchar *cert_file, const gchar *key_file,
    guint16 accept_port, guint16 connect_port, GError **error)
{
  g_autofree gchar *program = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *conf_path = NULL;
  g_autofree gchar *conf = NULL;
  g_autoptr (RtmpExternalProcess) process = NULL;
  const gchar *argv[3] = { NULL, NULL, NULL };

  program = rtmp_external_find_program ("stunnel4");
  if (program == NULL)
    program = rtmp_external_find_program ("stunnel");
  if (program == NULL) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_MISSING,
        "stunnel is not installed (looked in %s): install the Debian package "
        "stunnel4 (apt-get install stunnel4, or run scripts/setup)",
        program_search_path ());
    return NULL;
  }

  /* the config goes next to its log, in a directory of its own that lives
   * as long as the test needs it: removed with the process's below */
  dir = rtmp_external_make_temp_dir ("stunnel-config", error);
  if (dir == NULL)
    return NULL;
  conf_path = g_build_filename (dir, "stunnel.conf", NULL);
  conf = g_strdup_printf ("; written by tests/common/rtmpexternal.c\n"
                          "foreground = yes\n"
                          "syslog = no\n"
                          "pid =\n"
                          "debug = notice\n"
                          "[rtmps]\n"
                          "accept = 127.0.0.1:%u\n"
                          "connect = 127.0.0.1:%u\n"
                          "cert = %s\n"
                          "key = %s\n",
      accept_port, connect_port, cert_file, key_file);
  if (!g_file_set_contents (conf_path, conf, -1, error)) {
    rtmp_external_remove_tree (dir);
    return NULL;
  }

  argv[0] = program;
  argv[1] = conf_path;
  process = rtmp_external_process_start (argv, error);
  if (process == NULL) {
    rtmp_external_remove_tree (dir);
    return NULL;
  }
  /* stunnel has read its config once it listens; the file may go then, and
   * must go with the process in any case */
  if (!rtmp_external_wait_for_port (accept_port, process,
          STUNNEL_START_TIMEOUT_MS, error)) {
    rtmp_external_remove_tree (dir);
    return NULL;
  }
  rtmp_external_remove_tree (dir);
  return g_steal_pointer (&process);
}

/* --- ffprobe --- */

static void
probe_add_pts (gboolean *has_pts, gdouble *first, gdouble *last, gdouble pts)
{
  if (!*has_pts) {
    *has_pts = TRUE;
    *first = *last = pts;
    return;
  }
  *first = MIN (*first, pts);
  *last = MAX (*last, pts);
}

/* One line "codec_type=video,stream_index=0,pts_time=0.067000,flags=K_" */
static gboolean
probe_add_line (RtmpExternalProbe *probe, const gchar *line, GError **error)
{
  g_auto (GStrv) fields = g_strsplit (line, ",", -1);
  const gchar *codec_type = NULL, *flags = NULL, *pts_text = NULL;
  gint64 index = -1;
  gboolean has_pts = FALSE;
  gdouble pts = 0;
  gboolean is_key;
  guint i;

  for (i = 0; fields[i] != NULL; i++) {
    gchar *eq = strchr (fields[i], '=');

    if (eq == NULL)
      continue;
    *eq = '\0';
    if (g_str_equal (fields[i], "codec_type"))
      codec_type = eq + 1;
    else if (g_str_equal (fields[i], "stream_index"))
      index = g_ascii_strtoll (eq + 1, NULL, 10);
    else if (g_str_equal (fields[i], "pts_time"))
      pts_text = eq + 1;
    else if (g_str_equal (fields[i], "flags"))
      flags = eq + 1;
  }
  if (codec_type == NULL || index < 0) {
    g_set_error (error, RTMP_EXTERNAL_ERROR, RTMP_EXTERNAL_ERROR_OUTPUT,
        "ffprobe printed a packet line without codec_type or stream_index: "
        "\"%s\"",
        line);
    return FALSE;
  }
  if (pts_text != NULL && !g_str_equal (pts_text, "N/A")) {
    gchar *end;

    pts = g_ascii_strtod (pts_text, &end);
    has_pts = end != pts_text;
  }
  is_key = flags != NULL && strchr (flags, 'K') != NULL;

  if (g_str_equal (codec_type, "video")) {
    probe->n_video_packets++;
    if (is_key)
      probe->n_video_key_packets++;
  } else if (g_str_equal (codec_type, "audio")) {
    probe->n_audio_packets++;
  }
  if (has_pts)
    probe_add_pts (&probe->has_pts, &probe->first_pts_s, &probe->last_pts_s,
        pts);

  if (index < RTMP_EXTERNAL_PROBE_MAX_STREAMS) {
    RtmpExternalProbeStream *stream = &probe->streams[index];

    probe->n_streams = MAX (probe->n_streams, (guint) index + 1);
    g_strlcpy (stream->codec_type, codec_type, sizeof (stream->codec_type));
    stream->n_packets++;
    if (is_key)
      stream->n_key_packets++;
    if (has_pts)
      probe_add_pts (&stream->has_pts, &stream->first_pts_s,
          &stream->last_pts_s, pts);
  } else {
    probe->n_other_packets++;
  }
  return TRUE;
}

gboolean
rtmp_external_ffprobe (const gchar *input, gdouble max_seconds,
    guint timeout_ms, RtmpExternalProbe *probe, GError **error)
{
  g_autofree gchar *interval = NULL;
  g_autofree gchar *out = NULL;
  g_auto (GStrv) lines = NULL;
  const gchar *argv[12];
  guint n = 0, i;

  memset (probe, 0, sizeof (*probe));
  argv[n++] = "ffprobe";
  argv[n++] = "-v";
  argv[n++] = "error";
  if (max_seconds > 0) {
    gchar number[G_ASCII_DTOSTR_BUF_SIZE];

    interval = g_strconcat ("%+",
        g_ascii_dtostr (number, sizeof (number), max_seconds), NULL);
    argv[n++] = "-read_intervals";
    argv[n++] = interval;
  }
  argv[n++] = "-show_entries";
  argv[n++] = "packet=stream_index,codec_type,pts_time,flags";
  argv[n++] = "-of";
  argv[n++] = "csv=p=0:nk=0";
  argv[n++] = input;
  argv[n] = NULL;

  if (!rtmp_external_run (argv, timeout_ms, &out, NULL, error)) {
    g_prefix_error (error, "ffprobe %s: ", input);
    return FALSE;
  }
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    g_strstrip (lines[i]);
    if (lines[i][0] == '\0')
      continue;
    if (!probe_add_line (probe, lines[i], error))
      return FALSE;
  }
  return TRUE;
}
