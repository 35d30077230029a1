#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "priv/sdnotify.h"

bool sdnotify_enabled(void)
{
	const char *path = getenv("NOTIFY_SOCKET");

	return path && *path;
}

int sdnotify_send(const char *state, int fd)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int s, ret;

	if (!path || !*path)
		return -ENOTCONN;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')	/* abstract */
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	ret = connect(s, (struct sockaddr *)&sun, len) < 0 ? -errno : 0;
	if (ret == 0) {
		ssize_t n = fdpass_sendv(s, state, strlen(state), &fd, fd >= 0 ? 1 : 0);
		ret = n < 0 ? (int)n : 0;
	}
	close(s);
	return ret;
}
