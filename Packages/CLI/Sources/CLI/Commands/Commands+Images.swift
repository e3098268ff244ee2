import Foundation
import Layers

extension Commands {
    static var imageCommands: [Command] { [imageBusybox] }

    /// Dosirak's own: the default image, made from the host's busybox-static, with no registry.
    static let imageBusybox = Command(
        "image busybox", usage: "image busybox [OPTIONS] [NAME]",
        summary: "Make the default image (busybox:latest) from the host's busybox-static, without a registry",
        flags: [Flag("from", .value(placeholder: "path"), help: "The busybox binary (default: the host's busybox-static)")]
    ) { context, arguments in
        let image = try context.images.buildBusybox(busybox: arguments.value("from"), as: arguments.positional.first ?? "busybox:latest")
        context.say(image.id.description)
        return 0
    }
}

extension Context {
    /// `inspect` of an image, with the fields Docker's has, in its order.
    func inspectImage(_ name: String) throws -> JSONValue {
        let image = try images.image(name)
        let names = (try? images.names(of: image.manifestDigest)) ?? []
        let config = image.configuration.config
        return .object([
            ("Id", .string(image.id.description)),
            ("RepoTags", .strings(names)),
            ("RepoDigests", .array([])),
            ("Parent", .string("")),
            ("Comment", .string("")),
            ("Created", .string(image.configuration.created ?? "")),
            ("Author", .string(image.configuration.author ?? "")),
            ("Config", .object([
                ("User", .string(config?.user ?? "")),
                ("ExposedPorts", config?.exposedPorts == nil ? .null : .object(config!.ports.map { ($0, .object([])) })),
                ("Env", .strings(config?.env)),
                ("Cmd", .strings(config?.cmd)),
                ("Volumes", config?.volumes == nil ? .null : .object(config!.volumePaths.map { ($0, .object([])) })),
                ("WorkingDir", .string(config?.workingDir ?? "")),
                ("Entrypoint", .strings(config?.entrypoint)),
                ("Labels", .map(config?.labels)),
                ("StopSignal", config?.stopSignal.map(JSONValue.string) ?? .null),
            ])),
            ("Architecture", .string(image.configuration.architecture)),
            ("Os", .string(image.configuration.os)),
            ("Size", .int(image.size)),
            ("GraphDriver", .object([
                ("Data", .object([("LowerDir", .string(image.lowerDirectories.joined(separator: ":")))])),
                ("Name", .string("overlay")),
            ])),
            ("RootFS", .object([
                ("Type", .string("layers")),
                ("Layers", .strings(image.configuration.rootfs.diffIDs.map(\.description))),
            ])),
        ])
    }
}
