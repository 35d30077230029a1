/*
 * vdectl capture: start a capture (capture.start), read its records from the descriptor vded sends
 * and write them as pcap or pcapng (pcap.c). Ctrl-C shuts our end for writing, so that vded answers
 * with its end record (the final count of records it dropped) before we exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caprec.h"
#include "pcap.h"
#include "vdectl.h"

/* The longest record: its header and a frame of the largest snap length. */
#define CAPTURE_BUF (CAPREC_HDR_LEN + 262144)
/* How long to wait for vded's end record once we asked to stop. */
#define CAPTURE_END_WAIT_MS 3000

static volatile sig_atomic_t capture_stop;

static void capture_on_signal(int sig)
{
	(void)sig;
	capture_stop = 1;
}

static int capture_write(FILE *out, const void *buf, size_t len)
{
	if (len && fwrite(buf, 1, len, out) != len)
		return -errno;
	return 0;
}

int capture_run(const struct command *cmd, struct request *req)
{
	const char *path = request_opt(req, "write", NULL);
	bool ng = request_opt(req, "pcapng", NULL) != NULL, stopping = false, to_stdout;
	struct sigaction sa = { .sa_handler = capture_on_signal };
	struct json_object *res = NULL, *v;
	struct pcap_writer *w = xmalloc(sizeof(*w));
	uint8_t *msg = xmalloc(CAPTURE_BUF), *blk = xmalloc(CAPTURE_BUF + PCAP_OVERHEAD);
	struct caprec r, end = { 0 };
	uint64_t frames = 0;
	uint32_t snaplen = 262144;
	bool got_end = false, out_failed = false;
	FILE *out = stdout;
	int fd = -1, ret;
	size_t n;

	to_stdout = !path || strcmp(path, "-") == 0;
	ret = call("capture.start", req->params, &res, &fd);
	req->params = NULL;
	if (ret != VDECTL_OK)
		goto out;
	if (fd < 0) {
		errmsg("capture.start: vded sent no descriptor");
		ret = VDECTL_ERROR;
		goto out;
	}
	/* the capture lives on its descriptor alone: the control connection is not needed any more */
	call_close();
	if (json_object_object_get_ex(res, "snaplen", &v))
		snaplen = (uint32_t)json_object_get_int64(v);
	if (!to_stdout) {
		int ofd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (ofd < 0 || !(out = fdopen(ofd, "wb"))) {
			errmsg("%s: %s", path, strerror(errno));
			if (ofd >= 0)
				close(ofd);
			out = NULL;
			ret = VDECTL_ERROR;
			goto out;
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	n = pcap_begin(w, ng, snaplen, blk);
	if (capture_write(out, blk, n) < 0 || fflush(out) != 0)
		out_failed = true;
	while (!got_end && !out_failed) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t len;

		if (capture_stop && !stopping) {
			/* vded sees our end shut, and answers with its end record */
			shutdown(fd, SHUT_WR);
			stopping = true;
		}
		len = recv(fd, msg, CAPTURE_BUF, MSG_DONTWAIT);
		if (len < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (fflush(out) != 0) {
				out_failed = true;
				break;
			}
			if (poll(&pfd, 1, stopping ? CAPTURE_END_WAIT_MS : -1) == 0)
				break;	/* no end record in time: what we have is written */
			continue;
		}
		if (len <= 0) {
			if (len < 0)
				errmsg("capture: %s", strerror(errno));
			break;	/* vded closed without an end record (it exited) */
		}
		if (caprec_decode(msg, (size_t)len, &r) < 0) {
			errmsg("capture: a record vded sent is malformed or of an unknown version (%zd bytes)", len);
			ret = VDECTL_ERROR;
			break;
		}
		if (r.type == CAPREC_END) {
			end = r;
			got_end = true;
			break;
		}
		end.dropped = r.dropped;
		n = pcap_packet(w, &r, blk, CAPTURE_BUF + PCAP_OVERHEAD);
		if (n && capture_write(out, blk, n) < 0)
			out_failed = true;
		frames++;
	}
	if (fflush(out) != 0)
		out_failed = true;
	/* a reader that went away (tcpdump -c N | ...) ends the capture; that is not an error */
	if (out_failed && errno != EPIPE) {
		errmsg("%s: %s", to_stdout ? "standard output" : path, strerror(errno));
		ret = VDECTL_ERROR;
	}
	if (opt_json && !to_stdout) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "network", json_object_new_string(req->pos[0] ? req->pos[0] : ""));
		json_object_object_add(o, "frames", json_object_new_int64((int64_t)frames));
		json_object_object_add(o, "dropped", json_object_new_int64((int64_t)end.dropped));
		json_object_object_add(o, "ended", json_object_new_string(got_end ? caprec_end_reason(end.end_reason)
									    : "no end record"));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		fprintf(stderr, "vdectl: %llu frames captured, %llu dropped by vded (the output was slow)%s%s\n",
			(unsigned long long)frames, (unsigned long long)end.dropped, got_end ? ": " : "",
			got_end ? caprec_end_reason(end.end_reason) : "");
	}
out:
	if (out && out != stdout)
		fclose(out);
	if (fd >= 0)
		close(fd);
	json_object_put(res);
	free(w);
	free(msg);
	free(blk);
	return ret;
}
