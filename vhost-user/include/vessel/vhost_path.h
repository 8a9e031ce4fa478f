/* The vhost-user socket-path contract shared by the runtime and the dataplane.
 *
 * QEMU (the vhost-user frontend) owns each socket in server mode; vessel-dp
 * connects to it as the client. Both sides compute the path with this one
 * function so they can never disagree:
 *
 *     <root>/vhost/<vnf>/<ifname>.sock      root defaults to /run/vessel
 *
 * Header-only so the runtime can include it without linking libvesselvhost.
 */
#ifndef VESSEL_VHOST_PATH_H
#define VESSEL_VHOST_PATH_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define VSL_VHOST_ROOT_DEFAULT "/run/vessel"
#define VSL_VHOST_NAME_MAX 63 /* longest VNF id or interface name */
/* sockaddr_un.sun_path is 108 bytes including the NUL. */
#define VSL_VHOST_PATH_MAX 107

/* Returns 0 if s is a usable path component: 1..VSL_VHOST_NAME_MAX bytes of
 * [A-Za-z0-9._-], not "." or "..". Otherwise -EINVAL. */
static inline int vsl_vhost_name_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return -EINVAL;
	n = strlen(s);
	if (n == 0 || n > VSL_VHOST_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

/* Writes "<root>/vhost/<vnf>/<ifname>.sock" into buf (n bytes).
 * root: absolute directory, NULL or "" for VSL_VHOST_ROOT_DEFAULT; it must
 *       not contain a ".." component.
 * vnf, ifname: validated with vsl_vhost_name_valid().
 * Returns the path length, -EINVAL for a bad name or root, -ENAMETOOLONG
 * when the result does not fit in buf or in a unix socket address. */
static inline int vsl_vhost_sock_path(char *buf, size_t n, const char *root, const char *vnf,
				      const char *ifname)
{
	int len;

	if (root == NULL || root[0] == '\0')
		root = VSL_VHOST_ROOT_DEFAULT;
	if (root[0] != '/' || strstr(root, "/../") != NULL ||
	    (strlen(root) >= 3 && strcmp(root + strlen(root) - 3, "/..") == 0))
		return -EINVAL;
	if (vsl_vhost_name_valid(vnf) < 0 || vsl_vhost_name_valid(ifname) < 0)
		return -EINVAL;
	len = snprintf(buf, n, "%s%svhost/%s/%s.sock", root,
		       root[strlen(root) - 1] == '/' ? "" : "/", vnf, ifname);
	if (len < 0 || (size_t)len >= n || len > VSL_VHOST_PATH_MAX)
		return -ENAMETOOLONG;
	return len;
}

#endif
