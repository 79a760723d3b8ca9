/*
 * serve.c — `hub-serve`, a small static file server for the PWA (native, libmicrohttpd).
 * Any static host works for hub; this one exists so `make run` and the browser tests need
 * nothing else. Serves one directory on 127.0.0.1 with the right MIME types (wasm needs
 * application/wasm), no directory listings, no paths outside the root.
 *
 *   hub-serve --root DIR [--port N] [--port-file F]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>

static const char *root = ".";
static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static const char *mime_of(const char *path) {
  static const struct { const char *ext, *type; } m[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".wasm", "application/wasm"}, {".json", "application/json"},
      {".webmanifest", "application/manifest+json"}, {".png", "image/png"},
      {".svg", "image/svg+xml"}, {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"},
  };
  const char *dot = strrchr(path, '.');
  size_t i;
  for (i = 0; dot && i < sizeof m / sizeof m[0]; i++)
    if (strcmp(dot, m[i].ext) == 0) return m[i].type;
  return "application/octet-stream";
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned code, const char *text) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
                                                           MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ret;
  MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
  ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **state) {
  char path[4096];
  struct stat st;
  struct MHD_Response *r;
  enum MHD_Result ret;
  int fd;
  (void)cls; (void)version; (void)data; (void)data_size; (void)state;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
  if (url[0] != '/' || strstr(url, "..") || strchr(url, '\\'))
    return reply_text(c, MHD_HTTP_BAD_REQUEST, "bad path\n");
  snprintf(path, sizeof path, "%s%s%s", root, url, url[strlen(url) - 1] == '/' ? "index.html" : "");
  fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) close(fd);
    return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
  }
  r = MHD_create_response_from_fd((size_t)st.st_size, fd);
  if (!r) {
    close(fd);
    return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read\n");
  }
  MHD_add_response_header(r, "Content-Type", mime_of(path));
  MHD_add_response_header(r, "Cache-Control", "no-cache");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  ret = MHD_queue_response(c, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ret;
}

int main(int argc, char **argv) {
  unsigned port = 0;
  const char *port_file = NULL;
  struct MHD_Daemon *d;
  const union MHD_DaemonInfo *info;
  struct sockaddr_in addr;
  int i;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) root = argv[++i];
    else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = (unsigned)atoi(argv[++i]);
    else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) port_file = argv[++i];
    else {
      fprintf(stderr, "usage: hub-serve --root DIR [--port N] [--port-file F]\n");
      return 2;
    }
  }
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(0x7f000001); /* 127.0.0.1 only */
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, (uint16_t)port,
                       NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "hub-serve: cannot listen on 127.0.0.1:%u: %s\n", port, strerror(errno));
    return 1;
  }
  info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  port = info ? info->port : port;
  if (port_file) {
    FILE *f = fopen(port_file, "w");
    if (f) {
      fprintf(f, "%u\n", port);
      fclose(f);
    }
  }
  printf("serving %s on http://127.0.0.1:%u/\n", root, port);
  fflush(stdout);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  while (!stop) pause();
  MHD_stop_daemon(d);
  return 0;
}
