"""pool.enable_ha uses an SR's statefile and metadata VDIs again (xha_statefile.ml and
xha_metadata_vdi.ml find_or_create): HA enabled, disabled and enabled again makes no new VDIs."""

from xapisim import Simulator

PASSWORD = "secret-pw"


def test_enabling_ha_again_uses_the_same_vdis():
    with Simulator("pool3", speed=500.0, password=PASSWORD) as sim:
        session = sim.call("127.0.10.1", "session.login_with_password", "root", PASSWORD, "1.0", "tests")

        def api(method, *params):
            return sim.call("127.0.10.1", method, session, *params)

        pool = api("pool.get_all")[0]
        (sr,) = api("SR.get_by_name_label", "NFS storage")

        def ha_vdis():
            return sorted((api("VDI.get_type", vdi), vdi) for vdi in api("SR.get_VDIs", sr)
                          if api("VDI.get_type", vdi) in ("ha_statefile", "redo_log"))

        api("pool.enable_ha", [sr], {})
        (statefile,) = api("pool.get_ha_statefiles", pool)
        first = ha_vdis()
        assert [kind for kind, dummy in first] == ["ha_statefile", "redo_log"]
        api("pool.disable_ha")
        assert ha_vdis() == first  # they stay, detached
        api("pool.enable_ha", [sr], {})
        assert ha_vdis() == first
        assert api("pool.get_ha_statefiles", pool) == [statefile]
