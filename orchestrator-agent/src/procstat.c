/* CPU time and resident memory of a process (the VNF's QEMU) from /proc. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

int vsl_proc_usage(int pid, double *cpu_seconds, long long *rss_bytes)
{
	char path[64], buf[2048];
	unsigned long ut = 0, stt = 0;
	long rss = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* comm may contain spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d "
			 "%*d %*d %*u %*u %ld", &ut, &stt, &rss) != 3)
		return -1;
	*cpu_seconds = (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
	*rss_bytes = (long long)rss * sysconf(_SC_PAGESIZE);
	return 0;
}
