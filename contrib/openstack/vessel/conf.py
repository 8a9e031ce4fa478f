"""Configuration of the Vessel compute driver: the ``[vessel]`` group of
nova.conf (nova-compute reads it; tests set it with CONF.set_override)."""

from oslo_config import cfg

vessel_group = cfg.OptGroup(
    'vessel', title='Vessel driver options',
    help='How nova-compute reaches the vesseld node agent of this host.')

vessel_opts = [
    cfg.StrOpt('api_url', default='unix:///run/vessel/vesseld.sock',
               help='vesseld endpoint: unix:///path/to/vesseld.sock, or '
                    'http(s)://127.0.0.1:8420 with token_file.'),
    cfg.StrOpt('token_file',
               help='File holding the bearer token vesseld requires on TCP.'),
    cfg.FloatOpt('api_timeout', default=300.0, min=1.0,
                 help='Seconds per API call. Creating or starting a VNF boots '
                      'its microVM within the call.'),
    cfg.IntOpt('stop_grace', default=10, min=0, max=3600,
               help='Seconds between SIGTERM and SIGKILL of the workload for '
                    'a soft reboot or a power off without a timeout.'),
    cfg.IntOpt('console_bytes', default=100 * 1024, min=1024,
               help='get_console_output returns at most this many bytes '
                    '(the end of the guest console).'),
]


def register_opts(conf):
    conf.register_group(vessel_group)
    conf.register_opts(vessel_opts, group=vessel_group)


def list_opts():
    return {vessel_group: vessel_opts}
