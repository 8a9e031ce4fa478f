/* vessel-init module loading, for guest kernels that have their drivers as
 * modules (Debian's linux-image-amd64, the fallback and the perf/boot
 * comparison; our own kernel has everything built in and no /modules).
 * The initramfs then holds /modules/<name>.ko and /modules/order, one file
 * name per line in load order (dependencies first), written at build time
 * from modules.dep by images/debian/make-debian-initramfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

int vi_modules_load(const char *dir, struct vsl_err **err)
{
	char path[512], line[256];
	snprintf(path, sizeof(path), "%s/order", dir);
	cleanup_fclose FILE *f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : vsl_err_make(err, errno, "open `%s`", path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return vsl_err_make(err, errno, "module `%s`", path);
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
			return vsl_err_make(err, errno, "load module `%s`", path);
	}
	return 0;
}
