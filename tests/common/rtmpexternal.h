/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Real peers for integration tests: free loopback ports, nginx with
 * libnginx-mod-rtmp from a config written into a fresh temporary directory,
 * and any other program (ffmpeg, ffprobe, rtmpdump, gst-launch-1.0, stunnel)
 * run by argv, all on 127.0.0.1, stopped by pid and always reaped. */

#ifndef __RTMP_EXTERNAL_H__
#define __RTMP_EXTERNAL_H__

#include <gio/gio.h>

G_BEGIN_DECLS

#define RTMP_EXTERNAL_ERROR (rtmp_external_error_quark ())

typedef enum
{
  RTMP_EXTERNAL_ERROR_MISSING,   /* a program or module is not installed */
  RTMP_EXTERNAL_ERROR_SPAWN,     /* the program could not be started */
  RTMP_EXTERNAL_ERROR_NOT_READY, /* no connection accepted in time, or the
                                  * server exited first */
  RTMP_EXTERNAL_ERROR_FAILED,    /* exited with a nonzero status or a signal */
  RTMP_EXTERNAL_ERROR_TIMEOUT,   /* still running at its deadline: killed */
  RTMP_EXTERNAL_ERROR_OUTPUT,    /* its output could not be understood */
} RtmpExternalError;

GQuark rtmp_external_error_quark (void);

/* --- programs --- */

/* Where programs are looked up: the directories of $RTMP_TEST_PROGRAM_PATH
 * when it is set (tests set it to prove that a missing peer fails them),
 * else $PATH and then /usr/local/sbin, /usr/sbin and /sbin (nginx lives in
 * /usr/sbin, which a normal user's PATH lacks on Debian). (transfer full):
 * the absolute path, NULL when absent. */
gchar *rtmp_external_find_program (const gchar *program);

/* Fails the current test (ck_abort_msg), naming the Debian @package to
 * install, unless @program is found. A missing peer is a failure, never a
 * skip. (transfer full): the absolute path. */
gchar *rtmp_external_require_program (const gchar *program,
    const gchar *package);

/* --- temporary directories --- */

/* A new directory "@prefix-XXXXXX" (mode 0700) inside one directory per
 * test program, g_get_tmp_dir ()/rtmp-tests-PID, which is removed with all
 * it holds when the program exits: so even a test that fails before its
 * cleanup (check ends it with _exit () in its forked child) leaves nothing
 * behind. Every directory this file creates is made this way. Remove it
 * earlier with rtmp_external_remove_tree () when it is done with.
 * (transfer full): the path. */
gchar *rtmp_external_make_temp_dir (const gchar *prefix, GError **error);
/* Removes @path and everything below it (symbolic links are not followed) */
void rtmp_external_remove_tree (const gchar *path);

/* --- ports --- */

/* A TCP port that was free on 127.0.0.1 a moment ago (bound to port 0, read
 * back, closed: another process may take it in between, a race the tests
 * accept). 0 and @error when no socket could be bound. */
guint16 rtmp_external_pick_port (GError **error);

/* --- processes --- */

typedef struct _RtmpExternalProcess RtmpExternalProcess;

typedef enum
{
  RTMP_EXTERNAL_STATUS_RUNNING,
  RTMP_EXTERNAL_STATUS_EXITED,    /* exited by itself (see exit code) */
  RTMP_EXTERNAL_STATUS_SIGNALED,  /* killed by a signal not ours */
  RTMP_EXTERNAL_STATUS_TIMED_OUT, /* killed by us when a wait timed out */
  RTMP_EXTERNAL_STATUS_STOPPED,   /* stopped by us (rtmp_external_process_stop
                                   * or _free) */
} RtmpExternalStatus;

typedef struct
{
  /* argv[0] is looked up with rtmp_external_find_program () unless it is
   * a path */
  const gchar *const *argv;
  /* (nullable) "NAME=VALUE" entries set on top of our environment */
  const gchar *const *env;
  const gchar *working_dir; /* (nullable) */
  /* (nullable) files that receive the output (truncated); NULL: a file in
   * the process's own temporary directory, removed by _free */
  const gchar *stdout_path;
  const gchar *stderr_path;
} RtmpExternalSpawnOptions;

/* Starts @argv with stdin from /dev/null and stdout/stderr captured to files
 * (no pipe can fill up and block it). The child gets SIGKILL if the thread
 * that started it dies (PR_SET_PDEATHSIG), so a crashed test leaves nothing
 * behind; start processes from the test's main thread. */
RtmpExternalProcess *rtmp_external_process_start (const gchar *const *argv,
    GError **error);
RtmpExternalProcess *rtmp_external_process_start_full (
    const RtmpExternalSpawnOptions *options, GError **error);

/* Stops the process if it still runs (SIGTERM, then SIGKILL to it and its
 * children after 3 s), reaps it and removes its temporary directory. */
void rtmp_external_process_free (RtmpExternalProcess *process);

/* The program's base name, for messages */
const gchar *rtmp_external_process_get_name (
    const RtmpExternalProcess *process);
GPid rtmp_external_process_get_pid (const RtmpExternalProcess *process);

/* Reaps the process if it has exited (never blocks) */
gboolean rtmp_external_process_is_running (RtmpExternalProcess *process);
RtmpExternalStatus rtmp_external_process_get_status (
    RtmpExternalProcess *process);
/* The exit code whenever the process exited normally (also after our
 * SIGTERM), else -1 */
gint rtmp_external_process_get_exit_code (const RtmpExternalProcess *process);
/* The signal that ended it once SIGNALED, TIMED_OUT or STOPPED (0 when it
 * exited by itself after our SIGTERM) */
gint rtmp_external_process_get_signal (const RtmpExternalProcess *process);

/* Waits up to @timeout_ms for the process to exit; when it is still running
 * then, stops it (SIGTERM, SIGKILL after 3 s) and returns TIMED_OUT. */
RtmpExternalStatus rtmp_external_process_wait (RtmpExternalProcess *process,
    guint timeout_ms);
/* rtmp_external_process_wait (), then TRUE only for exit code 0; otherwise
 * @error says what happened, with the end of its stderr. */
gboolean rtmp_external_process_wait_success (RtmpExternalProcess *process,
    guint timeout_ms, GError **error);
/* SIGTERM, then after @grace_ms SIGKILL to the process and to the children
 * it has (nginx's workers); always reaps. Nothing when it already exited. */
void rtmp_external_process_stop (RtmpExternalProcess *process, guint grace_ms);

const gchar *rtmp_external_process_get_stdout_path (
    const RtmpExternalProcess *process);
const gchar *rtmp_external_process_get_stderr_path (
    const RtmpExternalProcess *process);
/* (transfer full): what the process wrote so far ("" when nothing) */
gchar *rtmp_external_process_dup_stdout (const RtmpExternalProcess *process);
gchar *rtmp_external_process_dup_stderr (const RtmpExternalProcess *process);
/* (transfer full): "ffmpeg (pid 42) exited with status 1" and the last lines
 * of its stderr, for failure messages */
gchar *rtmp_external_process_describe (RtmpExternalProcess *process);

/* Runs @argv to completion: TRUE when it exits 0 within @timeout_ms.
 * @stdout_text, @stderr_text (nullable, transfer full): its output. */
gboolean rtmp_external_run (const gchar *const *argv, guint timeout_ms,
    gchar **stdout_text, gchar **stderr_text, GError **error);

/* Waits until 127.0.0.1:@port accepts a TCP connection (polled every
 * 20 ms). @process (nullable): the server expected to listen there; its
 * exit ends the wait at once with an error quoting its stderr. */
gboolean rtmp_external_wait_for_port (guint16 port,
    RtmpExternalProcess *process, guint timeout_ms, GError **error);

/* --- nginx with libnginx-mod-rtmp --- */

/* The directives of the generated config:
 *
 *   load_module <module>;  daemon off;  master_process on;
 *   error_log <dir>/error.log info;  pid <dir>/nginx.pid;  events {}
 *   rtmp {
 *     server {
 *       listen 127.0.0.1:<port>;  chunk_size <chunk_size>;
 *       application live { live on; record off; <live_directives> }
 *       application vod { play <vod_dir>; }
 *       <server_directives>
 *     }
 *     <rtmp_directives>
 *   }
 *   <main_directives>
 *
 * and no http block. The strings are copied; "@DIR@" in the directives
 * stands for the temporary directory, which holds an empty "record"
 * directory for record_path. */
typedef struct
{
  guint16 port;       /* 0: rtmp_external_pick_port () */
  guint32 chunk_size; /* 0: 4096 */
  /* (nullable) directives added to application live, e.g.
   * "wait_key on; drop_idle_publisher 2s;" */
  const gchar *live_directives;
  /* (nullable) the directory application vod plays from; NULL: <dir>/vod,
   * created empty */
  const gchar *vod_dir;
  /* (nullable) more applications, e.g. "application rec { live on;
   * record all; record_path @DIR@/record; }" */
  const gchar *server_directives;
  const gchar *rtmp_directives; /* (nullable) */
  const gchar *main_directives; /* (nullable) */
} RtmpExternalNginxConfig;

void rtmp_external_nginx_config_init (RtmpExternalNginxConfig *config);

typedef struct _RtmpExternalNginx RtmpExternalNginx;

/* The module's path: $RTMP_TEST_NGINX_RTMP_MODULE when set; else
 * ngx_rtmp_module.so in /usr/lib/nginx/modules (Debian's --modules-path) or
 * /usr/share/nginx/modules; else the load_module line of a *rtmp*.conf in
 * /usr/share/nginx/modules-available or /etc/nginx/modules-enabled
 * (relative paths are relative to Debian's prefix /usr/share/nginx).
 * (transfer full); NULL and RTMP_EXTERNAL_ERROR_MISSING naming
 * libnginx-mod-rtmp. */
gchar *rtmp_external_find_nginx_rtmp_module (GError **error);

/* Writes the config into a fresh temporary directory, starts nginx (no
 * shell) and waits up to 10 s until the port accepts connections. The
 * error quotes nginx's error log when it does not. */
RtmpExternalNginx *rtmp_external_nginx_start (
    const RtmpExternalNginxConfig *config, GError **error);
/* Stops nginx (SIGTERM, SIGKILL to the master and its workers after 5 s)
 * and reaps it; the directory stays until _free. */
void rtmp_external_nginx_stop (RtmpExternalNginx *nginx);
/* Stops nginx and starts it again with the same config on the same port
 * (for reconnection tests). */
gboolean rtmp_external_nginx_restart (RtmpExternalNginx *nginx, GError **error);
/* Stops nginx and removes its directory */
void rtmp_external_nginx_free (RtmpExternalNginx *nginx);

guint16 rtmp_external_nginx_get_port (const RtmpExternalNginx *nginx);
/* The master's pid, 0 when stopped */
GPid rtmp_external_nginx_get_pid (const RtmpExternalNginx *nginx);
/* The temporary directory ("@DIR@"): nginx.conf, error.log, record/ and
 * (without a vod_dir) vod/ */
const gchar *rtmp_external_nginx_get_dir (const RtmpExternalNginx *nginx);
/* (transfer full): "rtmp://127.0.0.1:PORT/@app" or ".../@app/@stream" */
gchar *rtmp_external_nginx_dup_url (const RtmpExternalNginx *nginx,
    const gchar *app, const gchar *stream);
/* (transfer full): error.log so far */
gchar *rtmp_external_nginx_dup_error_log (const RtmpExternalNginx *nginx);

/* --- stunnel --- */

/* Writes a self-signed certificate and its key (PEM, CN=localhost,
 * subjectAltName IP 127.0.0.1 and DNS localhost) into @dir with the openssl
 * command: cert.pem and key.pem. @cert_path, @key_path (transfer full). */
gboolean rtmp_external_make_certificate (const gchar *dir, gchar **cert_path,
    gchar **key_path, GError **error);

/* Starts stunnel as a TLS server on 127.0.0.1:@accept_port (with @cert_file
 * and @key_file, PEM) forwarding the plain bytes to 127.0.0.1:@connect_port,
 * and waits until it accepts connections. Its config and log live in the
 * process's temporary directory; the log is its stderr. */
RtmpExternalProcess *rtmp_external_stunnel_start (const gchar *cert_file,
    const gchar *key_file, guint16 accept_port, guint16 connect_port,
    GError **error);

/* --- ffprobe --- */

#define RTMP_EXTERNAL_PROBE_MAX_STREAMS 8

typedef struct
{
  gchar codec_type[16]; /* "video", "audio", "data"... */
  guint n_packets;
  guint n_key_packets;
  gboolean has_pts;
  gdouble first_pts_s, last_pts_s; /* lowest and highest pts, seconds */
} RtmpExternalProbeStream;

typedef struct
{
  guint n_streams; /* streams seen in packets (indices above the maximum are
                    * counted in n_other_packets) */
  RtmpExternalProbeStream streams[RTMP_EXTERNAL_PROBE_MAX_STREAMS];
  guint n_other_packets;
  /* over all streams of each type */
  guint n_video_packets, n_audio_packets, n_video_key_packets;
  gboolean has_pts;
  gdouble first_pts_s, last_pts_s;
} RtmpExternalProbe;

/* Runs `ffprobe -v error -show_entries
 * packet=stream_index,codec_type,pts_time,flags -of csv=p=0:nk=0 @input`
 * (a file or an rtmp:// URL; @max_seconds > 0 adds -read_intervals
 * %+@max_seconds) and counts its packets. Packets, not frames: ffprobe then
 * reports what the container carried without decoding, so a frame a decoder
 * would drop or delay is still counted, and "K" is the FLV frame type (for
 * FLV and RTMP one packet is one audio or video tag/message; sequence
 * headers, end-of-sequence tags and script data are not packets). Fails
 * when ffprobe fails or does not finish within @timeout_ms. */
gboolean rtmp_external_ffprobe (const gchar *input, gdouble max_seconds,
    guint timeout_ms, RtmpExternalProbe *probe, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpExternalProcess, rtmp_external_process_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpExternalNginx, rtmp_external_nginx_free)

G_END_DECLS

#endif /* __RTMP_EXTERNAL_H__ */
