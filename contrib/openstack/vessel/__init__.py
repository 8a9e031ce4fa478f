"""Vessel for OpenStack: a Nova compute driver (driver.VesselDriver) that
runs instances as VNFs of the node agent vesseld, and its REST client
(client.VesselClient). Installed as nova/virt/vessel so that nova-compute
finds it as ``compute_driver = vessel.driver.VesselDriver``; see README.md."""
