"""Tests of the Vessel Nova driver against Debian's real Nova classes and a
real vesseld (started by tests/integration/nova_driver.sh, which passes its
paths in the environment). Run with /usr/bin/python3 (the Python that has
nova and os_vif):

    VESSEL_SOCK=... VESSEL_T=... VESSEL_IMAGE_TAR=... \
        /usr/bin/python3 -m unittest -v test_vessel_driver.NoVM

Nova objects come from nova.tests.unit.fake_instance (no database), the
VirtAPI is nova.virt.fake.FakeVirtAPI, inventory goes into a real
nova.compute.provider_tree.ProviderTree. The one fake is Glance (a service
with its own database and Keystone that cannot run here): FakeGlance serves
the test's docker-archive through the same download() call as
nova.image.glance.API.

NoVM boots no VM. VM boots a handful of real microVMs (TCG here): one Nova
instance (spawn, power off/on, reboot) and one VNF an operator created.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import nova.conf  # noqa: E402
from nova.compute import power_state  # noqa: E402
from nova.compute import provider_tree  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova import exception  # noqa: E402
from nova.network import model as network_model  # noqa: E402
from nova import objects  # noqa: E402
from nova.tests.unit import fake_instance  # noqa: E402
from nova.virt import driver as virt_driver  # noqa: E402
from nova.virt import fake as virt_fake  # noqa: E402
from nova.virt import hardware  # noqa: E402
import os_resource_classes as orc  # noqa: E402

CONF = nova.conf.CONF
CONF([], project='nova', default_config_files=[
    f for f in [os.environ.get('VESSEL_NOVA_CONF')] if f])
objects.register_all()

from vessel import client as vclient  # noqa: E402
from vessel import driver as vdriver  # noqa: E402

SOCK = os.environ.get('VESSEL_SOCK', '')
T = os.environ.get('VESSEL_T', '')
IMAGE_TAR = os.environ.get('VESSEL_IMAGE_TAR', '')
GLANCE_ID = 'c0ffee00-0000-4000-8000-00000000b0b0'


class FakeGlance(object):
    """Stands in for nova.image.glance.API (Glance cannot run here)."""

    def __init__(self, tar):
        self.tar = tar
        self.downloads = []

    def download(self, context, image_id, data=None, dest_path=None,
                 trusted_certs=None):
        self.downloads.append(image_id)
        if image_id != GLANCE_ID:
            raise exception.ImageNotFound(image_id=image_id)
        shutil.copyfile(self.tar, dest_path)


def flavor(vcpus=1, memory_mb=128, **extra_specs):
    return objects.Flavor(
        id=1, name='vessel.test', memory_mb=memory_mb, vcpus=vcpus,
        root_gb=0, ephemeral_gb=0, flavorid='1', swap=0, rxtx_factor=1.0,
        vcpu_weight=1, disabled=False, is_public=True,
        extra_specs=extra_specs, projects=[])


def image_meta(image_id=GLANCE_ID, **props):
    return objects.ImageMeta.from_dict({
        'id': image_id, 'name': 'busybox', 'container_format': 'docker',
        'disk_format': 'raw', 'properties': props})


def vhostuser_vif(mode='server', net_id=None, ovs=False, ip=None):
    """A Neutron port bound as vhost-user; ip: its fixed IPv4 address in
    a /24 whose .1 is the gateway."""
    details = {network_model.VIF_DETAILS_VHOSTUSER_MODE: mode,
               network_model.VIF_DETAILS_VHOSTUSER_SOCKET:
                   '/run/vessel/vhost/vhu-test.sock'}
    if ovs:
        details[network_model.VIF_DETAILS_VHOSTUSER_OVS_PLUG] = True
        details[network_model.VIF_DETAILS_OVS_DATAPATH_TYPE] = 'netdev'
    subnets = []
    if ip:
        net = ip.rsplit('.', 1)[0]
        subnets.append(network_model.Subnet(
            cidr=net + '.0/24',
            gateway=network_model.IP(address=net + '.1', type='gateway'),
            ips=[network_model.FixedIP(address=ip)]))
    return network_model.VIF(
        id=str(uuid.uuid4()), address='52:54:00:aa:bb:01',
        type=network_model.VIF_TYPE_VHOSTUSER, details=details,
        network=network_model.Network(id=net_id or str(uuid.uuid4()),
                                      bridge='br-int' if ovs else None,
                                      subnets=subnets))


class Base(unittest.TestCase):

    def setUp(self):
        if not SOCK:
            self.skipTest('VESSEL_SOCK not set (run via '
                          'tests/integration/nova_driver.sh)')
        CONF.set_override('api_url', 'unix://' + SOCK, group='vessel')
        CONF.set_override('api_timeout', float(
            os.environ.get('VESSEL_API_TIMEOUT', '300')), group='vessel')
        self.addCleanup(CONF.clear_override, 'api_url', group='vessel')
        self.ctx = nova_context.RequestContext('user', 'project',
                                               is_admin=True)
        self.drv = vdriver.VesselDriver(virt_fake.FakeVirtAPI())
        self.glance = FakeGlance(IMAGE_TAR)
        self.drv._image_api = self.glance
        self.drv.init_host(CONF.host)
        self.api = vclient.VesselClient('unix://' + SOCK)
        self.nodename = self.drv.get_available_nodes()[0]

    def instance(self, fl):
        inst = fake_instance.fake_instance_obj(self.ctx, flavor=fl,
                                               uuid=str(uuid.uuid4()))
        self.addCleanup(self.drv.destroy, self.ctx, inst, [])
        return inst

    def spawn(self, inst, im=None):
        self.drv.spawn(self.ctx, inst, im or image_meta(), [], None, {})

    def inventory(self):
        pt = provider_tree.ProviderTree()
        pt.new_root(self.nodename, str(uuid.uuid4()))
        self.drv.update_provider_tree(pt, self.nodename)
        return pt.data(self.nodename).inventory

    def db_dump(self):
        """Every row vesseld stored but events (which a refusal may add)."""
        db = sqlite3.connect('file:%s/state/vesseld.db?mode=ro' % T,
                             uri=True)
        try:
            return [line for line in db.iterdump()
                    if not line.startswith(('INSERT INTO "events"',
                                            'INSERT INTO "sqlite_sequence"'))]
        finally:
            db.close()

    def vnf_rows(self):
        db = sqlite3.connect('file:%s/state/vesseld.db?mode=ro' % T,
                             uri=True)
        try:
            return db.execute('SELECT id, name, status FROM vnfs').fetchall()
        finally:
            db.close()

    def runtime_containers(self):
        return sorted(os.listdir(os.path.join(T, 'run', 'runtime'))) \
            if os.path.isdir(os.path.join(T, 'run', 'runtime')) else []

    def placements(self):
        """Placement records and dedicated cores, as vesseld reports them."""
        node = self.api.node()
        return node['placements'], node['dedicated_cpus']


class NoVM(Base):
    """Driver behaviour that needs vesseld but no microVM."""

    def test_load_compute_driver_from_nova_virt(self):
        # As installed (README): the package sits at nova/virt/vessel and
        # nova-compute loads compute_driver = vessel.driver.VesselDriver.
        import nova.virt
        d = tempfile.mkdtemp(prefix='nova-virt-')
        self.addCleanup(shutil.rmtree, d)
        os.symlink(os.path.join(os.path.dirname(HERE), 'vessel'),
                   os.path.join(d, 'vessel'))
        nova.virt.__path__.append(d)
        self.addCleanup(nova.virt.__path__.remove, d)
        drv = virt_driver.load_compute_driver(virt_fake.FakeVirtAPI(),
                                              'vessel.driver.VesselDriver')
        self.assertIsInstance(drv, virt_driver.ComputeDriver)
        self.assertEqual('VesselDriver', type(drv).__name__)
        self.assertTrue(drv.capabilities['supports_pcpus'])

    def test_flavor_to_vnf_spec(self):
        node = self.api.node()
        inst = fake_instance.fake_instance_obj(
            self.ctx, flavor=flavor(2, 256, **{'hw:cpu_policy': 'dedicated',
                                               'hw:numa_nodes': '1',
                                               'hw:mem_page_size': '2MB'}))
        vif, vif2 = vhostuser_vif(ip='10.9.8.7'), vhostuser_vif()
        spec = self.drv.vnf_spec(inst, image_meta(), 'sha256:ab',
                                 network_model.NetworkInfo([vif, vif2]), node)
        self.assertEqual(inst.uuid, spec['name'])
        self.assertEqual((2, 256, 'dedicated', 'auto', '2M'),
                         (spec['vcpus'], spec['memory_mb'],
                          spec['cpu_policy'], spec['numa_node'],
                          spec['hugepage_size']))
        self.assertEqual({'managed_by': 'nova',
                          'nova_instance_uuid': inst.uuid,
                          'nova_instance_name': inst.name}, spec['labels'])
        self.assertEqual([{'network': 'nova-' + vif['network']['id'],
                           'mac': '52:54:00:aa:bb:01', 'ip': '10.9.8.7/24',
                           'routes': [{'to': 'default', 'via': '10.9.8.1'}]},
                          {'network': 'nova-' + vif2['network']['id'],
                           'mac': '52:54:00:aa:bb:01'}], spec['nics'])
        # an OVS-DPDK port cannot be given to a VNF yet: refused, named
        ovs = vhostuser_vif(ovs=True)
        with self.assertRaises(exception.VirtualInterfacePlugException) as cm:
            self.drv.vnf_spec(inst, image_meta(), 'x',
                              network_model.NetworkInfo([ovs]), node)
        self.assertIn(ovs['id'], str(cm.exception))
        # no extra specs: shared vCPUs on small pages
        inst2 = fake_instance.fake_instance_obj(self.ctx, flavor=flavor())
        spec = self.drv.vnf_spec(inst2, image_meta(), 'x', None, node)
        self.assertEqual(('shared', 'none'), (spec['cpu_policy'],
                                              spec['hugepage_size']))
        # the image may ask for the page size too, as with libvirt
        spec = self.drv.vnf_spec(
            fake_instance.fake_instance_obj(
                self.ctx, flavor=flavor(**{'hw:mem_page_size': 'any'})),
            image_meta(hw_mem_page_size='1GB'), 'x', None, node)
        self.assertEqual('1G', spec['hugepage_size'])

    def test_flavors_vessel_cannot_honour(self):
        node = self.api.node()
        for specs, word in (({'hw:numa_nodes': '2'}, 'hw:numa_nodes=2'),
                            ({'hw:mem_page_size': '64KB'},
                             'hw:mem_page_size=64KiB')):
            inst = fake_instance.fake_instance_obj(self.ctx,
                                                   flavor=flavor(2, 256,
                                                                 **specs))
            with self.assertRaises(exception.InvalidInput) as cm:
                self.drv.vnf_spec(inst, image_meta(), 'x', None, node)
            self.assertIn(word, str(cm.exception))
        # malformed extra specs: Nova's own validation error
        inst = fake_instance.fake_instance_obj(
            self.ctx, flavor=flavor(**{'hw:cpu_policy': 'sometimes'}))
        with self.assertRaises(exception.Invalid):
            self.drv.vnf_spec(inst, image_meta(), 'x', None, node)

    def test_too_many_dedicated_cores_leaves_nothing(self):
        # the image is already there (cached from an earlier spawn)
        self.drv._ensure_image(self.ctx, image_meta())
        before = (self.db_dump(), self.runtime_containers(),
                  self.placements())
        pcpus = self.api.node()['capacity']['pcpus']
        inst = self.instance(flavor(pcpus + 1, 128,
                                    **{'hw:cpu_policy': 'dedicated'}))
        with self.assertRaises(exception.ComputeResourcesUnavailable) as cm:
            self.spawn(inst)
        self.assertIn('dedicated', str(cm.exception))
        self.assertEqual(before, (self.db_dump(), self.runtime_containers(),
                                  self.placements()))
        self.assertEqual([], self.drv.list_instance_uuids())
        self.assertFalse(self.drv.instance_exists(inst))

    def test_unknown_instance_errors(self):
        inst = fake_instance.fake_instance_obj(self.ctx, flavor=flavor(),
                                               uuid=str(uuid.uuid4()))
        for call in (lambda: self.drv.get_info(inst),
                     lambda: self.drv.pause(inst),
                     lambda: self.drv.power_on(self.ctx, inst, []),
                     lambda: self.drv.reboot(self.ctx, inst, [], 'HARD'),
                     lambda: self.drv.get_console_output(self.ctx, inst)):
            with self.assertRaises(exception.InstanceNotFound):
                call()
        self.drv.destroy(self.ctx, inst, [])   # absent: not an error

    def test_vesseld_unreachable(self):
        CONF.set_override('api_url', 'unix://%s/nope.sock' % T,
                          group='vessel')
        drv = vdriver.VesselDriver(virt_fake.FakeVirtAPI())
        with self.assertRaises(exception.HypervisorUnavailable):
            drv.init_host(CONF.host)
        with self.assertRaises(exception.HypervisorUnavailable):
            drv.list_instances()

    def test_image_imported_from_glance_once(self):
        try:
            self.api.request('DELETE', '/v1/images/' + GLANCE_ID)
        except vclient.VesselAPIError as e:
            self.assertEqual(404, e.status)
        digest = self.drv._ensure_image(self.ctx, image_meta())
        self.assertEqual(digest, self.api.image_get(GLANCE_ID)['digest'])
        self.assertEqual(digest, self.drv._ensure_image(self.ctx,
                                                        image_meta()))
        self.assertEqual([GLANCE_ID], self.glance.downloads)
        # not a container image: refused before any download
        im = objects.ImageMeta.from_dict({
            'id': str(uuid.uuid4()), 'container_format': 'ova',
            'disk_format': 'vmdk', 'properties': {}})
        with self.assertRaises(exception.ImageUnacceptable):
            self.drv._ensure_image(self.ctx, im)
        self.assertEqual([GLANCE_ID], self.glance.downloads)

    def test_provider_tree_matches_node(self):
        node = self.api.node()
        inv = self.inventory()
        cap = node['capacity']
        self.assertEqual(cap['vcpus'], inv[orc.VCPU]['total'])
        self.assertEqual(cap['memory_mb'], inv[orc.MEMORY_MB]['total'])
        self.assertEqual(node['disk']['total_gb'], inv[orc.DISK_GB]['total'])
        self.assertEqual(cap['pcpus'], inv[orc.PCPU]['total'])
        self.assertEqual(0, inv[orc.PCPU]['reserved'])
        res = self.drv.get_available_resource(self.nodename)
        self.assertEqual((cap['vcpus'], cap['memory_mb'], 0, 0),
                         (res['vcpus'], res['memory_mb'], res['vcpus_used'],
                          res['memory_mb_used']))
        self.assertEqual('vessel', res['hypervisor_type'])

    def test_numa_topology_fits_like_libvirt(self):
        # Nova's own fitting (NUMATopologyFilter, compute claims) on the
        # topology the driver reports
        node = self.api.node()
        res = self.drv.get_available_resource(self.nodename)
        topo = objects.NUMATopology.obj_from_db_obj(res['numa_topology'])
        self.assertEqual([n['id'] for n in node['numa_nodes']],
                         [c.id for c in topo.cells])
        pcpus = set().union(*(c.pcpuset for c in topo.cells))
        self.assertEqual(node['capacity']['pcpus'], len(pcpus))
        hk = hardware.parse_cpu_spec(node['housekeeping_cpus'])
        self.assertFalse(pcpus & hk, 'housekeeping CPUs offered for pinning')

        def fit(vcpus, **specs):
            constraints = hardware.numa_get_constraints(
                flavor(vcpus, 128, **specs), image_meta())
            return hardware.numa_fit_instance_to_host(topo, constraints)

        fitted = fit(1, **{'hw:cpu_policy': 'dedicated'})
        self.assertIsNotNone(fitted)
        self.assertLessEqual(set(fitted.cells[0].cpu_pinning.values()),
                             pcpus)
        self.assertIsNone(fit(len(pcpus) + 1, **{'hw:cpu_policy':
                                                 'dedicated'}))
        # no 1G pages on the node: a flavor asking for them does not fit
        if not any(p.size_kb == 1048576 and p.total
                   for c in topo.cells for p in c.mempages):
            self.assertIsNone(fit(1, **{'hw:mem_page_size': '1GB'}))

    def test_vhostuser_vifs_plug_unplug(self):
        inst = fake_instance.fake_instance_obj(self.ctx, flavor=flavor())
        a, b = vhostuser_vif(), vhostuser_vif()
        nets = network_model.NetworkInfo([a, b])
        self.drv.plug_vifs(inst, nets)
        for v in (a, b):
            n = self.api.network_get('nova-' + v['network']['id'])
            self.assertEqual('bridge', n['type'])
        self.drv.plug_vifs(inst, nets)     # again: idempotent
        # the bridge domains stay (other instances, the uplink), as br-int
        # stays with os-vif; a VNF's port goes with the VNF
        self.drv.unplug_vifs(inst, nets)
        for v in (a, b):
            self.api.network_get('nova-' + v['network']['id'])
        # QEMU as vhost-user client: refused, nothing created
        c = vhostuser_vif(mode='client')
        with self.assertRaises(exception.VirtualInterfacePlugException) as cm:
            self.drv.plug_vifs(inst, network_model.NetworkInfo([c]))
        self.assertIn('mode client', str(cm.exception))
        with self.assertRaises(vclient.VesselAPIError):
            self.api.network_get('nova-' + c['network']['id'])
        # not vhost-user at all
        tap = network_model.VIF(id=str(uuid.uuid4()), address='52:54:00:0:0:9',
                                type=network_model.VIF_TYPE_TAP,
                                network=network_model.Network(id='n'),
                                details={})
        with self.assertRaises(exception.VirtualInterfacePlugException):
            self.drv.plug_vifs(inst, network_model.NetworkInfo([tap]))


def wait_for(pred, timeout=float(os.environ.get('VESSEL_BOOT_TIMEOUT', '60'))):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _affinity(pid, tid):
    """Allowed CPU list of one thread (sched_getaffinity, as /proc says)."""
    with open('/proc/%d/task/%d/status' % (pid, tid)) as f:
        for line in f:
            if line.startswith('Cpus_allowed_list:'):
                return line.split(':', 1)[1].strip()
    return None


def _vcpu_threads(vnf_id):
    """vCPU thread ids of a VNF's QEMU, as vessel-runtime recorded them from
    QMP query-cpus-fast (annotation org.vessel.vcpu_threads)."""
    out = subprocess.run([os.environ['VESSEL_RUNTIME'], '--root',
                          os.path.join(T, 'run', 'runtime'), 'state', vnf_id],
                         check=True, capture_output=True, text=True).stdout
    tids = json.loads(out).get('annotations', {}).get(
        'org.vessel.vcpu_threads', '')
    return [int(t) for t in tids.split(',') if t]


def _hugetlb_kb(pid, page_kb=2048):
    """kB of the process's mappings backed by pages of page_kb."""
    total, size = 0, 0
    with open('/proc/%d/smaps' % pid) as f:
        for line in f:
            if line.startswith('Size:'):
                size = int(line.split()[1])
            elif line.startswith('KernelPageSize:') and \
                    int(line.split()[1]) == page_kb:
                total += size
    return total


class VM(Base):
    """Real microVMs: a Nova instance and an operator's VNF."""

    def assert_pinned_on_hugepages(self, inst, memory_mb):
        """The instance's QEMU: its one vCPU thread may run only on the core
        vesseld reports dedicated, and its guest memory is on 2M pages."""
        pid = self.api.vnf_stats(inst.uuid)['qemu_pid']
        node = self.api.node()
        vnf_id = self.drv.get_info(inst).internal_id
        self.assertIn(vnf_id, node['placements'],
                      'no placement recorded for the VNF')
        dedicated = node['dedicated_cpus']
        self.assertRegex(dedicated, r'^[0-9]+$', 'one dedicated core')
        tids = _vcpu_threads(vnf_id)
        self.assertEqual(1, len(tids), 'vCPU threads: %s' % tids)
        self.assertEqual(dedicated, _affinity(pid, tids[0]),
                         'vCPU thread not pinned to its dedicated core')
        self.assertGreaterEqual(_hugetlb_kb(pid), memory_mb * 1024,
                                'guest memory not on 2M hugepages')
        return pid

    def test_dedicated_hugepages_lifecycle(self):
        inv0 = self.inventory()
        fl = flavor(1, 128, **{'hw:cpu_policy': 'dedicated',
                               'hw:mem_page_size': 'large'})
        inst = self.instance(fl)
        self.spawn(inst)
        self.assertEqual(power_state.RUNNING, self.drv.get_info(inst).state)
        self.assertEqual([inst.uuid], self.drv.list_instance_uuids())
        self.assertEqual([inst.name], self.drv.list_instances())
        vnf = self.api.vnf_get(inst.uuid)
        self.assertEqual(('dedicated', '2M'), (vnf['spec']['cpu_policy'],
                                               vnf['spec']['hugepage_size']))
        pid = self.assert_pinned_on_hugepages(inst, 128)
        # the reported topology has the 2M pages Nova's fitting needs
        topo = objects.NUMATopology.obj_from_db_obj(
            self.drv.get_available_resource(self.nodename)['numa_topology'])
        fitted = hardware.numa_fit_instance_to_host(
            topo, hardware.numa_get_constraints(fl, image_meta()))
        self.assertEqual(2048, fitted.cells[0].pagesize)
        # Nova's instance is an allocation, not a reservation
        self.assertEqual(inv0, self.inventory())
        res = self.drv.get_available_resource(self.nodename)
        self.assertEqual((1, 128), (res['vcpus_used'],
                                    res['memory_mb_used']))
        self.assertTrue(wait_for(lambda: b'nova instance up' in
                                 self.drv.get_console_output(self.ctx, inst)),
                        'workload output not in the console output')

        self.drv.pause(inst)
        self.assertEqual(power_state.PAUSED, self.drv.get_info(inst).state)
        with self.assertRaises(exception.InstanceInvalidState):
            self.drv.pause(inst)
        self.drv.unpause(inst)
        self.assertEqual(power_state.RUNNING, self.drv.get_info(inst).state)

        self.drv.power_off(inst, timeout=0)
        self.assertEqual(power_state.SHUTDOWN, self.drv.get_info(inst).state)
        self.assertFalse(os.path.exists('/proc/%d' % pid), 'QEMU still runs')
        self.drv.power_on(self.ctx, inst, [])
        self.assertEqual(power_state.RUNNING, self.drv.get_info(inst).state)
        pid2 = self.assert_pinned_on_hugepages(inst, 128)
        self.assertNotEqual(pid, pid2)
        self.drv.reboot(self.ctx, inst, [], 'HARD')
        self.assertEqual(power_state.RUNNING, self.drv.get_info(inst).state)
        self.assertNotEqual(pid2, self.api.vnf_stats(inst.uuid)['qemu_pid'])

        self.drv.destroy(self.ctx, inst, [])
        self.assertFalse(self.drv.instance_exists(inst))
        self.assertEqual([], self.drv.list_instance_uuids())
        self.assertEqual([], self.vnf_rows())
        self.assertEqual([], self.runtime_containers())
        self.assertEqual(([], ''), self.placements())
        self.assertEqual(inv0, self.inventory())

    def test_operator_vnf_is_reserved(self):
        # a VNF created through vesseld, not Nova: placement must not count
        # on its resources, Nova must not list it
        inv0 = self.inventory()
        self.drv._ensure_image(self.ctx, image_meta())
        self.api.vnf_create({'name': 'operator-fw', 'image': GLANCE_ID,
                             'vcpus': 1, 'memory_mb': 96})
        self.addCleanup(self.api.vnf_delete, 'operator-fw')
        inv1 = self.inventory()
        self.assertEqual(inv0[orc.VCPU]['reserved'] + 1,
                         inv1[orc.VCPU]['reserved'])
        self.assertEqual(inv0[orc.MEMORY_MB]['reserved'] + 96,
                         inv1[orc.MEMORY_MB]['reserved'])
        self.assertEqual(inv0[orc.PCPU], inv1[orc.PCPU])
        self.assertEqual([], self.drv.list_instance_uuids())
        self.assertEqual([], self.drv.list_instances())


class TCP(unittest.TestCase):
    """vesseld on 127.0.0.1 with a bearer token (VESSEL_TCP_URL,
    VESSEL_TOKEN_FILE), as [vessel] api_url/token_file configure it."""

    def setUp(self):
        if not os.environ.get('VESSEL_TCP_URL'):
            self.skipTest('VESSEL_TCP_URL not set')
        CONF.set_override('api_url', os.environ['VESSEL_TCP_URL'],
                          group='vessel')
        self.addCleanup(CONF.clear_override, 'api_url', group='vessel')
        self.addCleanup(CONF.clear_override, 'token_file', group='vessel')

    def test_token_from_token_file(self):
        CONF.set_override('token_file', os.environ['VESSEL_TOKEN_FILE'],
                          group='vessel')
        drv = vdriver.VesselDriver(virt_fake.FakeVirtAPI())
        drv.init_host(CONF.host)
        self.assertEqual([], drv.list_instances())
        pt = provider_tree.ProviderTree()
        node = drv.get_available_nodes()[0]
        pt.new_root(node, str(uuid.uuid4()))
        drv.update_provider_tree(pt, node)
        self.assertIn(orc.MEMORY_MB, pt.data(node).inventory)

    def test_wrong_or_missing_token(self):
        bad = os.path.join(T, 'bad-token')
        with open(bad, 'w') as f:
            f.write('not-the-token-0123456789\n')
        for token_file in (bad, None):
            CONF.set_override('token_file', token_file, group='vessel')
            drv = vdriver.VesselDriver(virt_fake.FakeVirtAPI())
            with self.assertRaises(exception.HypervisorUnavailable):
                drv.init_host(CONF.host)
            with self.assertRaises(exception.HypervisorUnavailable):
                drv.list_instance_uuids()


class NIC(Base):
    """A Nova instance with a vhost-user port on a real vessel-dp: the shell
    test created the Neutron network's bridge domain with a net_tap port
    whose netns (VESSEL_NOVA_NETNS) holds the gateway 10.78.0.1."""

    def test_instance_reachable_through_vessel_dp(self):
        net_id, netns = (os.environ.get('VESSEL_NOVA_NET'),
                         os.environ.get('VESSEL_NOVA_NETNS'))
        if not net_id:
            self.skipTest('VESSEL_NOVA_NET not set')
        vif = vhostuser_vif(net_id=net_id, ip='10.78.0.2')
        nets = network_model.NetworkInfo([vif])
        inst = self.instance(flavor(1, 128))
        self.drv.spawn(self.ctx, inst, image_meta(), [], None, {},
                       network_info=nets)
        vnf = self.api.vnf_get(inst.uuid)
        port = vnf['id'] + '.eth0'

        def ports():
            dp = self.api.node()['dataplane']
            return {p['name']: p for p in dp['ports']}

        self.assertIn(port, ports())
        self.assertEqual('nova-' + net_id, ports()[port].get('bridge'))
        ping = ['ip', 'netns', 'exec', netns, 'ping', '-c', '1', '-W', '1',
                '10.78.0.2']
        self.assertTrue(wait_for(lambda: subprocess.run(
            ping, capture_output=True).returncode == 0),
            'the instance does not answer ping through vessel-dp')
        self.drv.destroy(self.ctx, inst, nets)
        self.assertNotIn(port, ports())
        self.assertTrue(self.api.network_get('nova-' + net_id)['applied'])


def ovs_vsctl(*args):
    return subprocess.run(['ovs-vsctl', '--db=' + os.environ['VESSEL_OVSDB'],
                           '--no-wait'] + list(args), check=True,
                          capture_output=True, text=True).stdout.strip()


class OVS(Base):
    """A vhost-user VIF with an OVS port profile, plugged by os-vif's ovs
    plugin into a private OVS (the shell test starts it and points
    [os_vif_ovs] ovsdb_connection at it through nova.conf)."""

    def test_ovs_vif_plugged_by_os_vif(self):
        if not os.environ.get('VESSEL_OVSDB'):
            self.skipTest('VESSEL_OVSDB not set')
        inst = fake_instance.fake_instance_obj(self.ctx, flavor=flavor(),
                                               uuid=str(uuid.uuid4()))
        vif = vhostuser_vif(ovs=True)
        nets = network_model.NetworkInfo([vif])
        self.drv.plug_vifs(inst, nets)
        name = ovs_vsctl('--bare', '--columns=name', 'find', 'Interface',
                         'external_ids:iface-id=%s' % vif['id'])
        self.assertTrue(name.startswith('vhu'), 'no OVS port for the VIF')
        self.assertIn(name, ovs_vsctl('list-ports', 'br-int').split())
        # OVS is the vhost-user client of QEMU's socket (mode server)
        self.assertEqual('dpdkvhostuserclient',
                         ovs_vsctl('get', 'Interface', name, 'type'))
        self.assertEqual('"/run/vessel/vhost/vhu-test.sock"', ovs_vsctl(
            'get', 'Interface', name, 'options:vhost-server-path'))
        self.assertEqual('"%s"' % inst.uuid, ovs_vsctl(
            'get', 'Interface', name, 'external_ids:vm-uuid'))
        self.assertEqual('"52:54:00:aa:bb:01"', ovs_vsctl(
            'get', 'Interface', name, 'external_ids:attached-mac'))
        self.assertEqual('netdev', ovs_vsctl('get', 'Bridge', 'br-int',
                                             'datapath_type'))
        # no vessel-dp bridge domain for it
        self.assertEqual([], self.api.request('GET',
                                              '/v1/networks')['networks'])
        self.drv.unplug_vifs(inst, nets)
        self.assertNotIn(name, ovs_vsctl('list-ports', 'br-int').split())


if __name__ == '__main__':
    unittest.main()
