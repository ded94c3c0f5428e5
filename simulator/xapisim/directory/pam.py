"""auth_type PAM: the host's own accounts (xen-api ocaml/xapi/authx.ml). A simulated dom0 has
root and its group only; ids are u<uid> and g<gid>. Enabling checks nothing, and root logs in
as the local superuser before PAM is asked, so a PAM login never succeeds."""

from . import AuthFailure, Directory, NotFound

ROOT_INFO = {"subject-name": "root", "subject-uid": "u0", "subject-gid": "g0", "subject-gecos": "root",
             "subject-displayname": "root", "subject-is-group": "false", "subject-account-disabled": "false",
             "subject-account-expired": "false", "subject-account-locked": "false",
             "subject-password-expired": "false"}
ROOT_GROUP_INFO = {"subject-name": "root", "subject-uid": "g0", "subject-gid": "g0", "subject-is-group": "true"}


class Pam(Directory):
    def serves(self, service_name):
        return True

    def netbios(self):
        return ""

    def join(self, user, password, ou):
        """PAM's on_enable does nothing."""

    def leave(self, user, password):
        """PAM's on_disable does nothing."""

    def sid_of(self, name):
        if name == "root":
            return "u0"
        raise NotFound(name)

    def info(self, sid):
        found = {"u0": ROOT_INFO, "g0": ROOT_GROUP_INFO}.get(sid)
        if found is None:
            raise NotFound(sid)
        return dict(found)

    def groups(self, sid):
        if sid in ("u0", "g0"):
            return ["g0"]
        raise NotFound(sid)

    def authenticate(self, name, password):
        raise AuthFailure("Authentication failure")
