from conftest import sdk_session


def test_sdk_login_and_list(served):
    session = sdk_session(served)
    session.xenapi.login_with_password("root", served.password)
    assert len(session.xenapi.VM.get_all()) == 40
    session.xenapi.session.logout()
    assert served.world.open_sessions() == 0
