/* vessel-init networking: brings lo up, configures each virtio-net interface
 * named in Create (found by MAC, renamed, MTU, addresses, routes) with plain
 * ioctls (no netlink library in a static init), and applies sysctls through
 * /proc/sys. IPv4 addresses and routes; IPv6 addresses.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

/* struct in6_ifreq from linux/ipv6.h, which clashes with glibc headers. */
struct vi_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static int set_flags(int sock, const char *name, short set, struct vsl_err **err)
{
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return vsl_err_make(err, errno, "interface `%s`: get flags", name);
	ifr.ifr_flags |= set;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		return vsl_err_make(err, errno, "interface `%s`: set up", name);
	return 0;
}

int vi_net_lo_up(struct vsl_err **err)
{
	cleanup_close int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return vsl_err_make(err, errno, "socket");
	return set_flags(sock, "lo", IFF_UP, err);
}

int vi_parse_cidr4(const char *s, uint32_t *addr_be, int *prefix)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	int p = 32;
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (*end != '\0' || end == slash + 1 || v < 0 || v > 32)
			return -EINVAL;
		p = (int)v;
	}
	*addr_be = a.s_addr;
	*prefix = p;
	return 0;
}

static uint32_t mask_be(int prefix)
{
	return prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
}

/* Finds the interface whose MAC is `mac`; writes its name. */
static int find_by_mac(const char *mac, char name[IFNAMSIZ], struct vsl_err **err)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	if (d == NULL)
		return vsl_err_make(err, errno, "open /sys/class/net");
	while ((e = readdir(d)) != NULL) {
		char path[512], addr[64] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, addr, sizeof(addr) - 1);
		close(fd);
		if (n <= 0)
			continue;
		addr[strcspn(addr, "\n")] = '\0';
		if (strcasecmp(addr, mac) == 0) {
			snprintf(name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return vsl_err_make(err, ENODEV, "interface with MAC `%s`: not found in the guest", mac);
}

static int add_addr(int sock, const char *ifname, const char *cidr, struct vsl_err **err)
{
	struct ifreq ifr = { 0 };
	uint32_t a;
	int prefix;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (strchr(cidr, ':') != NULL) {
		char buf[64];
		const char *slash = strchr(cidr, '/');
		size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
		struct vi_in6_ifreq r6 = { .prefixlen = slash ? (uint32_t)atoi(slash + 1) : 128 };
		if (n >= sizeof(buf))
			return vsl_err_make(err, EINVAL, "address `%s`", cidr);
		memcpy(buf, cidr, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, &r6.addr) != 1 || r6.prefixlen > 128)
			return vsl_err_make(err, EINVAL, "address `%s`: not an IPv6 CIDR", cidr);
		cleanup_close int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s6 < 0)
			return vsl_err_make(err, errno, "address `%s`: IPv6 socket", cidr);
		if (ioctl(s6, SIOCGIFINDEX, &ifr) < 0)
			return vsl_err_make(err, errno, "interface `%s`", ifname);
		r6.ifindex = ifr.ifr_ifindex;
		if (ioctl(s6, SIOCSIFADDR, &r6) < 0)
			return vsl_err_make(err, errno, "address `%s` on `%s`", cidr, ifname);
		return 0;
	}
	if (vi_parse_cidr4(cidr, &a, &prefix) < 0)
		return vsl_err_make(err, EINVAL, "address `%s`: not an IPv4 or IPv6 CIDR", cidr);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
		return vsl_err_make(err, errno, "address `%s` on `%s`", cidr, ifname);
	sin->sin_addr.s_addr = mask_be(prefix);
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
		return vsl_err_make(err, errno, "netmask of `%s` on `%s`", cidr, ifname);
	return 0;
}

static int add_route(int sock, const char *ifname, const Vessel__Ctl__Route *r, struct vsl_err **err)
{
	struct rtentry rt = { 0 };
	uint32_t dst = 0, gw = 0;
	int prefix = 0;
	const char *d = r->destination && *r->destination ? r->destination : "default";
	char dev[IFNAMSIZ];

	if (strcmp(d, "default") != 0 && vi_parse_cidr4(d, &dst, &prefix) < 0)
		return vsl_err_make(err, EINVAL, "route destination `%s`: not an IPv4 CIDR or `default`", d);
	if (r->gateway && *r->gateway && inet_pton(AF_INET, r->gateway, &gw) != 1)
		return vsl_err_make(err, EINVAL, "route `%s` gateway `%s`: not an IPv4 address", d, r->gateway);
	snprintf(dev, sizeof(dev), "%s", ifname);
	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_dst)->sin_addr.s_addr = dst & mask_be(prefix);
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_addr.s_addr = mask_be(prefix);
	((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_gateway)->sin_addr.s_addr = gw;
	rt.rt_flags = RTF_UP | (gw ? RTF_GATEWAY : 0) | (prefix == 32 ? RTF_HOST : 0);
	rt.rt_dev = dev;
	if (ioctl(sock, SIOCADDRT, &rt) < 0)
		return vsl_err_make(err, errno, "route `%s` via `%s` on `%s`", d,
				    r->gateway && *r->gateway ? r->gateway : "-", ifname);
	return 0;
}

static int configure_one(int sock, const Vessel__Ctl__NetIf *nif, struct vsl_err **err)
{
	char cur[IFNAMSIZ];
	struct ifreq ifr = { 0 };
	if (nif->mac == NULL || *nif->mac == '\0')
		return vsl_err_make(err, EINVAL, "interface `%s`: mac is required", nif->name ? nif->name : "");
	if (find_by_mac(nif->mac, cur, err) < 0)
		return -1;
	if (nif->name && *nif->name && strcmp(nif->name, cur) != 0) {
		if (strlen(nif->name) >= IFNAMSIZ)
			return vsl_err_make(err, EINVAL, "interface name `%s`: longer than %d", nif->name, IFNAMSIZ - 1);
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", cur);
		snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", nif->name);
		if (ioctl(sock, SIOCSIFNAME, &ifr) < 0)
			return vsl_err_make(err, errno, "rename interface `%s` (MAC %s) to `%s`", cur, nif->mac, nif->name);
		snprintf(cur, sizeof(cur), "%s", nif->name);
	}
	if (nif->mtu) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", cur);
		ifr.ifr_mtu = (int)nif->mtu;
		if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
			return vsl_err_make(err, errno, "interface `%s`: mtu %u", cur, nif->mtu);
	}
	if (set_flags(sock, cur, IFF_UP, err) < 0)
		return -1;
	for (size_t i = 0; i < nif->n_addresses; i++)
		if (add_addr(sock, cur, nif->addresses[i], err) < 0)
			return -1;
	for (size_t i = 0; i < nif->n_routes; i++)
		if (add_route(sock, cur, nif->routes[i], err) < 0)
			return -1;
	return 0;
}

int vi_net_configure(Vessel__Ctl__NetIf **ifs, size_t n, struct vsl_err **err)
{
	if (n == 0)
		return 0;
	cleanup_close int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return vsl_err_make(err, errno, "socket");
	for (size_t i = 0; i < n; i++)
		if (configure_one(sock, ifs[i], err) < 0)
			return -1;
	return 0;
}

int vi_sysctls_apply(char **kv, size_t n, struct vsl_err **err)
{
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char path[512];
		if (eq == NULL || eq == kv[i])
			return vsl_err_make(err, EINVAL, "sysctl `%s`: expected key=value", kv[i]);
		size_t klen = (size_t)(eq - kv[i]);
		if (klen + sizeof("/proc/sys/") >= sizeof(path) || memchr(kv[i], '/', klen) != NULL ||
		    strstr(kv[i], "..") != NULL)
			return vsl_err_make(err, EINVAL, "sysctl `%s`: bad key", kv[i]);
		int off = snprintf(path, sizeof(path), "/proc/sys/");
		for (size_t k = 0; k < klen; k++)
			path[off + (int)k] = kv[i][k] == '.' ? '/' : kv[i][k];
		path[off + (int)klen] = '\0';
		cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return vsl_err_make(err, errno, "sysctl `%.*s`", (int)klen, kv[i]);
		size_t vlen = strlen(eq + 1);
		if (write(fd, eq + 1, vlen) != (ssize_t)vlen)
			return vsl_err_make(err, errno, "sysctl `%s`", kv[i]);
	}
	return 0;
}
