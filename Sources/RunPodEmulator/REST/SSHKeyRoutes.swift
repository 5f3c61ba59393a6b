import Foundation

/// `GET` / `PUT /v2/account/ssh-keys`: the account's registered SSH public keys, which `startSsh` injects into new
/// pods as `PUBLIC_KEY` (running pods keep the keys they started with). PUT replaces the whole set; `[]` clears it.
func addSSHKeyRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.get, "/v2/account/ssh-keys", "getSshKeys") { _ in
        .json(["keys": world.sshKeys()])
    }

    rest.on(.put, "/v2/account/ssh-keys", "updateSshKeys") { call in
        switch call.object(ResourceShapes.sshKeys) {
        case .failure(let reply): return reply
        case .success(let object):
            let keys = object["keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return .json(["keys": world.setSSHKeys(keys.map { $0.trimmingCharacters(in: .whitespaces) })])
        }
    }
}
