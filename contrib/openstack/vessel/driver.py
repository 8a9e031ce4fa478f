"""A Nova compute driver that runs instances as Vessel VNFs.

nova-compute loads it as ``compute_driver = vessel.driver.VesselDriver`` (the
package is put at ``nova/virt/vessel``, see ../README.md). Every instance is
one VNF on this host's ``vesseld``, reached over its REST API (client.py):

- the VNF's name is the instance UUID, and its labels carry the instance's
  UUID and name and ``managed_by=nova``, so list_instances() finds Nova's own
  VNFs among those an operator created directly;
- the flavor gives vcpus and memory_mb; its extra specs ``hw:cpu_policy``,
  ``hw:numa_nodes`` and ``hw:mem_page_size`` (read with nova.virt.hardware,
  so image properties and conflicts behave as with the libvirt driver) give
  ``cpu_policy``, one NUMA node, and ``hugepage_size``;
- the image is a Vessel image named after the Glance image id, imported from
  Glance (container_format ``docker``: a docker-archive or OCI layout tar, as
  Zun uses) on first use;
- vhost-user VIFs (os-vif VIFVHostUser, QEMU as socket server) attach to a
  bridge domain of Vessel's dataplane per Neutron network, or, for an OVS
  port profile, are plugged into OVS-DPDK by os-vif's ovs plugin;
- vesseld's errors become the Nova exceptions the compute manager expects
  (_nova_error).

Inventory (update_provider_tree): VCPU, PCPU, MEMORY_MB and DISK_GB from GET
/v1/node. Resources held by VNFs that Nova did not create are ``reserved``,
so placement never hands out a dedicated core an operator's VNF holds.
"""

import contextlib
import os
import tempfile

import os_resource_classes as orc
import os_vif
from os_vif.objects import vif as osv_vif
from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import versionutils

from nova.compute import power_state
from nova import conf as nova_conf
from nova import exception
from nova.network import os_vif_util
from nova import objects
from nova.objects import fields as obj_fields
from nova.virt import driver
from nova.virt import hardware

from . import client as vclient
from . import conf as vconf

CONF = nova_conf.CONF
vconf.register_opts(CONF)
LOG = logging.getLogger(__name__)

NOVA_LABEL = 'managed_by'
NOVA_LABEL_VALUE = 'nova'
UUID_LABEL = 'nova_instance_uuid'
NAME_LABEL = 'nova_instance_name'

# vesseld status -> Nova power state (docs: orchestrator-agent/README.md).
POWER_STATES = {
    'creating': power_state.NOSTATE,
    'created': power_state.SHUTDOWN,   # VM booted, workload not started
    'running': power_state.RUNNING,
    'paused': power_state.PAUSED,
    'stopped': power_state.SHUTDOWN,
    'error': power_state.CRASHED,
    'deleting': power_state.NOSTATE,
}

# Statuses whose resources vesseld counts as allocated (GET /v1/node).
_HOLDING = ('creating', 'created', 'running', 'paused', 'deleting')

_PAGE_KB = {'2M': 2048, '1G': 1048576}


def _nova_error(e, instance=None, action=None):
    """Maps a client error to the Nova exception the compute manager expects.

    :param e: VesselError from the client
    :param instance: the instance concerned, if any (names it)
    :param action: the driver verb, for InstanceInvalidState
    :returns: a NovaException to raise
    """
    uuid = instance.uuid if instance is not None else None
    if isinstance(e, vclient.VesselUnavailable):
        LOG.error('%s', e)
        return exception.HypervisorUnavailable()
    if not isinstance(e, vclient.VesselAPIError):
        return exception.InternalError(err=str(e))
    if e.status in (401, 403):
        # a token vesseld refuses makes the node unusable, as a dead socket
        LOG.error('vessel: %s (check [vessel] token_file)', e)
        return exception.HypervisorUnavailable()
    if e.status == 404 and uuid:
        return exception.InstanceNotFound(instance_id=uuid)
    if e.code == 'insufficient_resources':
        return exception.ComputeResourcesUnavailable(reason=e.message)
    if e.status == 409 and action == 'spawn':
        return exception.InstanceExists(name=uuid)
    if e.status == 409 and uuid:
        return exception.InstanceInvalidState(
            instance_uuid=uuid, attr='vessel status', state=e.message,
            method=action or 'act')
    if 400 <= e.status < 500:
        return exception.InvalidInput(reason=str(e))
    return exception.InternalError(err=str(e))


def network_name(vif):
    """The vesseld network (a bridge domain on vessel-dp) of a Neutron
    network: ``nova-<network uuid>`` (vesseld names: 1..63 of [A-Za-z0-9_.-])."""
    return ('nova-' + vif['network']['id'])[:63]


class VesselDriver(driver.ComputeDriver):
    """ComputeDriver over one vesseld."""

    capabilities = dict(driver.ComputeDriver.capabilities)
    capabilities.update({
        'supports_pcpus': True,
        'supports_image_type_raw': False,
    })

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi)
        token = None
        if CONF.vessel.token_file:
            with open(CONF.vessel.token_file) as f:
                token = f.read().strip()
        self.client = vclient.VesselClient(CONF.vessel.api_url, token=token,
                                           timeout=CONF.vessel.api_timeout)
        self._nodename = None
        self._image_api = None   # nova.image.glance.API, made on first use
        os_vif.initialize()       # registers os-vif objects and plugins

    # ---- host ----

    def init_host(self, host):
        """Checks that vesseld answers and learns the node's name."""
        try:
            node = self.client.node()
        except vclient.VesselError as e:
            raise _nova_error(e)
        self._nodename = node['hostname']
        LOG.info('vessel: vesseld %s on %s (%s)', node.get('agent_version'),
                 self._nodename, CONF.vessel.api_url)

    def get_available_nodes(self, refresh=False):
        if self._nodename is None or refresh:
            try:
                self._nodename = self.client.node()['hostname']
            except vclient.VesselError as e:
                raise _nova_error(e)
        return [self._nodename]

    def get_host_ip_addr(self):
        return CONF.my_ip

    @staticmethod
    def _usage(vnfs):
        """Splits what VNFs hold into Nova's own and others' (foreign)."""
        out = {'nova': dict(vcpus=0, pcpus=0, memory_mb=0),
               'foreign': dict(vcpus=0, pcpus=0, memory_mb=0)}
        for v in vnfs:
            if v['status'] not in _HOLDING:
                continue
            spec = v['spec']
            who = ('nova' if spec.get('labels', {}).get(NOVA_LABEL) ==
                   NOVA_LABEL_VALUE else 'foreign')
            key = 'pcpus' if spec.get('cpu_policy') == 'dedicated' else 'vcpus'
            out[who][key] += spec.get('vcpus', 1)
            out[who]['memory_mb'] += spec.get('memory_mb', 256)
        return out

    def _node_and_vnfs(self):
        try:
            return self.client.node(), self.client.vnf_list()
        except vclient.VesselError as e:
            raise _nova_error(e)

    def get_available_resource(self, nodename):
        node, vnfs = self._node_and_vnfs()
        use = self._usage(vnfs)
        cap = node['capacity']
        disk = node.get('disk') or {}
        used = {k: use['nova'][k] + use['foreign'][k] for k in use['nova']}
        return {
            'vcpus': cap['vcpus'],
            'memory_mb': cap['memory_mb'],
            'local_gb': disk.get('total_gb', 0),
            'vcpus_used': used['vcpus'] + used['pcpus'],
            'memory_mb_used': used['memory_mb'],
            'local_gb_used': (disk.get('total_gb', 0) -
                              disk.get('free_gb', 0)),
            'hypervisor_type': 'vessel',
            'hypervisor_version': versionutils.convert_version_to_int('1.0'),
            'hypervisor_hostname': node['hostname'],
            'cpu_info': jsonutils.dumps({
                'arch': obj_fields.Architecture.X86_64,
                'topology': {'sockets': max(1, len(node['numa_nodes'])),
                             'cores': cap['vcpus'], 'threads': 1}}),
            'disk_available_least': disk.get('free_gb', 0),
            'supported_instances': [(obj_fields.Architecture.X86_64,
                                     obj_fields.HVType.QEMU,
                                     obj_fields.VMMode.HVM)],
            'numa_topology': self._numa_topology(node)._to_json(),
        }

    @staticmethod
    def _numa_topology(node):
        """The host NUMA topology Nova's scheduler (NUMATopologyFilter) and
        claims fit instances onto, from GET /v1/node.

        As the libvirt driver, it reports capacity and no usage (the
        resource tracker adds its instances' usage). ``pcpuset``: CPUs
        libvesselnuma may dedicate (not housekeeping or dataplane);
        ``cpuset``: CPUs shared vCPUs may use (not dataplane). They overlap,
        because vesseld takes dedicated cores out of the shared set only
        when it hands them out. Small pages: the memory not in hugepages.
        """
        def cpus(text):
            return hardware.parse_cpu_spec(text) if text else set()

        reserved = cpus(node.get('dataplane_cpus'))
        housekeeping = cpus(node.get('housekeeping_cpus'))
        cells = []
        for n in node['numa_nodes']:
            mine = cpus(n['cpus'])
            mempages, huge_kb = [], 0
            for size, info in sorted(n.get('hugepages', {}).items()):
                if size in _PAGE_KB:
                    mempages.append(objects.NUMAPagesTopology(
                        size_kb=_PAGE_KB[size], total=info['total'], used=0,
                        reserved=0))
                    huge_kb += _PAGE_KB[size] * info['total']
            small = max(0, n['memory_total_mb'] * 1024 - huge_kb) // 4
            mempages.insert(0, objects.NUMAPagesTopology(
                size_kb=4, total=small, used=0, reserved=0))
            cells.append(objects.NUMACell(
                id=n['id'], socket=None, cpuset=mine - reserved,
                pcpuset=mine - reserved - housekeeping,
                memory=n['memory_total_mb'], cpu_usage=0, memory_usage=0,
                pinned_cpus=set(),
                # vesseld does not report SMT siblings: one thread per core
                siblings=[{c} for c in sorted(mine - reserved)],
                mempages=mempages,
                network_metadata=objects.NetworkMetadata(physnets=set(),
                                                         tunneled=False)))
        return objects.NUMATopology(cells=cells)

    def update_provider_tree(self, provider_tree, nodename,
                             allocations=None):
        """VCPU, PCPU, MEMORY_MB, DISK_GB of the node as vesseld reports it.

        ``total`` is the node's capacity; ``reserved`` adds what VNFs not
        created by Nova hold (Nova's own instances are placement
        allocations, not reservations). PCPU counts the cores libvesselnuma
        may dedicate (online minus housekeeping and dataplane cores); a class
        whose total is 0 is left out, as placement refuses it.
        """
        node, vnfs = self._node_and_vnfs()
        foreign = self._usage(vnfs)['foreign']
        cap = node['capacity']
        disk = node.get('disk') or {}
        ratios = self._get_allocation_ratios(
            provider_tree.data(nodename).inventory)

        def inv(total, reserved, ratio=1.0):
            return {'total': total, 'reserved': min(total, reserved),
                    'min_unit': 1, 'max_unit': total, 'step_size': 1,
                    'allocation_ratio': ratio}

        inventory = {}
        if cap['vcpus'] > 0:
            inventory[orc.VCPU] = inv(
                cap['vcpus'], CONF.reserved_host_cpus + foreign['vcpus'],
                ratios[orc.VCPU])
        if cap['pcpus'] > 0:
            inventory[orc.PCPU] = inv(cap['pcpus'], foreign['pcpus'])
        if cap['memory_mb'] > 0:
            inventory[orc.MEMORY_MB] = inv(
                cap['memory_mb'],
                CONF.reserved_host_memory_mb + foreign['memory_mb'],
                ratios[orc.MEMORY_MB])
        if disk.get('total_gb', 0) > 0:
            inventory[orc.DISK_GB] = inv(
                disk['total_gb'], self._get_reserved_host_disk_gb_from_config(),
                ratios[orc.DISK_GB])
        provider_tree.update_inventory(nodename, inventory)

    # ---- instances ----

    def _nova_vnfs(self):
        try:
            return self.client.vnf_list(label='%s=%s' % (NOVA_LABEL,
                                                         NOVA_LABEL_VALUE))
        except vclient.VesselError as e:
            raise _nova_error(e)

    def list_instances(self):
        return [v['spec']['labels'].get(NAME_LABEL, v['name'])
                for v in self._nova_vnfs()]

    def list_instance_uuids(self):
        return [v['spec']['labels'].get(UUID_LABEL, v['name'])
                for v in self._nova_vnfs()]

    def instance_exists(self, instance):
        try:
            self._vnf(instance)
            return True
        except exception.InstanceNotFound:
            return False

    def _vnf(self, instance):
        try:
            return self.client.vnf_get(instance.uuid)
        except vclient.VesselError as e:
            raise _nova_error(e, instance)

    def get_info(self, instance, use_cache=True):
        v = self._vnf(instance)
        return hardware.InstanceInfo(
            state=POWER_STATES.get(v['status'], power_state.NOSTATE),
            internal_id=v['id'])

    def _act(self, instance, action, verb, body=None):
        try:
            return self.client.vnf_action(instance.uuid, action, body)
        except vclient.VesselError as e:
            raise _nova_error(e, instance, verb)

    # ---- spawn ----

    def _page_size(self, flavor, image_meta, memory_mb, node):
        """hw:mem_page_size -> vesseld hugepage_size (none, 2M, 1G)."""
        want = hardware._get_numa_pagesize_constraint(flavor, image_meta)
        if want is None or want == hardware.MEMPAGES_SMALL:
            return 'none'
        if want in (hardware.MEMPAGES_LARGE, hardware.MEMPAGES_ANY):
            # the size with enough free pages on some node, 2M first
            for size in ('2M', '1G'):
                pages = memory_mb * 1024 // _PAGE_KB[size]
                if memory_mb * 1024 % _PAGE_KB[size] == 0 and any(
                        n.get('hugepages', {}).get(size, {}).get('free', 0)
                        >= pages for n in node['numa_nodes']):
                    return size
            # none free: `large` lets vesseld refuse with the shortfall
            return 'none' if want == hardware.MEMPAGES_ANY else '2M'
        for size, kb in _PAGE_KB.items():
            if want == kb:
                return size
        if want == 4:
            return 'none'
        raise exception.InvalidInput(
            reason='hw:mem_page_size=%dKiB: Vessel backs guest memory with '
                   'small pages, 2M or 1G hugepages' % int(want))

    def vnf_spec(self, instance, image_meta, image_ref, network_info=None,
                 node=None):
        """The vesseld VNF spec of an instance (POST /v1/vnfs body).

        :param image_meta: nova.objects.ImageMeta (its properties may also
            ask for a CPU policy or page size, as with libvirt)
        :param image_ref: the Vessel image (digest or name)

        :raises: InvalidInput for flavor extra specs Vessel cannot honour;
            nova.virt.hardware's own exceptions for malformed ones
        """
        flavor = instance.flavor
        policy = hardware.get_cpu_policy_constraint(flavor, image_meta)
        if policy not in (None, obj_fields.CPUAllocationPolicy.SHARED,
                          obj_fields.CPUAllocationPolicy.DEDICATED):
            raise exception.InvalidInput(
                reason='hw:cpu_policy=%s: Vessel places a VNF\'s vCPUs all '
                       'shared or all dedicated' % policy)
        nodes = hardware._get_numa_node_count_constraint(flavor, image_meta)
        if nodes and nodes > 1:
            raise exception.InvalidInput(
                reason='hw:numa_nodes=%d: Vessel keeps a VNF\'s vCPUs, memory '
                       'and ports on one NUMA node' % nodes)
        if node is None:
            node = self.client.node()
        spec = {
            'name': instance.uuid,
            'image': image_ref,
            'vcpus': flavor.vcpus,
            'memory_mb': flavor.memory_mb,
            'cpu_policy': policy or 'shared',
            'numa_node': 'auto',
            'hugepage_size': self._page_size(flavor, image_meta,
                                             flavor.memory_mb, node),
            'labels': {NOVA_LABEL: NOVA_LABEL_VALUE,
                       UUID_LABEL: instance.uuid,
                       NAME_LABEL: instance.name},
            'restart_policy': 'never',
        }
        nics = []
        for vif in network_info or []:
            osv = self._osvif(vif)
            if osv.plugin == 'ovs':
                raise exception.VirtualInterfacePlugException(
                    'vif %s: an OVS-DPDK port (plugged by os-vif) cannot be '
                    'given to a VNF yet: vesseld attaches NICs to vessel-dp '
                    'bridge domains only' % vif['id'])
            nics.append(self._nic(vif))
        if nics:
            spec['nics'] = nics
        return spec

    @staticmethod
    def _nic(vif):
        """A VNF NIC from a Neutron port: its network's bridge domain, its
        MAC, and its first fixed IPv4 address with the subnet's gateway as
        default route (vessel-init configures them in the guest, which has
        no DHCP client or cloud-init)."""
        nic = {'network': network_name(vif), 'mac': vif['address']}
        for subnet in (vif['network'] or {}).get('subnets', []):
            if subnet['version'] != 4 or not subnet['ips']:
                continue
            prefix = subnet['cidr'].split('/')[1]
            nic['ip'] = '%s/%s' % (subnet['ips'][0]['address'], prefix)
            gw = subnet['gateway'] and subnet['gateway']['address']
            if gw:
                nic['routes'] = [{'to': 'default', 'via': gw}]
            break
        return nic

    def _ensure_image(self, context, image_meta):
        """The Vessel image of a Glance image: found by the Glance id (the
        name vesseld stores it under), else downloaded and imported.

        :returns: the image digest
        """
        image_id = image_meta.id
        try:
            return self.client.image_get(image_id)['digest']
        except vclient.VesselAPIError as e:
            if e.status != 404:
                raise _nova_error(e)
        except vclient.VesselError as e:
            raise _nova_error(e)
        if image_meta.obj_attr_is_set('container_format') and \
                image_meta.container_format not in ('docker', 'bare'):
            raise exception.ImageUnacceptable(
                image_id=image_id,
                reason='container_format %s: Vessel runs container images '
                       '(docker-archive or OCI layout tar, container_format '
                       'docker)' % image_meta.container_format)
        if self._image_api is None:
            from nova.image import glance
            self._image_api = glance.API()
        with tempfile.TemporaryDirectory(prefix='vessel-image-') as d:
            path = os.path.join(d, 'image.tar')
            self._image_api.download(context, image_id, dest_path=path)
            try:
                with open(path, 'rb') as f:
                    img = self.client.image_import(f, name=image_id)
            except vclient.VesselAPIError as e:
                raise exception.ImageUnacceptable(image_id=image_id,
                                                  reason=e.message)
            except vclient.VesselError as e:
                raise _nova_error(e)
        LOG.info('vessel: imported Glance image %s as %s', image_id,
                 img['digest'])
        return img['digest']

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        """Creates the VNF (vesseld boots its microVM) and starts it.

        A refused placement raises ComputeResourcesUnavailable (the compute
        manager reschedules) with nothing stored on the node; a start that
        fails deletes the VNF again.
        """
        digest = self._ensure_image(context, image_meta)
        try:
            spec = self.vnf_spec(instance, image_meta, digest, network_info)
        except vclient.VesselError as e:
            raise _nova_error(e, instance)
        self.plug_vifs(instance, network_info or [])
        try:
            self.client.vnf_create(spec)
        except vclient.VesselError as e:
            err = _nova_error(e, instance, 'spawn')
            if not isinstance(err, exception.InstanceExists):
                self._forget(instance)    # a runtime failure leaves `error`
            raise err
        if not power_on:
            return
        try:
            self._act(instance, 'start', 'spawn')
        except Exception:
            with contextlib.suppress(Exception):
                self._forget(instance)
            raise

    def _forget(self, instance):
        with contextlib.suppress(vclient.VesselAPIError):
            self.client.vnf_delete(instance.uuid)

    # ---- lifecycle ----

    def destroy(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, destroy_secrets=True):
        """Deletes the VNF (stops its VM); an absent one is not an error."""
        try:
            self.client.vnf_delete(instance.uuid)
        except vclient.VesselAPIError as e:
            if e.status != 404:
                raise _nova_error(e, instance, 'destroy')
        except vclient.VesselError as e:
            raise _nova_error(e, instance, 'destroy')
        self.unplug_vifs(instance, network_info or [])

    def cleanup(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, migrate_data=None, destroy_vifs=True,
                destroy_secrets=True):
        if destroy_vifs:
            self.unplug_vifs(instance, network_info or [])

    def reboot(self, context, instance, network_info, reboot_type,
               block_device_info=None, bad_volumes_callback=None,
               accel_info=None):
        """Soft: SIGTERM, stop_grace seconds, SIGKILL; hard: SIGKILL. Then a
        fresh microVM either way (vesseld restart)."""
        grace = CONF.vessel.stop_grace if reboot_type == 'SOFT' else 0
        self._act(instance, 'restart', 'reboot', {'grace': grace})

    def power_off(self, instance, timeout=0, retry_interval=0):
        """Stops the workload: SIGTERM, `timeout` seconds, SIGKILL (Nova's
        timeout 0 is a hard power off)."""
        v = self._vnf(instance)
        if v['status'] in ('stopped', 'created'):
            return
        self._act(instance, 'stop', 'power_off',
                  {'grace': min(int(timeout), 3600)})   # vesseld's bound

    def power_on(self, context, instance, network_info,
                 block_device_info=None, accel_info=None):
        """Starts the workload in a fresh microVM; a running one is left."""
        v = self._vnf(instance)
        if v['status'] == 'paused':
            self._act(instance, 'unpause', 'power_on')
        elif v['status'] != 'running':
            self._act(instance, 'start', 'power_on')

    def pause(self, instance):
        self._act(instance, 'pause', 'pause')

    def unpause(self, instance):
        self._act(instance, 'unpause', 'unpause')

    def get_console_output(self, context, instance):
        """The end of what the instance printed, as bytes: the guest console
        (kernel and vessel-init; the kernel boots `quiet`), then the
        workload's stdout and stderr, which is where a VNF writes."""
        self._vnf(instance)
        try:
            text = (self.client.vnf_logs(instance.uuid, source='console') +
                    self.client.vnf_logs(instance.uuid, source='workload'))
        except vclient.VesselError as e:
            raise _nova_error(e, instance, 'get_console_output')
        data = text.encode('utf-8', 'replace')
        return data[-CONF.vessel.console_bytes:]

    # ---- VIFs ----

    def _osvif(self, vif):
        osv = os_vif_util.nova_to_osvif_vif(vif)
        if not isinstance(osv, osv_vif.VIFVHostUser):
            raise exception.VirtualInterfacePlugException(
                'vif %s: type %s: Vessel attaches vhost-user VIFs only '
                '(binding vif_type vhostuser)' % (vif['id'], vif['type']))
        if osv.mode != 'server':
            raise exception.VirtualInterfacePlugException(
                'vif %s: vhostuser_mode %s: QEMU must own the vhost-user '
                'socket (mode server) so the switch, as client, can restart '
                'without the guest losing its NIC' % (vif['id'], osv.mode))
        return osv

    def plug_vifs(self, instance, network_info):
        """Attaches vhost-user VIFs: a vessel-dp bridge domain per Neutron
        network (created in vesseld if missing), or, for an OVS port
        profile, a dpdkvhostuserclient port created by os-vif's ovs plugin.
        """
        for vif in network_info:
            osv = self._osvif(vif)
            if osv.plugin == 'ovs':
                os_vif.plug(osv, os_vif_util.nova_to_osvif_instance(instance))
                continue
            name = network_name(vif)
            try:
                self.client.network_create({'name': name, 'type': 'bridge'})
            except vclient.VesselAPIError as e:
                if e.status != 409:
                    raise exception.VirtualInterfacePlugException(
                        'vif %s: network %s: %s' % (vif['id'], name, e))
            except vclient.VesselError as e:
                raise _nova_error(e, instance, 'plug_vifs')

    def unplug_vifs(self, instance, network_info):
        """Undoes plug_vifs for OVS ports (os-vif deletes the port). A
        vessel-dp bridge domain stays, as os-vif leaves br-int: other
        instances and the uplink use it; the VNF's own port
        (<vnf id>.<ifname>) goes away with the VNF."""
        for vif in network_info:
            try:
                osv = self._osvif(vif)
            except exception.VirtualInterfacePlugException:
                continue
            if osv.plugin == 'ovs':
                os_vif.unplug(osv,
                              os_vif_util.nova_to_osvif_instance(instance))
