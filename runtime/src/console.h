/* Host ptys for --console-socket (runc's protocol). */
#ifndef VESSEL_CONSOLE_H
#define VESSEL_CONSOLE_H

#include "vessel/err.h"

/* Opens a host pty of rows x cols (24x80 when 0) with a raw slave; both fds
 * close-on-exec, owned by the caller. */
int vsl_console_open(unsigned rows, unsigned cols, int *master, int *slave,
		     struct vsl_err **err);

/* Sends master over the unix socket at socket_path (SCM_RIGHTS). The caller
 * keeps (and usually then closes) its copy. */
int vsl_console_send(const char *socket_path, int master, struct vsl_err **err);

#endif
