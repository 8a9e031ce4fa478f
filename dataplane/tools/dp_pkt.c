/* dp-pkt: sends and captures raw Ethernet frames on one interface
 * (AF_PACKET), for the dataplane integration tests, which need exact frame
 * contents (MAC learning, VLAN tags) on tap ports moved into test netns.
 *
 *   dp-pkt send IFACE DST SRC [vlan=N] [len=N] [count=N] [ethertype=0xNNNN]
 *   dp-pkt recv IFACE MS      capture for MS milliseconds; one line per frame:
 *                             "DST SRC vlan=N|- len=N"
 * VLAN tags are written into the frame bytes (not offloaded), and on receive
 * read back from the auxiliary data the kernel strips them into.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int parse_mac(const char *s, unsigned char *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6
		       ? 0
		       : -1;
}

static int open_sock(const char *ifname, int *ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)), one = 1;

	if (fd < 0) {
		perror("dp-pkt: socket");
		return -1;
	}
	*ifindex = (int)if_nametoindex(ifname);
	if (*ifindex == 0) {
		fprintf(stderr, "dp-pkt: no interface `%s`\n", ifname);
		close(fd);
		return -1;
	}
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("dp-pkt: bind");
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
	{
		int sz = 8 << 20; /* bursts of hundreds of frames must not overflow */

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return fd;
}

static int do_send(int argc, char **argv)
{
	unsigned char f[9216] = { 0 };
	int ifindex, fd, vlan = -1, len = 64, count = 1, et = 0x88b5, off = 12;

	if (argc < 5 || parse_mac(argv[3], f) < 0 || parse_mac(argv[4], f + 6) < 0) {
		fprintf(stderr, "usage: dp-pkt send IFACE DST SRC [vlan=N] [len=N] [count=N]\n");
		return 2;
	}
	for (int i = 5; i < argc; i++) {
		if (!strncmp(argv[i], "vlan=", 5)) vlan = atoi(argv[i] + 5);
		else if (!strncmp(argv[i], "len=", 4)) len = atoi(argv[i] + 4);
		else if (!strncmp(argv[i], "count=", 6)) count = atoi(argv[i] + 6);
		else if (!strncmp(argv[i], "ethertype=", 10)) et = (int)strtol(argv[i] + 10, NULL, 0);
	}
	if (len < 14 || len > (int)sizeof(f)) {
		fprintf(stderr, "dp-pkt: len %d out of range\n", len);
		return 2;
	}
	if (vlan >= 0) {
		f[off++] = 0x81; f[off++] = 0x00;
		f[off++] = (unsigned char)(vlan >> 8); f[off++] = (unsigned char)vlan;
	}
	f[off++] = (unsigned char)(et >> 8);
	f[off++] = (unsigned char)et;
	for (int i = off; i < len; i++)
		f[i] = (unsigned char)i;
	fd = open_sock(argv[2], &ifindex);
	if (fd < 0)
		return 1;
	for (int i = 0; i < count; i++)
		if (send(fd, f, (size_t)len, 0) != len) {
			perror("dp-pkt: send");
			return 1;
		}
	close(fd);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int do_recv(int argc, char **argv)
{
	unsigned char f[9216], cbuf[256];
	int ifindex, fd;
	long long end;

	if (argc < 4) {
		fprintf(stderr, "usage: dp-pkt recv IFACE MS\n");
		return 2;
	}
	fd = open_sock(argv[2], &ifindex);
	if (fd < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	end = now_ms() + atoll(argv[3]);
	for (long long left; (left = end - now_ms()) > 0;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		struct iovec iov = { .iov_base = f, .iov_len = sizeof(f) };
		struct sockaddr_ll from;
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		int vlan = -1;
		ssize_t n;

		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		n = recvmsg(fd, &mh, 0);
		if (n < 14 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
				struct tpacket_auxdata *a = (struct tpacket_auxdata *)CMSG_DATA(c);

				if (a->tp_status & TP_STATUS_VLAN_VALID) {
					vlan = a->tp_vlan_tci & 0xfff;
					n += 4;
				}
			}
		if (vlan < 0 && f[12] == 0x81 && f[13] == 0x00)
			vlan = ((f[14] & 0xf) << 8) | f[15];
		printf("%02x:%02x:%02x:%02x:%02x:%02x %02x:%02x:%02x:%02x:%02x:%02x vlan=", f[0], f[1],
		       f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]);
		if (vlan >= 0)
			printf("%d", vlan);
		else
			printf("-");
		printf(" len=%zd\n", n);
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return do_send(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "recv") == 0)
		return do_recv(argc, argv);
	fprintf(stderr, "usage: dp-pkt send|recv IFACE ...\n");
	return 2;
}
