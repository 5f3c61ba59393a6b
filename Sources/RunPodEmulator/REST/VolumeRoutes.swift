import Foundation

/// REST v2 network volumes: list, get, create (in a data center, of its primary tier unless `type` says), update
/// (rename, grow only) and delete (refused while a pod that is not terminated has it attached).
func addVolumeRoutes(to rest: RESTRouter) {
    let world = rest.core.world

    rest.on(.get, "/v2/network-volumes", "listNetworkVolumes") { _ in
        .json(["networkVolumes": world.networkVolumes().map(NetworkVolumeView.init)])
    }

    rest.on(.post, "/v2/network-volumes", "createNetworkVolume") { call in
        switch call.object(ResourceShapes.createVolume) {
        case .failure(let reply): return reply
        case .success(let object):
            do throws(WorldError) {
                let volume = try world.createNetworkVolume(
                    name: object["name"]?.stringValue ?? "", size: object["size"]?.intValue ?? 10,
                    dataCenterID: object["dataCenter"]?.stringValue ?? "", type: object["type"]?.stringValue)
                return .json(NetworkVolumeView(volume), status: .created)
            } catch {
                return restProblem(error)
            }
        }
    }

    rest.on(.get, "/v2/network-volumes/{id}", "getNetworkVolume") { call in
        guard let volume = world.networkVolume(id: call.parameter()) else { return .notFound("network volume") }
        return .json(NetworkVolumeView(volume))
    }

    rest.on(.patch, "/v2/network-volumes/{id}", "updateNetworkVolume") { call in
        switch call.object(ResourceShapes.updateVolume) {
        case .failure(let reply): return reply
        case .success(let object):
            guard world.networkVolume(id: call.parameter()) != nil else { return .notFound("network volume") }
            guard !object.isEmpty else { return .problem(.badRequest, detail: "at least one of name or size is required") }
            do throws(WorldError) {
                let volume = try world.updateNetworkVolume(id: call.parameter(), name: object["name"]?.stringValue, size: object["size"]?.intValue)
                return .json(NetworkVolumeView(volume))
            } catch {
                return restProblem(error)
            }
        }
    }

    rest.on(.delete, "/v2/network-volumes/{id}", "deleteNetworkVolume") { call in
        do throws(WorldError) {
            try world.deleteNetworkVolume(id: call.parameter())
            return .noContent
        } catch {
            return restProblem(error)
        }
    }
}
