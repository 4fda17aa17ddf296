/*
 * The open-loop generator's sender and receiver in C (test/bench/open-loop.ts builds the
 * packets, compiles this with the system's cc, runs it and checks every reply).
 *
 * Written in C because the same loop in Node cost the client 35-95 us of CPU per request: on a
 * two-core machine that took the core the server under test needed, and its own event loop
 * added milliseconds to the round trips it measured. Here one thread sends each request at its
 * due time (clock_nanosleep to the nanosecond, no polling) and another reads replies with
 * epoll, so the figures are the server's.
 *
 * usage: open-loop <packets> <port> <rate> <sockets> <timeout-ms> <out>
 *   packets: for each request, a 2-octet big-endian length and the datagram; request i is sent
 *   on socket i % sockets (the caller gave it Identifier (i / sockets) % 256).
 *   out: header (u32 requests, u32 replies, u64 CPU us, u32 send errors, u32 unmatched), then
 *   an i64 send lag (ns behind schedule) per request, then per reply: u32 request index,
 *   i64 round trip ns, u16 length, the datagram. All little-endian (this host's order).
 * Only 127.0.0.1 is ever addressed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DATAGRAM 4096

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The kernel stamps received datagrams with CLOCK_REALTIME (SO_TIMESTAMPNS, socket(7)). */
static int64_t wall_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

struct reply {
  uint32_t index;
  int64_t rtt;
  int64_t rtt_kernel;
  uint16_t length;
  uint8_t *bytes;
};

static int nsockets;
static int *fds;
static int64_t *sent_at;            /* per request, 0 = not yet sent */
static int64_t *sent_wall;          /* per request, CLOCK_REALTIME just before send() */
static _Atomic int32_t *outstanding; /* per (socket, Identifier): request index or -1 */
static struct reply *replies;
static uint32_t nreplies, unmatched;
static uint32_t total;
static atomic_int sending_done;
static atomic_llong receive_until;

static void *receiver(void *arg) {
  (void)arg;
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  for (int s = 0; s < nsockets; s++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[s], &ev) < 0) die("epoll_ctl");
  }
  struct epoll_event events[256];
  uint8_t buf[MAX_DATAGRAM];
  union {
    char space[CMSG_SPACE(sizeof(struct timespec))];
    struct cmsghdr align;
  } control;
  for (;;) {
    if (atomic_load(&sending_done) && now_ns() > atomic_load(&receive_until)) break;
    int n = epoll_wait(ep, events, 256, 5);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int e = 0; e < n; e++) {
      int s = (int)events[e].data.u32;
      for (;;) {
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space};
        ssize_t len = recvmsg(fds[s], &msg, 0);
        if (len < 0) break; /* EAGAIN: this socket is drained */
        int64_t t = now_ns();
        int64_t kernel_at = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            kernel_at = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
          }
        }
        if (len < 20) {
          unmatched++;
          continue;
        }
        int32_t i = atomic_exchange(&outstanding[s * 256 + buf[1]], -1);
        if (i < 0 || nreplies >= total) {
          unmatched++;
          continue;
        }
        struct reply *r = &replies[nreplies++];
        r->index = (uint32_t)i;
        r->rtt = t - sent_at[i];
        r->rtt_kernel = kernel_at < 0 ? -1 : kernel_at - sent_wall[i];
        r->length = (uint16_t)len;
        r->bytes = malloc((size_t)len);
        if (r->bytes == NULL) die("malloc");
        memcpy(r->bytes, buf, (size_t)len);
      }
    }
  }
  close(ep);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s <packets> <port> <rate> <sockets> <timeout-ms> <out>\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[2]);
  double rate = atof(argv[3]);
  nsockets = atoi(argv[4]);
  int64_t timeout_ns = (int64_t)atoll(argv[5]) * 1000000LL;
  if (port <= 0 || port > 65535 || rate <= 0 || nsockets <= 0 || timeout_ns <= 0) {
    fprintf(stderr, "open-loop: bad arguments\n");
    return 2;
  }

  FILE *in = fopen(argv[1], "rb");
  if (in == NULL) die(argv[1]);
  fseek(in, 0, SEEK_END);
  long size = ftell(in);
  fseek(in, 0, SEEK_SET);
  uint8_t *data = malloc((size_t)size);
  if (data == NULL || fread(data, 1, (size_t)size, in) != (size_t)size) die("read packets");
  fclose(in);
  for (long off = 0; off + 2 <= size; total++) off += 2 + ((data[off] << 8) | data[off + 1]);
  uint8_t **packets = calloc(total, sizeof *packets);
  uint16_t *lengths = calloc(total, sizeof *lengths);
  int64_t *lag = calloc(total, sizeof *lag);
  sent_at = calloc(total, sizeof *sent_at);
  sent_wall = calloc(total, sizeof *sent_wall);
  replies = calloc(total, sizeof *replies);
  outstanding = malloc(sizeof *outstanding * (size_t)nsockets * 256);
  fds = calloc((size_t)nsockets, sizeof *fds);
  if (!packets || !lengths || !lag || !sent_at || !sent_wall || !replies || !outstanding || !fds) die("calloc");
  long off = 0;
  for (uint32_t i = 0; i < total; i++) {
    lengths[i] = (uint16_t)((data[off] << 8) | data[off + 1]);
    packets[i] = data + off + 2;
    off += 2 + lengths[i];
  }
  for (int k = 0; k < nsockets * 256; k++) atomic_init(&outstanding[k], -1);

  struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = 0};
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int s = 0; s < nsockets; s++) {
    fds[s] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fds[s] < 0) die("socket");
    int buf = 1 << 20;
    setsockopt(fds[s], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    int on = 1;
    if (setsockopt(fds[s], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) die("SO_TIMESTAMPNS");
    if (bind(fds[s], (struct sockaddr *)&local, sizeof local) < 0) die("bind");
    if (connect(fds[s], (struct sockaddr *)&server, sizeof server) < 0) die("connect");
  }

  pthread_t rx;
  atomic_init(&sending_done, 0);
  atomic_init(&receive_until, 0);
  if (pthread_create(&rx, NULL, receiver, NULL) != 0) die("pthread_create");

  uint32_t send_errors = 0;
  int64_t t0 = now_ns() + 10000000LL; /* 10 ms to let the receiver start */
  double interval = 1e9 / rate;
  for (uint32_t i = 0; i < total; i++) {
    int64_t due = t0 + (int64_t)(i * interval);
    if (due > now_ns()) {
      struct timespec at = {.tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {
      }
    }
    int s = (int)(i % (uint32_t)nsockets);
    int64_t t = now_ns();
    sent_at[i] = t;
    sent_wall[i] = wall_ns();
    lag[i] = t - due;
    /* Published after sent_at: the receiver reads sent_at only through this slot. */
    atomic_store(&outstanding[s * 256 + packets[i][1]], (int32_t)i);
    if (send(fds[s], packets[i], lengths[i], 0) < 0) send_errors++;
  }
  atomic_store(&receive_until, now_ns() + timeout_ns);
  atomic_store(&sending_done, 1);
  pthread_join(rx, NULL);

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  uint64_t cpu_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_sec * 1000000 +
                    (uint64_t)ru.ru_stime.tv_usec;

  FILE *out = fopen(argv[6], "wb");
  if (out == NULL) die(argv[6]);
  fwrite(&total, 4, 1, out);
  fwrite(&nreplies, 4, 1, out);
  fwrite(&cpu_us, 8, 1, out);
  fwrite(&send_errors, 4, 1, out);
  fwrite(&unmatched, 4, 1, out);
  fwrite(lag, 8, total, out);
  for (uint32_t r = 0; r < nreplies; r++) {
    fwrite(&replies[r].index, 4, 1, out);
    fwrite(&replies[r].rtt, 8, 1, out);
    fwrite(&replies[r].rtt_kernel, 8, 1, out);
    fwrite(&replies[r].length, 2, 1, out);
    fwrite(replies[r].bytes, 1, replies[r].length, out);
  }
  if (fclose(out) != 0) die("write results");
  for (int s = 0; s < nsockets; s++) close(fds[s]);
  return 0;
}
