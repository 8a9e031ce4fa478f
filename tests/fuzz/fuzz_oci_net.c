/* libFuzzer target: arbitrary bytes as the value of an org.vessel.net.0
 * annotation (the NIC spec podman/containerd users write by hand). The
 * parser must accept it or return an error naming the annotation, never
 * crash or leak; accepted NICs must have a name, a unicast MAC and 1..8
 * queues. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1);
	memcpy(value, data, size);
	value[size] = '\0';
	struct vsl_oci_kv kv = { .key = "org.vessel.net.0", .value = value };
	struct vsl_oci_config c = { .annotations = &kv, .n_annotations = 1, .mem_shared = true };
	struct vsl_nic *nics = NULL;
	size_t n = 0;
	struct vsl_err *err = NULL;
	if (vsl_nics_parse(&c, "fuzz", &nics, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			if (nics[i].ifname == NULL || (strtoul(nics[i].mac, NULL, 16) & 1) != 0 ||
			    nics[i].queues < 1 || nics[i].queues > 8 ||
			    (nics[i].bridge == NULL) == (nics[i].xconnect == NULL))
				abort();
		vsl_nics_free(nics, n);
	} else {
		if (strstr(err->msg, "org.vessel.net.0") == NULL)
			abort();
		vsl_err_free(err);
	}
	free(value);
	return 0;
}
